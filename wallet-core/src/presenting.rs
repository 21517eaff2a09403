//! The wallet's side of OpenID4VP: read and check a request, show what it asks, answer
//! with what the holder agreed to.

use std::collections::BTreeMap;

use chrono::Utc;
use credentials::did::{did_of, ed25519_from_multibase, DidResolver as _};
use credentials::sd_jwt::{present, JwtSigner};
use credentials::securing::{prepare_presentation_proof, Cryptosuite, ProofRequest};
use ed25519_dalek::Verifier as _;
use serde::Serialize;
use serde_json::{json, Value};

use crate::error::{Result, WalletError};
use crate::keys::{KeyHandle, KeyStore};
use crate::oid4vp::{
    candidate_for, parse_request_link, split_jws, Candidate, DcqlQuery, DID_PREFIX,
    REQUEST_OBJECT_TYPE,
};
use crate::store::HistoryEntry;
use crate::wallet::{Wallet, LDP_VC, SD_JWT_VC};

/// A checked request, and what in the wallet could answer each of its queries.
#[derive(Clone, Debug, Serialize)]
pub struct PresentationRequest {
    /// The full client_id, prefix included: the audience of what is presented.
    pub client_id: String,
    pub verifier_did: String,
    /// The name the verifier gives itself in `client_metadata` (unverified).
    pub verifier_name: Option<String>,
    /// Who the trust registry says the verifier is, when the wallet checks a trust list.
    pub registered_as: Option<RegisteredVerifier>,
    pub response_uri: String,
    pub nonce: String,
    pub state: Option<String>,
    pub dcql_query: DcqlQuery,
    /// Query id → credentials that could answer it, best first.
    pub candidates: BTreeMap<String, Vec<Candidate>>,
}

/// A verifier as the trust registry lists it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RegisteredVerifier {
    pub name: String,
    pub ods_code: String,
}

/// What the verifier said after receiving the answer.
#[derive(Clone, Debug, Serialize)]
pub struct PresentationReceipt {
    pub redirect_uri: Option<String>,
    pub presented: BTreeMap<String, String>,
}

/// A wallet key, as the SD-JWT code wants a signer.
struct StoreSigner<'a> {
    keys: &'a dyn KeyStore,
    key_id: String,
    public_key: ed25519_dalek::VerifyingKey,
}

impl<'a> StoreSigner<'a> {
    fn new(keys: &'a dyn KeyStore, key: KeyHandle) -> Result<Self> {
        let public_key =
            ed25519_dalek::VerifyingKey::from_bytes(&key.public_key).map_err(|_| {
                WalletError::Corrupt {
                    detail: format!("key {} has an invalid public key", key.id),
                }
            })?;
        Ok(Self {
            keys,
            key_id: key.id,
            public_key,
        })
    }
}

impl JwtSigner for StoreSigner<'_> {
    fn public_key(&self) -> ed25519_dalek::VerifyingKey {
        self.public_key
    }

    fn sign(&self, message: &[u8]) -> credentials::Result<[u8; 64]> {
        self.keys
            .sign(&self.key_id, message)
            .map_err(|e| credentials::Error::Signing(e.to_string()))
    }
}

impl Wallet {
    /// Reads an `openid4vp://` link: fetches the request object, checks it is signed by
    /// the key of the DID its client_id names, and matches its DCQL query.
    pub async fn read_request(&self, link: &str) -> Result<PresentationRequest> {
        let link = parse_request_link(link)?;
        let jws: String = self.http().get_text(&link.request_uri).await?;
        let jws = split_jws(&jws)?;
        let untrusted = |detail: &str| WalletError::UntrustedVerifier {
            detail: detail.to_owned(),
        };
        let invalid = |detail: &str| WalletError::InvalidRequest {
            detail: detail.to_owned(),
        };
        if jws.header.get("typ").and_then(Value::as_str) != Some(REQUEST_OBJECT_TYPE) {
            return Err(invalid(
                "the request object's typ is not oauth-authz-req+jwt",
            ));
        }
        if jws.header.get("alg").and_then(Value::as_str) != Some("EdDSA") {
            return Err(invalid("the request object must be signed with EdDSA"));
        }
        let payload = &jws.payload;
        let text = |name: &str| payload.get(name).and_then(Value::as_str).map(str::to_owned);
        let client_id = text("client_id").ok_or_else(|| invalid("client_id is missing"))?;
        if client_id != link.client_id {
            return Err(invalid(
                "the link's client_id differs from the request object's",
            ));
        }
        let verifier_did = client_id
            .strip_prefix(DID_PREFIX)
            .ok_or_else(|| {
                untrusted(
                    "only verifiers identified by a DID (decentralized_identifier:) are accepted",
                )
            })?
            .to_owned();
        let kid = jws
            .header
            .get("kid")
            .and_then(Value::as_str)
            .ok_or_else(|| untrusted("the request object names no key"))?;
        if did_of(kid) != verifier_did {
            return Err(untrusted("the request is signed by a key of another DID"));
        }
        let key = self.resolve_did_web_key(&verifier_did, kid).await?;
        let signature = ed25519_dalek::Signature::from_slice(&jws.signature)
            .map_err(|_| untrusted("the signature is malformed"))?;
        key.verify(jws.signing_input.as_bytes(), &signature)
            .map_err(|_| untrusted("the request object's signature does not verify"))?;

        let registered_as = self.registered_verifier(&verifier_did).await?;

        if let Some(exp) = payload.get("exp").and_then(Value::as_i64) {
            if exp < Utc::now().timestamp() {
                return Err(invalid("the request has expired"));
            }
        }
        if text("response_type").as_deref() != Some("vp_token") {
            return Err(invalid("response_type must be vp_token"));
        }
        if text("response_mode").as_deref() != Some("direct_post") {
            return Err(invalid("only response_mode direct_post is supported"));
        }
        // §5, §5.1: a wallet that does not support transaction_data MUST refuse; an
        // answer would pass for the holder's authorization of a transaction never shown.
        if payload.get("transaction_data").is_some() {
            return Err(invalid(
                "transaction_data is not supported: the transaction cannot be shown or authorized",
            ));
        }
        if payload.get("redirect_uri").is_some() {
            return Err(invalid(
                "direct_post requests carry a response_uri, not a redirect_uri",
            ));
        }
        let response_uri =
            text("response_uri").ok_or_else(|| invalid("response_uri is missing"))?;
        self.http().check(&response_uri)?;
        let nonce = text("nonce")
            .filter(|n| {
                !n.is_empty()
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
            })
            .ok_or_else(|| invalid("nonce is missing or has characters outside [A-Za-z0-9-._~]"))?;
        let dcql_query: DcqlQuery = match payload.get("dcql_query") {
            Some(Value::String(s)) => serde_json::from_str(s),
            Some(v) => serde_json::from_value(v.clone()),
            None => return Err(invalid("only DCQL queries (dcql_query) are supported")),
        }
        .map_err(|e| invalid(&format!("dcql_query: {e}")))?;
        dcql_query.validate()?;

        let stored = self.credentials()?;
        let mut candidates = BTreeMap::new();
        for query in &dcql_query.credentials {
            let found: Vec<Candidate> = stored
                .iter()
                .filter_map(|s| candidate_for(query, s))
                .collect();
            candidates.insert(query.id.clone(), found);
        }
        Ok(PresentationRequest {
            client_id,
            verifier_did,
            verifier_name: payload
                .pointer("/client_metadata/client_name")
                .and_then(Value::as_str)
                .map(str::to_owned),
            registered_as,
            response_uri,
            nonce,
            state: text("state"),
            dcql_query,
            candidates,
        })
    }

    /// Whether the trust registry lists this verifier as active; refused if it does not.
    async fn registered_verifier(&self, did: &str) -> Result<Option<RegisteredVerifier>> {
        use credentials::trust_list::{verify_trust_list, VerifierTrust};
        let Some(url) = &self.options().trust_list_url else {
            return Ok(None);
        };
        let untrusted = |detail: String| WalletError::UntrustedVerifier { detail };
        let registry_did = self
            .registry_did()
            .ok_or_else(|| untrusted(format!("no registry DID is known for {url}")))?;
        let document: Value = self.http().get_json(url).await?;
        let dids = crate::dids::WebDids {
            http: self.http().clone(),
        };
        let list = verify_trust_list(&document, &registry_did, &dids, &credentials::SystemClock)
            .await
            .map_err(|e| untrusted(format!("the trust list cannot be used: {e}")))?;
        match list.verifier_trust(did, Utc::now()) {
            VerifierTrust::Trusted { name, ods_code } => {
                Ok(Some(RegisteredVerifier { name, ods_code }))
            }
            VerifierTrust::Suspended => Err(untrusted(format!(
                "{did} is suspended in the trust registry"
            ))),
            VerifierTrust::Removed => Err(untrusted(format!(
                "{did} has been removed from the trust registry"
            ))),
            VerifierTrust::Unknown => Err(untrusted(format!(
                "{did} is not a verifier the trust registry knows"
            ))),
        }
    }

    async fn resolve_did_web_key(
        &self,
        did: &str,
        kid: &str,
    ) -> Result<ed25519_dalek::VerifyingKey> {
        let untrusted = |detail: String| WalletError::UntrustedVerifier { detail };
        let document = crate::dids::WebDids {
            http: self.http().clone(),
        }
        .resolve(did)
        .await
        .map_err(|e| untrusted(format!("{did}: {e}")))?;
        let fragment = kid.split_once('#').map(|(_, f)| f).unwrap_or_default();
        let method = document
            .get("verificationMethod")
            .and_then(Value::as_array)
            .and_then(|methods| {
                methods.iter().find(|m| {
                    let id = m.get("id").and_then(Value::as_str).unwrap_or_default();
                    id == kid || id == format!("#{fragment}")
                })
            })
            .ok_or_else(|| untrusted(format!("{did} has no key {kid}")))?;
        let multibase = method
            .get("publicKeyMultibase")
            .and_then(Value::as_str)
            .ok_or_else(|| untrusted(format!("{kid} is not a Multikey")))?;
        ed25519_from_multibase(multibase).map_err(|e| untrusted(e.to_string()))
    }

    /// Answers a request with the credentials the holder chose (query id → credential id),
    /// disclosing only what each query asks; records it in the history.
    pub async fn answer(
        &self,
        request: &PresentationRequest,
        chosen: &BTreeMap<String, String>,
    ) -> Result<PresentationReceipt> {
        let answerable = |id: &str| {
            chosen.get(id).is_some_and(|credential_id| {
                request
                    .candidates
                    .get(id)
                    .is_some_and(|c| c.iter().any(|c| &c.credential_id == credential_id))
            })
        };
        let queries = request.dcql_query.plan(&answerable)?;
        let mut vp_token = serde_json::Map::new();
        let mut disclosed_claims = Vec::new();
        let mut presented = BTreeMap::new();
        for query_id in &queries {
            let query = request
                .dcql_query
                .credentials
                .iter()
                .find(|q| &q.id == query_id)
                .ok_or_else(|| WalletError::InvalidRequest {
                    detail: format!("no query {query_id}"),
                })?;
            let credential_id = chosen.get(query_id).cloned().unwrap_or_default();
            let stored = self.credential(&credential_id)?;
            let candidate =
                candidate_for(query, &stored).ok_or_else(|| WalletError::CannotAnswer {
                    missing: query_id.clone(),
                })?;
            let key = self.key_store().key(&stored.key_id)?;
            let presentation = match stored.format.as_str() {
                LDP_VC => {
                    let unsigned = json!({
                        "@context": [credentials::vocabulary::VC_V2_CONTEXT_URL],
                        "type": ["VerifiablePresentation"],
                        "holder": key.did()?,
                        "verifiableCredential": [stored.credential],
                    });
                    let proof = ProofRequest {
                        created: Some(Utc::now()),
                        challenge: Some(request.nonce.clone()),
                        domain: Some(request.client_id.clone()),
                    };
                    let prepared = prepare_presentation_proof(
                        &unsigned,
                        &key.verification_method()?,
                        Cryptosuite::EddsaRdfc2022,
                        &proof,
                    )
                    .await
                    .map_err(|e| WalletError::BadCredential {
                        detail: e.to_string(),
                    })?;
                    let signature = self.key_store().sign(&key.id, prepared.data_to_sign())?;
                    disclosed_claims
                        .push(json!({"credential_query": query_id, "whole_credential": true}));
                    prepared.finish(&signature)
                }
                SD_JWT_VC => {
                    let text = stored.credential.as_str().unwrap_or_default();
                    let signer = StoreSigner::new(self.key_store(), key)?;
                    let presentation = present(
                        text,
                        &candidate.disclosed,
                        &signer,
                        &request.client_id,
                        &request.nonce,
                        Utc::now(),
                    )
                    .map_err(|e| WalletError::BadCredential {
                        detail: e.to_string(),
                    })?;
                    for path in &candidate.disclosed {
                        disclosed_claims.push(json!({"credential_query": query_id, "path": path}));
                    }
                    Value::String(presentation)
                }
                other => {
                    return Err(WalletError::BadCredential {
                        detail: format!("format {other} cannot be presented"),
                    })
                }
            };
            vp_token.insert(query_id.clone(), Value::Array(vec![presentation]));
            presented.insert(query_id.clone(), credential_id);
        }
        let vp_token = Value::Object(vp_token).to_string();
        let mut form = vec![("vp_token", vp_token.as_str())];
        if let Some(state) = &request.state {
            form.push(("state", state.as_str()));
        }
        let answer: Value = self.http().post_form(&request.response_uri, &form).await?;
        self.store().record(&HistoryEntry::Presented {
            at: credentials::catalogue::xsd_date_time(&Utc::now()),
            verifier: request.client_id.clone(),
            verifier_name: request.verifier_name.clone(),
            credential_ids: presented.values().cloned().collect(),
            claims: disclosed_claims,
        })?;
        Ok(PresentationReceipt {
            redirect_uri: answer
                .get("redirect_uri")
                .and_then(Value::as_str)
                .map(str::to_owned),
            presented,
        })
    }
}
