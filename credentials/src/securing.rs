//! Securing with Data Integrity: `eddsa-rdfc-2022` through `ssi`, and `eddsa-jcs-2022`.
//!
//! Verification is a pure function of (document, [`VerificationEnvironment`]): every DID
//! document it may need is resolved beforehand into a [`ResolvedDids`] snapshot.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use ssi::claims::data_integrity::suites::EdDsaRdfc2022;
use ssi::claims::data_integrity::{AnySuite, CryptographicSuite, DataIntegrity, ProofOptions};
use ssi::claims::vc::v2::syntax::JsonPresentation;
use ssi::claims::vc::v2::JsonCredential;
use ssi::claims::{
    MessageSignatureError, SignatureEnvironment, SignatureError, ValidateProof,
    VerificationParameters,
};
use ssi::dids::DIDResolver as _;
use ssi::json_ld::ContextLoader;
use ssi::verification_methods::{
    MessageSigner, Multikey, ProofPurpose, ReferenceOrOwned, Signer, VerificationMethod,
};

use crate::catalogue::{xsd_date_time, CredentialKind, CredentialSubject};
use crate::clock::Clock;
use crate::did::{did_key, did_of, KeyProblem, ResolvedDids};
use crate::error::{Error, Result};
use crate::status_list::{status_in, StatusEntry, StatusProblem, StatusPurpose};
use crate::trust_list::{credential_types, issued_at, TrustDecision, TrustList};
use crate::verdict::{CheckName, Outcome, PresentationVerdict, Verdict};
#[cfg(feature = "json-schema")]
use crate::vocabulary::{kind_of_schema_url, schema_document};
use crate::vocabulary::{pinned_contexts, VC_V2_CONTEXT_URL};

/// Signs with ssi's `eddsa-rdfc-2022`. A macro rather than a generic function: ssi's signing
/// bounds are long and differ per claims type, and there are only two claims types.
macro_rules! sign_rdfc {
    ($document:expr, $signer:expr, $purpose:expr, $request:expr, $dids:expr, $loader:expr) => {{
        let method = iref::IriBuf::new($signer.verification_method().to_owned())
            .map_err(|_| Error::InvalidDid($signer.verification_method().to_owned()))?;
        let mut options: ProofOptions<Multikey, ()> =
            ProofOptions::from_method(ReferenceOrOwned::Reference(method));
        options.proof_purpose = $purpose;
        let created = $request.created.unwrap_or_else(Utc::now).fixed_offset();
        options.created = Some(ssi::xsd::DateTimeStamp::from(created).into());
        options.challenge = $request.challenge.clone();
        options.domains = $request.domain.iter().cloned().collect();
        let environment = SignatureEnvironment {
            json_ld_loader: $loader,
            eip712_loader: (),
        };
        let resolver = $dids.into_vm_resolver::<Multikey>();
        let secured = EdDsaRdfc2022
            .sign_with(environment, $document, resolver, $signer, options, ())
            .await
            .map_err(|e| Error::Signing(e.to_string()))?;
        serde_json::to_value(&secured).map_err(|e| Error::Signing(e.to_string()))
    }};
}

/// The Data Integrity cryptosuites we sign and verify with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Cryptosuite {
    #[serde(rename = "eddsa-rdfc-2022")]
    EddsaRdfc2022,
    #[serde(rename = "eddsa-jcs-2022")]
    EddsaJcs2022,
}

impl Cryptosuite {
    pub fn name(self) -> &'static str {
        match self {
            Cryptosuite::EddsaRdfc2022 => "eddsa-rdfc-2022",
            Cryptosuite::EddsaJcs2022 => "eddsa-jcs-2022",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "eddsa-rdfc-2022" => Some(Cryptosuite::EddsaRdfc2022),
            "eddsa-jcs-2022" => Some(Cryptosuite::EddsaJcs2022),
            _ => None,
        }
    }
}

/// An Ed25519 signing key and the verification method that names it. The secret never
/// leaves this value: no `Debug`, no `Serialize`, no accessor.
#[derive(Clone)]
pub struct SigningIdentity {
    secret: Arc<SigningKey>,
    verification_method: String,
}

impl SigningIdentity {
    pub fn new(secret: SigningKey, verification_method: String) -> Self {
        Self {
            secret: Arc::new(secret),
            verification_method,
        }
    }

    /// A holder identity on did:key (the method is `did:key:z…#z…`).
    pub fn did_key(secret: SigningKey) -> Self {
        let (_, method) = did_key(&secret.verifying_key());
        Self::new(secret, method)
    }

    pub fn verification_method(&self) -> &str {
        &self.verification_method
    }

    pub fn did(&self) -> &str {
        did_of(&self.verification_method)
    }

    pub fn public_key(&self) -> ed25519_dalek::VerifyingKey {
        self.secret.verifying_key()
    }

    /// A raw Ed25519 signature (JWS signing for SD-JWT); the key itself stays here.
    pub(crate) fn sign_bytes(&self, message: &[u8]) -> [u8; 64] {
        self.secret.sign(message).to_bytes()
    }
}

impl std::fmt::Debug for SigningIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningIdentity")
            .field("verification_method", &self.verification_method)
            .finish_non_exhaustive()
    }
}

/// Adapts our key to ssi's signer traits without ever building a private JWK.
pub struct Ed25519MessageSigner(Arc<SigningKey>);

impl MessageSigner<ssi::crypto::algorithm::EdDSA> for Ed25519MessageSigner {
    async fn sign(
        self,
        _algorithm: ssi::crypto::algorithm::EdDSA,
        message: &[u8],
    ) -> std::result::Result<Vec<u8>, MessageSignatureError> {
        Ok(self.0.sign(message).to_bytes().to_vec())
    }
}

impl<M: VerificationMethod> Signer<M> for SigningIdentity {
    type MessageSigner = Ed25519MessageSigner;

    async fn for_method(
        &self,
        _method: Cow<'_, M>,
    ) -> std::result::Result<Option<Self::MessageSigner>, SignatureError> {
        Ok(Some(Ed25519MessageSigner(self.secret.clone())))
    }
}

/// What a proof is for, and the challenge/domain a presentation proof carries.
#[derive(Clone, Debug, Default)]
pub struct ProofRequest {
    pub created: Option<DateTime<Utc>>,
    pub challenge: Option<String>,
    pub domain: Option<String>,
}

/// The pinned contexts, parsed once per process: parsing the VC v2 context on every call
/// was most of the cost of a signature (see the README's benchmarks).
fn pinned_loader() -> Result<&'static ContextLoader> {
    static LOADER: OnceLock<std::result::Result<ContextLoader, String>> = OnceLock::new();
    LOADER
        .get_or_init(|| {
            ContextLoader::empty()
                .with_context_map_from(pinned_contexts())
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error::Signing(format!("context map: {e}")))
}

/// A loader with extra contexts, for W3C test vectors and peers' examples.
pub fn loader_with(extra: impl IntoIterator<Item = (String, String)>) -> Result<ContextLoader> {
    let mut contexts = pinned_contexts();
    contexts.extend(extra);
    ContextLoader::empty()
        .with_context_map_from(contexts)
        .map_err(|e| Error::Signing(format!("context map: {e}")))
}

/// Signs a credential (proof purpose `assertionMethod`).
pub async fn sign_credential(
    credential: &Value,
    signer: &SigningIdentity,
    suite: Cryptosuite,
    request: &ProofRequest,
) -> Result<Value> {
    sign_credential_with_contexts(credential, signer, suite, request, Vec::new()).await
}

/// Signs a credential that may use contexts beyond the pinned ones (W3C test vectors).
pub async fn sign_credential_with_contexts(
    credential: &Value,
    signer: &SigningIdentity,
    suite: Cryptosuite,
    request: &ProofRequest,
    extra_contexts: Vec<(String, String)>,
) -> Result<Value> {
    let dids = ResolvedDids::of_signer(signer);
    let document = without_proof(credential, Error::MalformedCredential)?;
    let extended;
    let loader = if extra_contexts.is_empty() {
        pinned_loader()?
    } else {
        extended = loader_with(extra_contexts)?;
        &extended
    };
    match suite {
        Cryptosuite::EddsaRdfc2022 => {
            let typed: JsonCredential = serde_json::from_value(document)
                .map_err(|e| Error::MalformedCredential(e.to_string()))?;
            sign_rdfc!(
                typed,
                signer,
                ProofPurpose::Assertion,
                request,
                dids,
                loader
            )
        }
        Cryptosuite::EddsaJcs2022 => sign_jcs(document, signer, "assertionMethod", request),
    }
}

/// Signs a presentation (proof purpose `authentication`) with the holder's key.
pub async fn sign_presentation(
    presentation: &Value,
    signer: &SigningIdentity,
    suite: Cryptosuite,
    request: &ProofRequest,
) -> Result<Value> {
    let dids = ResolvedDids::of_signer(signer);
    let document = without_proof(presentation, Error::MalformedPresentation)?;
    match suite {
        Cryptosuite::EddsaRdfc2022 => {
            let typed: JsonPresentation = serde_json::from_value(document)
                .map_err(|e| Error::MalformedPresentation(e.to_string()))?;
            sign_rdfc!(
                typed,
                signer,
                ProofPurpose::Authentication,
                request,
                dids,
                pinned_loader()?
            )
        }
        Cryptosuite::EddsaJcs2022 => sign_jcs(document, signer, "authentication", request),
    }
}

fn without_proof(document: &Value, malformed: fn(String) -> Error) -> Result<Value> {
    let mut object = document
        .as_object()
        .cloned()
        .ok_or_else(|| malformed("not a JSON object".into()))?;
    if object.remove("proof").is_some() {
        return Err(malformed(
            "already has a proof; we add proofs only to unsecured documents".into(),
        ));
    }
    Ok(Value::Object(object))
}

/// eddsa-jcs-2022 (EdDSA Cryptosuites §3.3). Written here because ssi 0.16 has no JCS suite;
/// the pipeline is the same as rdfc with RFC 8785 canonical JSON in place of RDFC-1.0.
fn sign_jcs(
    mut document: Value,
    signer: &SigningIdentity,
    purpose: &str,
    request: &ProofRequest,
) -> Result<Value> {
    let mut proof = Map::new();
    proof.insert("type".into(), "DataIntegrityProof".into());
    proof.insert(
        "cryptosuite".into(),
        Cryptosuite::EddsaJcs2022.name().into(),
    );
    proof.insert(
        "created".into(),
        xsd_date_time(&request.created.unwrap_or_else(Utc::now)).into(),
    );
    proof.insert(
        "verificationMethod".into(),
        signer.verification_method().into(),
    );
    proof.insert("proofPurpose".into(), purpose.into());
    if let Some(challenge) = &request.challenge {
        proof.insert("challenge".into(), challenge.clone().into());
    }
    if let Some(domain) = &request.domain {
        proof.insert("domain".into(), domain.clone().into());
    }
    if let Some(context) = document.get("@context") {
        proof.insert("@context".into(), context.clone());
    }
    let hash = jcs_hash(&Value::Object(proof.clone()), &document)?;
    let signature = signer.secret.sign(&hash);
    proof.insert(
        "proofValue".into(),
        multibase::encode(multibase::Base::Base58Btc, signature.to_bytes()).into(),
    );
    // The proof keeps its @context (§3.3.1 step 2): verifiers such as Digital Bazaar's
    // hash the proof as it stands and do not add the document's context back.
    document["proof"] = Value::Object(proof);
    Ok(document)
}

/// A Data Integrity proof prepared for a key held elsewhere (a phone's keystore, a
/// wallet's encrypted store): sign [`PreparedProof::data_to_sign`] with Ed25519, then
/// [`PreparedProof::finish`]. The same bytes `sign_presentation` signs, so the result
/// verifies the same way.
pub struct PreparedProof {
    document: Value,
    proof: Map<String, Value>,
    data_to_sign: Vec<u8>,
}

impl PreparedProof {
    pub fn data_to_sign(&self) -> &[u8] {
        &self.data_to_sign
    }

    /// The document with its proof, once the signer has signed.
    pub fn finish(mut self, signature: &[u8; 64]) -> Value {
        self.proof.insert(
            "proofValue".into(),
            multibase::encode(multibase::Base::Base58Btc, signature).into(),
        );
        self.document["proof"] = Value::Object(self.proof);
        self.document
    }
}

/// Prepares a presentation's proof (purpose `authentication`) for an external signer.
pub async fn prepare_presentation_proof(
    presentation: &Value,
    verification_method: &str,
    suite: Cryptosuite,
    request: &ProofRequest,
) -> Result<PreparedProof> {
    let document = without_proof(presentation, Error::MalformedPresentation)?;
    let mut proof = Map::new();
    proof.insert("type".into(), "DataIntegrityProof".into());
    proof.insert("cryptosuite".into(), suite.name().into());
    proof.insert(
        "created".into(),
        xsd_date_time(&request.created.unwrap_or_else(Utc::now)).into(),
    );
    proof.insert("verificationMethod".into(), verification_method.into());
    proof.insert("proofPurpose".into(), "authentication".into());
    if let Some(challenge) = &request.challenge {
        proof.insert("challenge".into(), challenge.clone().into());
    }
    if let Some(domain) = &request.domain {
        proof.insert("domain".into(), domain.clone().into());
    }
    let context = document
        .get("@context")
        .cloned()
        .ok_or_else(|| Error::MalformedPresentation("@context is required".into()))?;
    let data_to_sign = match suite {
        Cryptosuite::EddsaRdfc2022 => {
            // The proof configuration takes the document's context (EdDSA §3.2.4) but the
            // proof as published does not carry it.
            let mut config = proof.clone();
            config.insert("@context".into(), context);
            let loader = pinned_loader()?;
            let canonical_config = rdfc_canonical_nquads(&Value::Object(config), loader).await?;
            let canonical_document = rdfc_canonical_nquads(&document, loader).await?;
            rdfc_hash_data(&canonical_config, &canonical_document)
        }
        Cryptosuite::EddsaJcs2022 => {
            proof.insert("@context".into(), context);
            jcs_hash(&Value::Object(proof.clone()), &document)?
        }
    };
    Ok(PreparedProof {
        document,
        proof,
        data_to_sign,
    })
}

/// RDFC-1.0 canonical N-Quads of a JSON-LD document, as `eddsa-rdfc-2022` hashes them.
pub async fn rdfc_canonical_nquads(document: &Value, loader: &ContextLoader) -> Result<String> {
    use ssi::json_ld::syntax::Parse as _;
    use ssi::json_ld::{CompactJsonLd, Expandable};
    use ssi::rdf::{AnyLdEnvironment, LdEnvironment};
    let text =
        serde_json::to_string(document).map_err(|e| Error::MalformedCredential(e.to_string()))?;
    let (parsed, _) = ssi::json_ld::syntax::Value::parse_str(&text)
        .map_err(|e| Error::MalformedCredential(e.to_string()))?;
    let mut environment = LdEnvironment::default();
    let expanded = CompactJsonLd(parsed)
        .expand_with(&mut environment, loader)
        .await
        .map_err(|e| Error::MalformedCredential(e.to_string()))?;
    let lines = environment
        .canonical_form_of(&expanded)
        .map_err(|e| Error::MalformedCredential(e.to_string()))?;
    Ok(lines.concat())
}

/// `SHA-256(proof config) ‖ SHA-256(document)`: the data an eddsa-2022 signature covers.
pub fn rdfc_hash_data(canonical_config: &str, canonical_document: &str) -> Vec<u8> {
    let mut hash = Sha256::digest(canonical_config.as_bytes()).to_vec();
    hash.extend_from_slice(&Sha256::digest(canonical_document.as_bytes()));
    hash
}

fn jcs_hash(proof_config: &Value, document: &Value) -> Result<Vec<u8>> {
    let canonical_config = serde_json_canonicalizer::to_vec(proof_config)
        .map_err(|e| Error::Signing(format!("JCS: {e}")))?;
    let canonical_document = serde_json_canonicalizer::to_vec(document)
        .map_err(|e| Error::Signing(format!("JCS: {e}")))?;
    let mut hash = Sha256::digest(&canonical_config).to_vec();
    hash.extend_from_slice(&Sha256::digest(&canonical_document));
    Ok(hash)
}

/// Everything verification may consult, fixed before it starts.
pub struct VerificationEnvironment<'a> {
    pub dids: &'a ResolvedDids,
    pub clock: &'a dyn Clock,
    /// Extra JSON-LD contexts beyond the pinned ones (empty in production).
    pub extra_contexts: Vec<(String, String)>,
    /// Whether a credential's proof must be made by its issuer (always, in production; the
    /// W3C vectors sign an `https:` issuer with a did:key, so their test turns it off).
    pub issuer_binding: bool,
    /// The status list credentials this verification may read, fetched and verified
    /// beforehand.
    pub status_lists: &'a StatusLists,
    /// The trust registry's list of trusted issuers, fetched and verified beforehand; or
    /// why it could not be had. `None`: no registry is configured, so issuer trust is not
    /// checked (reported as not applicable, never as passed).
    pub trust_list: Option<&'a std::result::Result<TrustList, String>>,
}

/// Status list credentials by URL: each either verified, or the reason it is not usable.
#[derive(Clone, Debug, Default)]
pub struct StatusLists {
    pub lists: std::collections::HashMap<String, std::result::Result<Value, StatusProblem>>,
}

static NO_STATUS_LISTS: OnceLock<StatusLists> = OnceLock::new();

impl<'a> VerificationEnvironment<'a> {
    pub fn new(dids: &'a ResolvedDids, clock: &'a dyn Clock) -> Self {
        Self {
            dids,
            clock,
            extra_contexts: Vec::new(),
            issuer_binding: true,
            status_lists: NO_STATUS_LISTS.get_or_init(StatusLists::default),
            trust_list: None,
        }
    }

    pub fn with_trust_list(
        mut self,
        trust_list: &'a std::result::Result<TrustList, String>,
    ) -> Self {
        self.trust_list = Some(trust_list);
        self
    }

    pub fn with_status_lists(mut self, status_lists: &'a StatusLists) -> Self {
        self.status_lists = status_lists;
        self
    }
}

/// What the verifier expects of a presentation's proof.
#[derive(Clone, Debug, Default)]
pub struct PresentationExpectations {
    pub challenge: Option<String>,
    pub domain: Option<String>,
}

/// Every DID URL a document's proofs name (for a presentation, its credentials' too), so
/// the caller can resolve them before verifying.
pub fn verification_methods_named(document: &Value) -> Vec<String> {
    let mut found = Vec::new();
    collect_methods(document, &mut found);
    found
}

fn collect_methods(document: &Value, found: &mut Vec<String>) {
    for proof in proofs_of(document) {
        if let Some(method) = proof.get("verificationMethod").and_then(Value::as_str) {
            found.push(method.to_owned());
        }
    }
    for credential in embedded_credentials(document) {
        collect_methods(credential, found);
    }
}

fn proofs_of(document: &Value) -> Vec<&Value> {
    match document.get("proof") {
        Some(Value::Array(proofs)) => proofs.iter().collect(),
        Some(proof @ Value::Object(_)) => vec![proof],
        _ => Vec::new(),
    }
}

fn embedded_credentials(document: &Value) -> Vec<&Value> {
    match document.get("verifiableCredential") {
        Some(Value::Array(credentials)) => credentials.iter().collect(),
        Some(credential @ Value::Object(_)) => vec![credential],
        _ => Vec::new(),
    }
}

fn has_type(document: &Value, wanted: &str) -> bool {
    match document.get("type") {
        Some(Value::String(t)) => t == wanted,
        Some(Value::Array(types)) => types.iter().any(|t| t.as_str() == Some(wanted)),
        _ => false,
    }
}

fn check_envelope(
    document: &Value,
    wanted_type: &str,
    malformed: fn(String) -> Error,
) -> Result<()> {
    let object = document
        .as_object()
        .ok_or_else(|| malformed("not a JSON object".into()))?;
    let first_context = match object.get("@context") {
        Some(Value::Array(contexts)) => contexts.first().and_then(Value::as_str),
        _ => None,
    };
    if first_context != Some(VC_V2_CONTEXT_URL) {
        return Err(malformed(format!(
            "@context must be an array starting with {VC_V2_CONTEXT_URL}"
        )));
    }
    if !has_type(document, wanted_type) {
        return Err(malformed(format!("type must include {wanted_type}")));
    }
    Ok(())
}

/// Verifies a credential: structure, key, proof, validity period, schema and type rules,
/// each a separate entry of the verdict. `Err` only when the input is not a credential at all.
pub async fn verify_credential(
    credential: &Value,
    env: &VerificationEnvironment<'_>,
) -> Result<Verdict> {
    check_envelope(
        credential,
        "VerifiableCredential",
        Error::MalformedCredential,
    )?;
    let mut verdict = Verdict::default();
    verify_proof(
        credential,
        "assertionMethod",
        env,
        &mut verdict,
        ProofTarget::Credential,
    )
    .await;
    check_validity_period(credential, env.clock.now(), &mut verdict);
    check_status(credential, env.status_lists, &mut verdict);
    check_issuer_trusted(credential, env.trust_list, &mut verdict);
    check_schemas(credential, &mut verdict);
    check_type_rules(credential, &mut verdict);
    Ok(verdict)
}

/// Verifies a presentation: its proof, challenge, domain and holder binding, and every
/// credential inside it. ssi checks the proof only; the rest is done here.
pub async fn verify_presentation(
    presentation: &Value,
    expected: &PresentationExpectations,
    env: &VerificationEnvironment<'_>,
) -> Result<PresentationVerdict> {
    check_envelope(
        presentation,
        "VerifiablePresentation",
        Error::MalformedPresentation,
    )?;
    let mut own = Verdict::default();
    verify_proof(
        presentation,
        "authentication",
        env,
        &mut own,
        ProofTarget::Presentation,
    )
    .await;
    let proof = proofs_of(presentation).into_iter().next();
    own.record(
        CheckName::Challenge,
        compare_challenge(proof, expected.challenge.as_deref()),
    );
    own.record(
        CheckName::Domain,
        compare_domain(proof, expected.domain.as_deref()),
    );

    let credentials = embedded_credentials(presentation);
    let holder = holder_of(presentation);
    let signer_did = proof
        .and_then(|p| p.get("verificationMethod"))
        .and_then(Value::as_str)
        .map(did_of);
    own.record(
        CheckName::HolderBinding,
        check_holder_binding(holder.as_deref(), signer_did, &credentials),
    );

    let mut credential_verdicts = Vec::with_capacity(credentials.len());
    for credential in &credentials {
        let verdict = match verify_credential(credential, env).await {
            Ok(verdict) => verdict,
            Err(e) => {
                let mut verdict = Verdict::default();
                verdict.record(CheckName::Structure, Outcome::Failed(e.to_string()));
                verdict
            }
        };
        credential_verdicts.push(verdict);
    }
    let credentials_outcome = if credentials.is_empty() {
        Outcome::NotApplicable
    } else if credential_verdicts.iter().all(Verdict::verified) {
        Outcome::Passed
    } else {
        let bad: Vec<String> = credential_verdicts
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.verified())
            .map(|(i, _)| i.to_string())
            .collect();
        Outcome::Failed(format!(
            "credential(s) at index {} did not verify",
            bad.join(", ")
        ))
    };
    own.record(CheckName::Credentials, credentials_outcome);
    Ok(PresentationVerdict {
        presentation: own,
        credentials: credential_verdicts,
    })
}

#[derive(Clone, Copy)]
enum ProofTarget {
    Credential,
    Presentation,
}

async fn verify_proof(
    document: &Value,
    relationship: &str,
    env: &VerificationEnvironment<'_>,
    verdict: &mut Verdict,
    target: ProofTarget,
) {
    let proofs = proofs_of(document);
    let proof = match proofs.as_slice() {
        [] => {
            verdict.record(CheckName::Structure, Outcome::Failed("no proof".into()));
            return;
        }
        [one] => *one,
        _ => {
            // Proof sets are allowed by Data Integrity; we issue one proof and accept one.
            verdict.record(
                CheckName::Structure,
                Outcome::Failed("more than one proof is not accepted".into()),
            );
            return;
        }
    };
    let suite = proof
        .get("cryptosuite")
        .and_then(Value::as_str)
        .and_then(Cryptosuite::from_name);
    let (Some(suite), Some("DataIntegrityProof")) =
        (suite, proof.get("type").and_then(Value::as_str))
    else {
        verdict.record(
            CheckName::Structure,
            Outcome::Failed(
                "proof is not a DataIntegrityProof with eddsa-rdfc-2022 or eddsa-jcs-2022".into(),
            ),
        );
        return;
    };
    if proof.get("proofPurpose").and_then(Value::as_str) != Some(relationship) {
        verdict.record(
            CheckName::Structure,
            Outcome::Failed(format!("proofPurpose must be {relationship}")),
        );
        return;
    }
    let Some(method) = proof.get("verificationMethod").and_then(Value::as_str) else {
        verdict.record(
            CheckName::Structure,
            Outcome::Failed("proof has no verificationMethod".into()),
        );
        return;
    };
    verdict.record(CheckName::Structure, Outcome::Passed);
    if let (ProofTarget::Credential, true) = (target, env.issuer_binding) {
        let issuer = issuer_of(document);
        if issuer.as_deref() != Some(did_of(method)) {
            // A valid signature by someone else's key says nothing about the issuer's claims.
            verdict.record(
                CheckName::KeyResolution,
                Outcome::Failed("signed with a key that is not the issuer's".into()),
            );
            verdict.record(
                CheckName::Proof,
                Outcome::Failed("the proof is not the issuer's".into()),
            );
            return;
        }
    }
    let key = match env.dids.public_key(method, relationship) {
        Ok(key) => {
            verdict.record(CheckName::KeyResolution, Outcome::Passed);
            key
        }
        Err(KeyProblem::Unresolvable(why)) => {
            verdict.record(
                CheckName::KeyResolution,
                Outcome::CouldNotCheck(why.clone()),
            );
            verdict.record(
                CheckName::Proof,
                Outcome::CouldNotCheck(format!("the key could not be resolved: {why}")),
            );
            return;
        }
        Err(KeyProblem::Invalid(why)) => {
            verdict.record(CheckName::KeyResolution, Outcome::Failed(why));
            verdict.record(
                CheckName::Proof,
                Outcome::Failed("signed with a key its controller does not authorise".into()),
            );
            return;
        }
    };
    let outcome = match suite {
        Cryptosuite::EddsaRdfc2022 => verify_rdfc(document, env, target).await,
        Cryptosuite::EddsaJcs2022 => verify_jcs(document, proof, &key),
    };
    verdict.record(CheckName::Proof, outcome);
}

async fn verify_rdfc(
    document: &Value,
    env: &VerificationEnvironment<'_>,
    target: ProofTarget,
) -> Outcome {
    let extended;
    let loader = if env.extra_contexts.is_empty() {
        pinned_loader()
    } else {
        extended = loader_with(env.extra_contexts.clone());
        extended.as_ref().map_err(|e| Error::Signing(e.to_string()))
    };
    let loader = match loader {
        Ok(loader) => loader,
        Err(e) => return Outcome::CouldNotCheck(e.to_string()),
    };
    let params = VerificationParameters::from_resolver(
        env.dids.clone().into_vm_resolver::<AnyMethodForSuite>(),
    )
    .with_json_ld_loader(loader);
    let result = match target {
        ProofTarget::Credential => match serde_json::from_value::<
            DataIntegrity<JsonCredential, AnySuite>,
        >(document.clone())
        {
            Ok(secured) => {
                secured
                    .proofs
                    .validate_proof(&params, &secured.claims)
                    .await
            }
            Err(e) => return Outcome::Failed(format!("not a Data Integrity credential: {e}")),
        },
        ProofTarget::Presentation => match serde_json::from_value::<
            DataIntegrity<JsonPresentation, AnySuite>,
        >(document.clone())
        {
            Ok(secured) => {
                secured
                    .proofs
                    .validate_proof(&params, &secured.claims)
                    .await
            }
            Err(e) => return Outcome::Failed(format!("not a Data Integrity presentation: {e}")),
        },
    };
    match result {
        Ok(Ok(())) => Outcome::Passed,
        Ok(Err(invalid)) => Outcome::Failed(invalid.to_string()),
        Err(e) => Outcome::Failed(describe_proof_error(&e.to_string())),
    }
}

type AnyMethodForSuite = ssi::verification_methods::AnyMethod;

/// ssi reports a context it may not load, or a term the contexts do not define, as a
/// transformation error: name those plainly.
fn describe_proof_error(raw: &str) -> String {
    if raw.contains("Unknown context") || raw.contains("loading") {
        format!("uses a JSON-LD context that is not pinned here: {raw}")
    } else if raw.contains("undefined") || raw.contains("invalid term") {
        format!("uses a term no context defines: {raw}")
    } else {
        raw.to_owned()
    }
}

fn verify_jcs(document: &Value, proof: &Value, key: &ed25519_dalek::VerifyingKey) -> Outcome {
    let Some(proof_object) = proof.as_object() else {
        return Outcome::Failed("proof is not an object".into());
    };
    let mut config = proof_object.clone();
    let Some(proof_value) = config
        .remove("proofValue")
        .and_then(|v| v.as_str().map(str::to_owned))
    else {
        return Outcome::Failed("proof has no proofValue".into());
    };
    let mut unsecured = document.clone();
    if let Some(object) = unsecured.as_object_mut() {
        object.remove("proof");
    }
    // §3.3.2: a proof @context must be a prefix of the document's; absent, it is the document's.
    match (config.get("@context"), unsecured.get("@context")) {
        (Some(proof_context), Some(document_context)) => {
            let as_list = |v: &Value| match v {
                Value::Array(items) => items.clone(),
                other => vec![other.clone()],
            };
            let (prefix, full) = (as_list(proof_context), as_list(document_context));
            if prefix.len() > full.len() || prefix[..] != full[..prefix.len()] {
                return Outcome::Failed("proof @context does not match the document's".into());
            }
        }
        (None, Some(document_context)) => {
            config.insert("@context".into(), document_context.clone());
        }
        _ => {}
    }
    let hash = match jcs_hash(&Value::Object(config), &unsecured) {
        Ok(hash) => hash,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let signature = match multibase::decode(&proof_value) {
        Ok((multibase::Base::Base58Btc, bytes)) => {
            match ed25519_dalek::Signature::from_slice(&bytes) {
                Ok(signature) => signature,
                Err(_) => {
                    return Outcome::Failed("proofValue is not a 64-byte Ed25519 signature".into())
                }
            }
        }
        _ => return Outcome::Failed("proofValue is not base58btc multibase".into()),
    };
    match key.verify(&hash, &signature) {
        Ok(()) => Outcome::Passed,
        Err(_) => Outcome::Failed("signature does not match".into()),
    }
}

fn parse_instant(value: &Value) -> Option<DateTime<Utc>> {
    value
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
}

fn check_validity_period(credential: &Value, now: DateTime<Utc>, verdict: &mut Verdict) {
    let from = credential.get("validFrom");
    let until = credential.get("validUntil");
    let from_outcome = match from {
        None => Outcome::NotApplicable,
        Some(raw) => match parse_instant(raw) {
            None => Outcome::Failed("validFrom is not an XML Schema dateTimeStamp".into()),
            Some(from) if from > now => {
                Outcome::Failed(format!("not valid until {}", xsd_date_time(&from)))
            }
            Some(_) => Outcome::Passed,
        },
    };
    let until_outcome = match until {
        None => Outcome::NotApplicable,
        Some(raw) => match parse_instant(raw) {
            None => Outcome::Failed("validUntil is not an XML Schema dateTimeStamp".into()),
            Some(until) if until < now => {
                Outcome::Failed(format!("expired at {}", xsd_date_time(&until)))
            }
            Some(until)
                if from
                    .and_then(parse_instant)
                    .is_some_and(|from| from > until) =>
            {
                Outcome::Failed("validUntil is before validFrom".into())
            }
            Some(_) => Outcome::Passed,
        },
    };
    verdict.record(CheckName::ValidFrom, from_outcome);
    verdict.record(CheckName::ValidUntil, until_outcome);
}

/// Bitstring Status List (§3.2): every entry is read from its list, which must have been
/// fetched and verified; a list that could not be had is "could not check" (fail closed).
fn check_status(credential: &Value, lists: &StatusLists, verdict: &mut Verdict) {
    let entries = match StatusEntry::all_of(credential) {
        Ok(entries) => entries,
        Err(problem) => {
            verdict.record(CheckName::Status, Outcome::Failed(problem.to_string()));
            return;
        }
    };
    if entries.is_empty() {
        verdict.record(CheckName::Status, Outcome::NotApplicable);
        return;
    }
    for entry in entries {
        let outcome = match lists.lists.get(&entry.list_credential) {
            None => Outcome::CouldNotCheck(format!(
                "status list {} was not retrieved",
                entry.list_credential
            )),
            Some(Err(problem @ StatusProblem::Retrieval(_))) => {
                Outcome::CouldNotCheck(problem.to_string())
            }
            Some(Err(problem)) => Outcome::Failed(problem.to_string()),
            Some(Ok(list)) => match status_in(&entry, list) {
                Ok(false) => Outcome::Passed,
                Ok(true) => Outcome::Failed(match entry.purpose {
                    StatusPurpose::Revocation => "revoked".to_owned(),
                    StatusPurpose::Suspension => "suspended".to_owned(),
                }),
                Err(problem) => Outcome::Failed(problem.to_string()),
            },
        };
        verdict.record(CheckName::Status, outcome);
    }
}

/// BR-26a: the issuer was authorised for each of the credential's types when it issued it
/// (see [`crate::trust_list`] for the rule). A trust list that could not be had is "could
/// not check" (fail closed); no configured registry is "not applicable".
fn check_issuer_trusted(
    credential: &Value,
    trust_list: Option<&std::result::Result<TrustList, String>>,
    verdict: &mut Verdict,
) {
    let outcome = match trust_list {
        None => Outcome::NotApplicable,
        Some(Err(problem)) => {
            Outcome::CouldNotCheck(format!("the trust list is not available: {problem}"))
        }
        Some(Ok(list)) => issuer_trust(credential, list),
    };
    verdict.record(CheckName::IssuerTrusted, outcome);
}

fn issuer_trust(credential: &Value, list: &TrustList) -> Outcome {
    let Some(issuer) = issuer_of(credential) else {
        return Outcome::Failed("the credential names no issuer".into());
    };
    let types = credential_types(credential);
    if types.is_empty() {
        return Outcome::Failed("the credential names no type an issuer can be trusted for".into());
    }
    let Some(at) = issued_at(credential) else {
        return Outcome::Failed(
            "the credential says neither when it was signed (proof created) nor validFrom".into(),
        );
    };
    for credential_type in &types {
        let refusal = match list.decide(&issuer, credential_type, at) {
            TrustDecision::Trusted => continue,
            TrustDecision::NotListed => format!("issuer {issuer} is not in the trust registry"),
            TrustDecision::Removed => {
                format!("issuer {issuer} was removed from the trust registry")
            }
            TrustDecision::NotAuthorised => format!(
                "issuer {issuer} was not authorised to issue {credential_type} at {}",
                xsd_date_time(&at)
            ),
        };
        return Outcome::Failed(refusal);
    }
    Outcome::Passed
}

/// The status list URLs a document's credentials point at, so the caller can fetch them.
pub fn status_lists_named(document: &Value) -> Vec<String> {
    let mut urls = Vec::new();
    let mut documents = vec![document];
    documents.extend(embedded_credentials(document));
    for credential in documents {
        if let Ok(entries) = StatusEntry::all_of(credential) {
            urls.extend(entries.into_iter().map(|e| e.list_credential));
        }
    }
    urls.sort();
    urls.dedup();
    urls
}

/// Without the `json-schema` feature (the phone's library) nothing is recorded: the schema
/// is neither checked nor claimed, and TypeRules still checks the subject field by field.
#[cfg(not(feature = "json-schema"))]
fn check_schemas(_credential: &Value, _verdict: &mut Verdict) {}

#[cfg(feature = "json-schema")]
fn check_schemas(credential: &Value, verdict: &mut Verdict) {
    let schemas: Vec<&Value> = match credential.get("credentialSchema") {
        None => {
            verdict.record(CheckName::CredentialSchema, Outcome::NotApplicable);
            return;
        }
        Some(Value::Array(many)) => many.iter().collect(),
        Some(one) => vec![one],
    };
    for schema in schemas {
        let id = schema.get("id").and_then(Value::as_str).unwrap_or_default();
        let outcome = match (
            schema.get("type").and_then(Value::as_str),
            kind_of_schema_url(id),
        ) {
            (Some("JsonSchema"), Some(kind)) => validate_against_schema(credential, kind),
            (Some("JsonSchema"), None) => Outcome::CouldNotCheck(format!(
                "schema {id} is not one we hold (schemas are never fetched)"
            )),
            _ => Outcome::CouldNotCheck("credentialSchema type is not JsonSchema".into()),
        };
        verdict.record(CheckName::CredentialSchema, outcome);
    }
}

/// Validates a credential against one of our embedded JSON Schemas.
#[cfg(feature = "json-schema")]
pub fn validate_against_schema(credential: &Value, kind: CredentialKind) -> Outcome {
    let validator = match schema_validator(kind) {
        Ok(validator) => validator,
        Err(problem) => return Outcome::CouldNotCheck(problem.clone()),
    };
    let problems: Vec<String> = validator
        .iter_errors(credential)
        .take(5)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    if problems.is_empty() {
        Outcome::Passed
    } else {
        Outcome::Failed(problems.join("; "))
    }
}

/// Each embedded schema compiled once per process: compiling costs more than validating.
#[cfg(feature = "json-schema")]
fn schema_validator(
    kind: CredentialKind,
) -> std::result::Result<&'static jsonschema::Validator, &'static String> {
    static VALIDATORS: [OnceLock<std::result::Result<jsonschema::Validator, String>>; 7] =
        [const { OnceLock::new() }; 7];
    let slot = CredentialKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or_default();
    VALIDATORS[slot]
        .get_or_init(|| {
            let schema: Value = serde_json::from_str(schema_document(kind))
                .map_err(|e| format!("embedded schema does not parse: {e}"))?;
            jsonschema::validator_for(&schema)
                .map_err(|e| format!("embedded schema is invalid: {e}"))
        })
        .as_ref()
}

fn check_type_rules(credential: &Value, verdict: &mut Verdict) {
    let Some(kind) = CredentialKind::of_credential(credential) else {
        verdict.record(CheckName::TypeRules, Outcome::NotApplicable);
        return;
    };
    let outcome = match credential.get("credentialSubject") {
        Some(subject @ Value::Object(_)) => match CredentialSubject::from_json(kind, subject) {
            Ok(_) => Outcome::Passed,
            Err(e) => Outcome::Failed(e.to_string()),
        },
        _ => Outcome::Failed(format!(
            "a {} has exactly one credentialSubject object",
            kind.type_name()
        )),
    };
    verdict.record(CheckName::TypeRules, outcome);
}

fn compare_challenge(proof: Option<&Value>, expected: Option<&str>) -> Outcome {
    let actual = proof
        .and_then(|p| p.get("challenge"))
        .and_then(Value::as_str);
    match (expected, actual) {
        (None, _) => Outcome::Failed(
            "the verifier named no expected challenge; presentations are accepted only against one"
                .into(),
        ),
        (Some(e), Some(a)) if e == a => Outcome::Passed,
        (Some(_), Some(_)) => Outcome::Failed("challenge does not match the one issued".into()),
        (Some(_), None) => Outcome::Failed("proof has no challenge".into()),
    }
}

fn compare_domain(proof: Option<&Value>, expected: Option<&str>) -> Outcome {
    let actual: Vec<&str> = match proof.and_then(|p| p.get("domain")) {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    match expected {
        None => Outcome::Failed("the verifier named no expected domain".into()),
        // Data Integrity §4.4 compares domains as sets.
        Some(e) if actual.len() == 1 && actual[0] == e => Outcome::Passed,
        Some(_) if actual.is_empty() => Outcome::Failed("proof has no domain".into()),
        Some(_) => Outcome::Failed("domain does not match this verifier".into()),
    }
}

fn issuer_of(credential: &Value) -> Option<String> {
    match credential.get("issuer") {
        Some(Value::String(id)) => Some(id.clone()),
        Some(Value::Object(object)) => object.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

fn holder_of(presentation: &Value) -> Option<String> {
    match presentation.get("holder") {
        Some(Value::String(id)) => Some(id.clone()),
        Some(Value::Object(object)) => object.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

fn subject_ids(credential: &Value) -> Vec<Option<&str>> {
    match credential.get("credentialSubject") {
        Some(Value::Array(subjects)) => subjects
            .iter()
            .map(|s| s.get("id").and_then(Value::as_str))
            .collect(),
        Some(subject) => vec![subject.get("id").and_then(Value::as_str)],
        None => vec![None],
    }
}

fn check_holder_binding(
    holder: Option<&str>,
    signer_did: Option<&str>,
    credentials: &[&Value],
) -> Outcome {
    let Some(holder) = holder else {
        return Outcome::Failed("presentation names no holder".into());
    };
    if signer_did != Some(holder) {
        return Outcome::Failed("presentation was not signed by its holder".into());
    }
    for (index, credential) in credentials.iter().enumerate() {
        if subject_ids(credential).iter().any(|id| *id != Some(holder)) {
            return Outcome::Failed(format!(
                "the holder is not the subject of credential {index}"
            ));
        }
    }
    Outcome::Passed
}
