//! The issuer's operations, free of HTTP: import people, issue from a record, issue
//! through the VC API. Handlers in [`crate::api`] only translate to and from these.

use std::collections::HashSet;
use std::sync::Arc;

use credentials::catalogue::{xsd_date_time, Organisation};
use credentials::did::{did_web_document, did_web_for_base_url};
use credentials::identifiers::OdsCode;
use credentials::securing::{sign_credential, validate_against_schema};
use credentials::vocabulary::pinned_contexts;
use credentials::{
    Clock, CredentialKind, CredentialSubject, Cryptosuite, IssuerIdentity, Outcome, ProofRequest,
    SigningIdentity, UnsignedCredential,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::error::{IssuerError, Result};
use crate::esr::{
    parse_extract_with, EsrPerson, FieldProblem, ImportPolicy, RecordRejection, RecordWarning,
};
use crate::issuance::{assignment_of, credentials_for, IssuanceContext};
use crate::status::StatusAllocator;
use crate::store::{Commit, CredentialState, IssuanceRecord, IssuerStore, LedgerEntry};
use credentials::rbac::RbacCatalogue;

pub struct Issuer {
    pub(crate) store: Arc<dyn IssuerStore>,
    signer: SigningIdentity,
    identity: IssuerIdentity,
    pub(crate) organisation: Organisation,
    pub(crate) catalogue: Arc<RbacCatalogue>,
    pub(crate) clock: Arc<dyn Clock>,
    did_document: Value,
    import_policy: ImportPolicy,
    pub(crate) status: Option<Arc<dyn StatusAllocator>>,
    /// Lifecycle steps (ESR events, RA decisions) run one at a time, so that idempotency,
    /// per-person ordering and the ledger are decided against settled state.
    pub(crate) lifecycle: tokio::sync::Mutex<()>,
    /// OpenID4VCI: endpoints, the MAC secret for PINs and nonces, lifetimes.
    pub(crate) oid4vci: crate::offers::Oid4vci,
    console: Option<service_kit::console::ConsoleAccounts>,
    public_base_url: String,
}

/// What the RA asks for when issuing a person's credentials.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PersonIssueRequest {
    /// The holder's DID (did:key): the credentials are bound to it.
    pub holder: Option<String>,
    /// `eddsa-rdfc-2022` (default) or `eddsa-jcs-2022`.
    pub cryptosuite: Option<Cryptosuite>,
    /// Only these types (default: every type the record supports).
    pub types: Option<Vec<String>>,
}

/// W3C VC API `IssueCredentialRequest`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VcApiIssueRequest {
    pub credential: Value,
    #[serde(default)]
    pub options: Map<String, Value>,
}

/// Signed credentials with what must be stored about them.
#[derive(Default)]
pub(crate) struct SignedForPerson {
    pub credentials: Vec<Value>,
    pub records: Vec<IssuanceRecord>,
    pub ledger: Vec<LedgerEntry>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ImportReport {
    pub imported: usize,
    pub skipped: Vec<RecordRejection>,
    /// Accepted records with something a later step must act on (e.g. a local grant that
    /// does not name its approving RA confers no role credential, BR-9).
    pub warnings: Vec<RecordWarning>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PersonSummary {
    pub person_id: String,
    pub given_name: String,
    pub family_name: String,
    pub status: String,
    pub organisations: Vec<String>,
}

impl Issuer {
    pub fn new(
        store: Arc<dyn IssuerStore>,
        catalogue: Arc<RbacCatalogue>,
        organisation_ods: &str,
        public_base_url: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let ods =
            OdsCode::parse(organisation_ods).map_err(|e| IssuerError::Settings(e.to_string()))?;
        let trust = catalogue.trust(&ods).ok_or_else(|| {
            IssuerError::Settings(format!("organisation {ods} is not in the RBAC catalogue"))
        })?;
        let organisation = Organisation {
            ods_code: ods.clone(),
            name: trust.name.clone(),
        };
        let did = did_web_for_base_url(public_base_url)?;
        let seed = store.signing_key_seed()?;
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let did_document = did_web_document(&did, &key.verifying_key());
        let signer = SigningIdentity::new(key, format!("{did}#key-1"));
        let oid4vci = crate::offers::Oid4vci::new(public_base_url, store.oid4vci_secret()?);
        let identity = IssuerIdentity {
            id: did,
            name: organisation.name.clone(),
        };
        Ok(Self {
            store,
            signer,
            identity,
            organisation,
            catalogue,
            clock,
            did_document,
            import_policy: ImportPolicy::default(),
            status: None,
            lifecycle: tokio::sync::Mutex::new(()),
            oid4vci,
            console: None,
            public_base_url: public_base_url.to_owned(),
        })
    }

    /// Enables the RA console's sign-in (its accounts live in the issuer's store).
    pub fn with_console(mut self, accounts: service_kit::console::ConsoleAccounts) -> Self {
        self.console = Some(accounts);
        self
    }

    pub fn console(&self) -> Option<&service_kit::console::ConsoleAccounts> {
        self.console.as_ref()
    }

    pub fn public_base_url(&self) -> &str {
        &self.public_base_url
    }

    /// Every credential issued from now on gets status entries from this allocator.
    pub fn with_status_allocator(mut self, allocator: Arc<dyn StatusAllocator>) -> Self {
        self.status = Some(allocator);
        self
    }

    /// Whether imports accept only synthetic (fictional, `QQ` NI number) records.
    pub fn with_import_policy(mut self, policy: ImportPolicy) -> Self {
        self.import_policy = policy;
        self
    }

    pub fn did(&self) -> &str {
        &self.identity.id
    }

    /// The issuer's signing identity, for the securing functions of `credentials` (the
    /// key inside never leaves it).
    pub(crate) fn signer(&self) -> &SigningIdentity {
        &self.signer
    }

    /// JWT VC Issuer Metadata (SD-JWT VC §3): the key that signs this issuer's SD-JWT VCs.
    pub fn jwt_vc_issuer_metadata(&self) -> Result<Value> {
        Ok(credentials::sd_jwt::jwt_vc_issuer_metadata(&self.signer)?)
    }

    pub fn did_document(&self) -> &Value {
        &self.did_document
    }

    pub fn organisation(&self) -> &Organisation {
        &self.organisation
    }

    /// Imports an ESR extract. A batch with an invalid record imports nothing unless the
    /// caller asks to skip invalid records; then the report lists them.
    pub fn import_people(&self, extract: &Value, skip_invalid: bool) -> Result<ImportReport> {
        let validation = parse_extract_with(extract, &self.catalogue, &self.import_policy)
            .map_err(|e| IssuerError::BadRequest(e.to_string()))?;
        let warnings = validation.warnings().to_vec();
        let (valid, mut rejected) = validation.into_parts();
        let (accepted, clashing) = self.without_identity_clashes(valid)?;
        rejected.extend(clashing);
        rejected.sort_by_key(|r| r.index);
        if !rejected.is_empty() && !skip_invalid {
            return Err(IssuerError::InvalidRecords(rejected));
        }
        let records = accepted
            .iter()
            .map(|(_, person)| {
                serde_json::to_value(person)
                    .map(|v| (person.person_id.clone(), v))
                    .map_err(|e| IssuerError::Store(e.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        self.store.put_people(&records)?;
        Ok(ImportReport {
            imported: records.len(),
            skipped: rejected,
            warnings,
        })
    }

    /// BR-1: one Care Identity UUID per person, across what is stored as well as the batch.
    #[allow(clippy::type_complexity)]
    fn without_identity_clashes(
        &self,
        batch: Vec<(usize, EsrPerson)>,
    ) -> Result<(Vec<(usize, EsrPerson)>, Vec<RecordRejection>)> {
        let mut stored = std::collections::HashMap::new();
        for record in self.store.people()? {
            if let (Some(id), Some(uuid)) = (
                record.get("person_id").and_then(Value::as_str),
                record.get("uuid").and_then(Value::as_str),
            ) {
                stored.insert(uuid.to_owned(), id.to_owned());
            }
        }
        let mut accepted = Vec::new();
        let mut rejected = Vec::new();
        for (index, person) in batch {
            match stored.get(person.uuid.as_str()) {
                Some(owner) if *owner != person.person_id => rejected.push(RecordRejection {
                    index,
                    person_id: Some(person.person_id.clone()),
                    problems: vec![FieldProblem {
                        field: "uuid".into(),
                        problem: format!("this Care Identity UUID already belongs to {owner}"),
                        rule: Some("BR-1"),
                    }],
                }),
                _ => accepted.push((index, person)),
            }
        }
        Ok((accepted, rejected))
    }

    pub fn person(&self, person_id: &str) -> Result<Value> {
        self.store
            .person(person_id)?
            .ok_or_else(|| IssuerError::UnknownPerson(person_id.to_owned()))
    }

    pub fn people_summary(&self) -> Result<Vec<PersonSummary>> {
        let mut people: Vec<PersonSummary> = self
            .store
            .people()?
            .into_iter()
            .filter_map(|record| serde_json::from_value::<EsrPerson>(record).ok())
            .map(|p| PersonSummary {
                organisations: p
                    .assignments
                    .iter()
                    .map(|a| a.org_ods.to_string())
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect(),
                person_id: p.person_id,
                given_name: p.given_name,
                family_name: p.family_name,
                status: serde_json::to_value(p.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
            })
            .collect();
        people.sort_by(|a, b| a.person_id.cmp(&b.person_id));
        Ok(people)
    }

    pub fn person_count(&self) -> Result<usize> {
        self.store.person_count()
    }

    pub fn issuances(&self) -> Result<Vec<IssuanceRecord>> {
        self.store.issuances()
    }

    /// Issues every credential a person's record supports (or the types asked for),
    /// signs them, records them durably, and only then returns them.
    pub async fn issue_for_person(
        &self,
        person_id: &str,
        request: &PersonIssueRequest,
    ) -> Result<Vec<Value>> {
        let record = self.person(person_id)?;
        let person: EsrPerson = serde_json::from_value(record)
            .map_err(|e| IssuerError::Store(format!("stored record unreadable: {e}")))?;
        if let Some(holder) = &request.holder {
            if !holder.starts_with("did:") {
                return Err(IssuerError::BadRequest(
                    "holder must be a DID (e.g. did:key:z6Mk…)".into(),
                ));
            }
        }
        let wanted: Option<HashSet<CredentialKind>> = match &request.types {
            None => None,
            Some(names) => Some(
                names
                    .iter()
                    .map(|n| {
                        CredentialKind::from_type_name(n).ok_or_else(|| {
                            IssuerError::BadRequest(format!("unknown credential type {n}"))
                        })
                    })
                    .collect::<Result<_>>()?,
            ),
        };
        let context = self.issuance_context(request.holder.clone());
        let unsigned: Vec<_> = credentials_for(&person, &context)?
            .into_iter()
            .filter(|c| wanted.as_ref().is_none_or(|w| w.contains(&c.kind())))
            .collect();
        if unsigned.is_empty() {
            return Err(IssuerError::NotIssuable(format!(
                "{person_id}'s record supports none of the credentials asked for from {}",
                self.organisation.ods_code
            )));
        }
        let suite = request.cryptosuite.unwrap_or(Cryptosuite::EddsaRdfc2022);
        let _lifecycle = self.lifecycle.lock().await;
        let issued = self
            .sign_for_person(&person, unsigned, suite, request.holder.clone(), None)
            .await?;
        self.store.commit(&Commit {
            ledger: issued.ledger,
            issuances: issued.records,
            ..Commit::default()
        })?;
        Ok(issued.credentials)
    }

    pub(crate) fn issuance_context(&self, holder: Option<String>) -> IssuanceContext<'_> {
        IssuanceContext {
            issuer: &self.identity,
            organisation: &self.organisation,
            catalogue: &self.catalogue,
            now: self.clock.now(),
            holder,
        }
    }

    /// Signs a person's credentials with their status entries, and prepares their
    /// issuance records and ledger entries for the caller to commit.
    pub(crate) async fn sign_for_person(
        &self,
        person: &EsrPerson,
        unsigned: Vec<UnsignedCredential>,
        suite: Cryptosuite,
        holder: Option<String>,
        cause: Option<&str>,
    ) -> Result<SignedForPerson> {
        let mut signed_for = SignedForPerson::default();
        for credential in unsigned {
            let mut document = credential.to_json()?;
            self.add_status(&mut document).await?;
            let signed = self.sign(&document, suite).await?;
            let record = self.issuance_record(
                &signed,
                suite,
                Some(&person.person_id),
                Some(credential.subject.care_identity_uuid().to_string()),
                holder.clone(),
            )?;
            signed_for.ledger.push(LedgerEntry {
                credential_id: record.credential_id.clone(),
                credential_type: credential.kind().type_name().to_owned(),
                person_id: person.person_id.clone(),
                assignment_number: assignment_of(
                    &credential.subject,
                    person,
                    &self.organisation.ods_code,
                ),
                holder: holder.clone(),
                issued_at: record.issued_at.clone(),
                issued_for: cause.map(str::to_owned),
                state: CredentialState::Active,
                history: Vec::new(),
                credential: signed.clone(),
            });
            signed_for.records.push(record);
            signed_for.credentials.push(signed);
        }
        Ok(signed_for)
    }

    /// W3C VC API issue: signs the caller's credential if it is ours to sign.
    pub async fn issue_vc_api(
        &self,
        request: VcApiIssueRequest,
        suite: Cryptosuite,
    ) -> Result<Value> {
        let mut credential = match request.credential {
            Value::Object(object) => object,
            _ => {
                return Err(IssuerError::BadRequest(
                    "credential must be a JSON object".into(),
                ))
            }
        };
        let mut credential_id = None;
        for (name, value) in &request.options {
            match name.as_str() {
                "credentialId" => {
                    credential_id = Some(
                        value
                            .as_str()
                            .ok_or_else(|| {
                                IssuerError::BadRequest(
                                    "options.credentialId must be a string".into(),
                                )
                            })?
                            .to_owned(),
                    )
                }
                other => {
                    return Err(IssuerError::UnknownOption(format!(
                        "option {other} is not supported"
                    )))
                }
            }
        }
        if credential.contains_key("proof") {
            return Err(IssuerError::BadRequest(
                "the credential already has a proof".into(),
            ));
        }
        match credential.get("issuer") {
            None => {
                credential.insert(
                    "issuer".into(),
                    serde_json::to_value(&self.identity)
                        .map_err(|e| IssuerError::Store(e.to_string()))?,
                );
            }
            Some(Value::String(id)) if id == self.did() => {}
            Some(Value::Object(object))
                if object.get("id").and_then(Value::as_str) == Some(self.did()) => {}
            Some(_) => {
                return Err(IssuerError::BadRequest(format!(
                    "issuer must be {} (this issuer)",
                    self.did()
                )))
            }
        }
        if let Some(id) = credential_id {
            credential.insert("id".into(), Value::String(id));
        }
        credential
            .entry("id")
            .or_insert_with(|| Value::String(uuid::Uuid::new_v4().urn().to_string()));
        credential
            .entry("validFrom")
            .or_insert_with(|| Value::String(xsd_date_time(&self.clock.now())));
        if let Some(kind) = CredentialKind::of_credential(&Value::Object(credential.clone())) {
            // A catalogue credential always names its schema; callers need not repeat it.
            credential.entry("credentialSchema").or_insert_with(|| {
                serde_json::json!({"id": credentials::vocabulary::schema_url(kind), "type": "JsonSchema"})
            });
        }
        let document = Value::Object(credential);
        check_contexts_are_pinned(&document)?;
        let subject_uuid = check_catalogue_rules(&document)?;
        let mut document = document;
        if subject_uuid.is_some() && document.get("credentialStatus").is_none() {
            self.add_status(&mut document).await?;
        }
        let signed = self.sign(&document, suite).await?;
        let holder = signed
            .pointer("/credentialSubject/id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let record = self.issuance_record(
            &signed,
            suite,
            None,
            subject_uuid.or_else(|| holder.clone()),
            holder,
        )?;
        self.store.record_issuances(&[record])?;
        Ok(signed)
    }

    /// Asks the registry for the credential's revocation and suspension entries (BR-23).
    async fn add_status(&self, document: &mut Value) -> Result<()> {
        let Some(allocator) = &self.status else {
            return Ok(());
        };
        let id = document
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        document["credentialStatus"] = Value::Array(allocator.allocate(&id).await?);
        Ok(())
    }

    async fn sign(&self, document: &Value, suite: Cryptosuite) -> Result<Value> {
        let request = ProofRequest {
            created: Some(self.clock.now()),
            ..Default::default()
        };
        Ok(sign_credential(document, &self.signer, suite, &request).await?)
    }

    fn issuance_record(
        &self,
        signed: &Value,
        suite: Cryptosuite,
        person_id: Option<&str>,
        subject: Option<String>,
        holder: Option<String>,
    ) -> Result<IssuanceRecord> {
        let bytes = serde_json::to_vec(signed).map_err(|e| IssuerError::Store(e.to_string()))?;
        let credential_type = match signed.get("type") {
            Some(Value::Array(types)) => types
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "VerifiableCredential")
                .collect::<Vec<_>>()
                .join(","),
            Some(Value::String(t)) => t.clone(),
            _ => String::new(),
        };
        Ok(IssuanceRecord {
            credential_id: signed
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            credential_type,
            subject,
            holder,
            person_id: person_id.map(str::to_owned),
            issued_at: xsd_date_time(&self.clock.now()),
            cryptosuite: suite.name().to_owned(),
            sha256: hex::encode(Sha256::digest(&bytes)),
        })
    }
}

fn check_contexts_are_pinned(document: &Value) -> Result<()> {
    let pinned = pinned_contexts();
    let contexts = match document.get("@context") {
        Some(Value::Array(contexts)) => contexts,
        _ => {
            return Err(IssuerError::BadRequest(
                "@context must be an array starting with https://www.w3.org/ns/credentials/v2"
                    .into(),
            ))
        }
    };
    for context in contexts {
        match context.as_str() {
            Some(url) if pinned.contains_key(url) => {}
            Some(url) => {
                return Err(IssuerError::BadRequest(format!(
                    "context {url} is not one this issuer signs with"
                )))
            }
            None => {
                return Err(IssuerError::BadRequest(
                    "embedded @context objects are not accepted; use context URLs".into(),
                ))
            }
        }
    }
    Ok(())
}

/// A catalogue credential must meet its type rules and schema before we sign it.
fn check_catalogue_rules(document: &Value) -> Result<Option<String>> {
    let Some(kind) = CredentialKind::of_credential(document) else {
        return Ok(None);
    };
    let subject = document
        .get("credentialSubject")
        .ok_or_else(|| IssuerError::BadRequest("credentialSubject is required".into()))?;
    let typed = CredentialSubject::from_json(kind, subject)
        .map_err(|e| IssuerError::BadRequest(e.to_string()))?;
    if let Outcome::Failed(problem) | Outcome::CouldNotCheck(problem) =
        validate_against_schema(document, kind)
    {
        return Err(IssuerError::BadRequest(format!(
            "the credential does not meet the {} schema: {problem}",
            kind.type_name()
        )));
    }
    Ok(Some(typed.care_identity_uuid().to_string()))
}
