//! OpenID4VP presentation requests, as a service: an officer starts one from a template;
//! the wallet fetches the signed request object and posts its answer; every presentation
//! in it goes through the same checks as the VC API (proof, holder binding, validity,
//! status, issuer trust) plus what OpenID4VP adds (nonce, audience, the DCQL query); the
//! officer reads the result. Protocol rules live in [`crate::oid4vp`] and [`crate::dcql`];
//! this file fetches, stores and decides.

use std::collections::HashSet;
use std::path::Path;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use credentials::did::{did_of, did_web_document, did_web_for_base_url, ResolvedDids};
use credentials::sd_jwt::{
    read_status_list_token, verify_sd_jwt_vc, IssuerKeys, Jwk, SdJwtExpectations, SdJwtVcVerdict,
    TokenStatusList, TokenStatusLists,
};
use credentials::{CheckName, CredentialKind, Outcome, SigningIdentity};
use ed25519_dalek::SigningKey;
use serde_json::{json, Map, Value};
use service_kit::BearerToken;

use crate::dcql::DcqlQuery;
use crate::dcql::FORMAT_SD_JWT_VC;
use crate::oid4vp::{
    self, disclosed_claims, judge_ldp_credential, judge_sd_jwt_claims, parse_direct_post,
    presentations_in, requested_paths, AuthorizationResponse, CheckEntry, Presented,
    RequestObjectInput, ResponseError, Template,
};
use crate::request_store::{RequestRecord, RequestStore};
use crate::service::Verifier;
use crate::settings::VerifierSettings;

/// The OpenID4VP side of a verifier: its identity, templates and requests.
pub struct Oid4vp {
    signer: SigningIdentity,
    client_id: String,
    base_url: String,
    store: RequestStore,
    templates: Vec<Template>,
    request_lifetime: Duration,
    result_retention: Duration,
    officer: Option<BearerToken>,
}

/// Why an officer's or wallet's call about a request failed (problem JSON at the API).
#[derive(Debug, PartialEq, Eq)]
pub enum RequestError {
    NotFound(String),
    Malformed(String),
    Internal(String),
}

#[derive(Clone, Copy, Debug)]
pub enum QrImage {
    Png,
    Svg,
}

pub(crate) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Oid4vp {
    /// Opens the store under `dir`, loads (or on first start makes) the signing key, and
    /// reads the templates.
    pub fn open(settings: &VerifierSettings, dir: &Path) -> Result<Self, String> {
        let base_url = settings.public_base_url.trim_end_matches('/').to_owned();
        let did = did_web_for_base_url(&base_url).map_err(|e| format!("public_base_url: {e}"))?;
        let store = RequestStore::open(dir)?;
        let seed = store.signing_seed()?;
        let signer = SigningIdentity::new(SigningKey::from_bytes(&seed), format!("{did}#key-1"));
        let templates = match &settings.templates_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                oid4vp::templates_from_json(&text)?
            }
            None => oid4vp::default_templates(),
        };
        oid4vp::validate_templates(&templates)?;
        let officer = match settings.officer_token.as_deref() {
            Some(token) if token.len() < 16 => {
                return Err("officer_token must be at least 16 characters".into())
            }
            Some(token) => Some(BearerToken::new(token)),
            None => None,
        };
        Ok(Self {
            client_id: oid4vp::client_id(&did),
            signer,
            base_url,
            store,
            templates,
            request_lifetime: Duration::seconds(
                settings.request_lifetime_seconds.clamp(1, 3600) as i64
            ),
            result_retention: Duration::seconds(
                settings.result_retention_seconds.min(30 * 86_400) as i64
            ),
            officer,
        })
    }

    pub fn did(&self) -> &str {
        self.signer.did()
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    pub fn did_document(&self) -> Value {
        did_web_document(self.signer.did(), &self.signer.public_key())
    }

    /// The officer's token, when one is configured.
    /// The store's database, for the onboarding records that live beside the requests.
    pub(crate) fn database(&self) -> sled::Db {
        self.store.database()
    }

    /// A presentation request's record (its result once answered).
    pub(crate) fn request_record(&self, id: &str) -> Result<RequestRecord, RequestError> {
        self.record(id)
    }

    pub fn officer_token(&self) -> Option<&BearerToken> {
        self.officer.as_ref()
    }

    pub fn templates(&self) -> &[Template] {
        &self.templates
    }

    fn request_uri(&self, id: &str) -> String {
        format!("{}/request-objects/{id}", self.base_url)
    }

    pub(crate) fn link(&self, id: &str) -> String {
        oid4vp::openid4vp_uri(&self.client_id, &self.request_uri(id))
    }

    fn record(&self, id: &str) -> Result<RequestRecord, RequestError> {
        // Ids are ours (base64url); anything else cannot name a request.
        if id.is_empty()
            || id.len() > 64
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(RequestError::NotFound(
                "no presentation request with this id".into(),
            ));
        }
        self.store
            .get(id)
            .map_err(RequestError::Internal)?
            .ok_or_else(|| RequestError::NotFound("no presentation request with this id".into()))
    }
}

impl Verifier {
    /// Starts a presentation request from a template: a fresh id, nonce and state, stored
    /// before the link is handed out.
    pub fn create_presentation_request(
        &self,
        oid: &Oid4vp,
        template: &str,
    ) -> Result<Value, RequestError> {
        let template = oid
            .templates
            .iter()
            .find(|t| t.name == template)
            .ok_or_else(|| {
                let known: Vec<&str> = oid.templates.iter().map(|t| t.name.as_str()).collect();
                RequestError::Malformed(format!(
                    "no template named {template:?}; known: {}",
                    known.join(", ")
                ))
            })?;
        self.start_request(oid, &template.name, template.dcql_query.clone())
    }

    /// Starts a presentation request for a query (a template's, or one made for an
    /// onboarding); `purpose` names it in the officer's view.
    pub(crate) fn start_request(
        &self,
        oid: &Oid4vp,
        purpose: &str,
        dcql_query: DcqlQuery,
    ) -> Result<Value, RequestError> {
        let now = self.clock.now();
        if let Err(error) = oid.store.prune(now, oid.result_retention) {
            tracing::warn!(%error, "could not prune old presentation requests");
        }
        let record = RequestRecord {
            id: oid4vp::random_token(16),
            template: purpose.to_owned(),
            nonce: oid4vp::random_token(32),
            state: oid4vp::random_token(16),
            dcql_query,
            created_at: now,
            expires_at: now + oid.request_lifetime,
            answered_at: None,
            result: None,
        };
        oid.store.insert(&record).map_err(RequestError::Internal)?;
        let link = oid.link(&record.id);
        let png = crate::qr::png(&link).map_err(RequestError::Internal)?;
        let svg = crate::qr::svg(&link).map_err(RequestError::Internal)?;
        let own = format!("{}/presentation-requests/{}", oid.base_url, record.id);
        tracing::info!(template = %record.template, "presentation request started");
        Ok(json!({
            "id": record.id,
            "template": record.template,
            "status": "pending",
            "request_uri": oid.request_uri(&record.id),
            "openid4vp_uri": link,
            "expires_at": rfc3339(record.expires_at),
            "qr_png": STANDARD.encode(png),
            "qr_svg": svg,
            "qr_png_url": format!("{own}/qr.png"),
            "qr_svg_url": format!("{own}/qr.svg"),
            "result_url": own,
        }))
    }

    /// The signed request object, while the request waits for its answer. Signed afresh
    /// each time from what is stored (Ed25519 is deterministic: the same bytes each time).
    pub fn request_object(&self, oid: &Oid4vp, id: &str) -> Result<String, RequestError> {
        let record = oid.record(id)?;
        if record.answered_at.is_some() {
            return Err(RequestError::NotFound(
                "this presentation request has already been answered".into(),
            ));
        }
        if self.clock.now() >= record.expires_at {
            return Err(RequestError::NotFound(
                "this presentation request has expired".into(),
            ));
        }
        let response_uri = format!("{}/responses/{}", oid.base_url, record.id);
        let claims = oid4vp::request_object_claims(&RequestObjectInput {
            client_id: &oid.client_id,
            response_uri: &response_uri,
            nonce: &record.nonce,
            state: &record.state,
            dcql_query: &record.dcql_query,
            issued_at: record.created_at,
            expires_at: record.expires_at,
        });
        oid4vp::sign_request_object(&claims, &oid.signer).map_err(RequestError::Internal)
    }

    pub fn request_qr(
        &self,
        oid: &Oid4vp,
        id: &str,
        image: QrImage,
    ) -> Result<Vec<u8>, RequestError> {
        let record = oid.record(id)?;
        let link = oid.link(&record.id);
        match image {
            QrImage::Png => crate::qr::png(&link),
            QrImage::Svg => crate::qr::svg(&link).map(String::into_bytes),
        }
        .map_err(RequestError::Internal)
    }

    /// The officer's view: status (`pending`, `received`, `expired`) and, once checked,
    /// the result.
    pub fn presentation_request_view(&self, oid: &Oid4vp, id: &str) -> Result<Value, RequestError> {
        let record = oid.record(id)?;
        let status = match (&record.answered_at, self.clock.now() >= record.expires_at) {
            (Some(_), _) => "received",
            (None, true) => "expired",
            (None, false) => "pending",
        };
        let mut view = json!({
            "id": record.id,
            "template": record.template,
            "status": status,
            "created_at": rfc3339(record.created_at),
            "expires_at": rfc3339(record.expires_at),
            "request_uri": oid.request_uri(&record.id),
            "openid4vp_uri": oid.link(&record.id),
            "dcql_query": record.dcql_query,
            "result": record.result,
        });
        if let Some(at) = record.answered_at {
            view["received_at"] = rfc3339(at).into();
        }
        Ok(view)
    }

    /// The wallet's `direct_post` answer. Anything malformed, late, replayed or with the
    /// wrong `state` is refused and changes nothing. A well-formed answer is accepted for
    /// checking exactly once (the nonce is then spent), checked, and its result stored for
    /// the officer; the wallet gets `{}` when it passed, an `invalid_request` naming the
    /// failed checks (never their details, which may be personal) when it did not.
    pub async fn receive_response(
        &self,
        oid: &Oid4vp,
        id: &str,
        body: &[u8],
    ) -> Result<Value, ResponseError> {
        let record = oid.record(id).map_err(|e| match e {
            RequestError::NotFound(why) => ResponseError {
                status: 404,
                error: "invalid_request",
                description: why,
            },
            RequestError::Malformed(why) => ResponseError::invalid_request(why),
            RequestError::Internal(why) => internal(why),
        })?;
        let response = parse_direct_post(body)?;
        let now = self.clock.now();
        if record.answered_at.is_some() {
            return Err(ResponseError::invalid_request(
                "this presentation request was already answered; its nonce is spent (replay refused)",
            ));
        }
        if now >= record.expires_at {
            return Err(ResponseError::invalid_request(
                "this presentation request has expired",
            ));
        }
        if response.state() != Some(record.state.as_str()) {
            return Err(ResponseError::invalid_request(
                "state does not match the request",
            ));
        }
        let presented = match &response {
            AuthorizationResponse::VpToken { vp_token, .. } => Some(
                presentations_in(&record.dcql_query, vp_token)
                    .map_err(ResponseError::invalid_request)?,
            ),
            AuthorizationResponse::Error { .. } => None,
        };
        if !oid.store.claim(&record, now).map_err(internal)? {
            return Err(ResponseError::invalid_request(
                "this presentation request was already answered; its nonce is spent (replay refused)",
            ));
        }
        let result = match (&response, presented) {
            (
                AuthorizationResponse::Error {
                    error, description, ..
                },
                _,
            ) => {
                tracing::info!(template = %record.template, "the wallet declined a presentation request");
                json!({
                    "verified": false,
                    "received_at": rfc3339(now),
                    "wallet_error": {"error": error, "error_description": description},
                    "checks": [CheckEntry::new("state", &Outcome::Passed)],
                    "credentials": {},
                    "problems": [format!("the wallet answered with error {error}")],
                })
            }
            (_, Some(presented)) => self.judge_response(oid, &record, &presented, now).await,
            (_, None) => return Err(internal("a vp_token without presentations")),
        };
        let verified = result["verified"] == json!(true);
        let failed: Vec<String> = result["problems"]
            .as_array()
            .map(|p| {
                p.iter()
                    .filter_map(|p| p["summary"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let mut answered = record.clone();
        answered.answered_at = Some(now);
        answered.result = Some(result);
        oid.store.insert(&answered).map_err(internal)?;
        match response {
            AuthorizationResponse::Error { .. } => Ok(json!({})),
            AuthorizationResponse::VpToken { .. } if verified => {
                tracing::info!(template = %record.template, "presentation accepted");
                Ok(json!({}))
            }
            AuthorizationResponse::VpToken { .. } => {
                tracing::info!(template = %record.template, "presentation refused");
                Err(ResponseError::invalid_request(format!(
                    "the presentation was refused: {}",
                    failed.join("; ")
                )))
            }
        }
    }

    async fn judge_response(
        &self,
        oid: &Oid4vp,
        record: &RequestRecord,
        presented: &[Presented<'_>],
        now: DateTime<Utc>,
    ) -> Value {
        let mut credentials = Map::new();
        let mut answered: HashSet<&str> = HashSet::new();
        let mut problems = Vec::new();
        let mut all_verified = true;
        for item in presented {
            let judged = match item.query.format.as_str() {
                FORMAT_SD_JWT_VC => self.judge_sd_jwt(oid, record, item).await,
                _ => self.judge_ldp(oid, record, item).await,
            };
            let label = format!("{}[{}]", item.query.id, item.index);
            let verified = judged.checks.iter().all(CheckEntry::acceptable);
            for check in judged.checks.iter().filter(|c| !c.acceptable()) {
                problems.push(json!({
                    "summary": format!("{label}: {} {}", check.name, check.outcome),
                    "detail": format!("{label}: {}: {}", check.name, check.detail.as_deref().unwrap_or(&check.outcome)),
                }));
            }
            if verified {
                answered.insert(item.query.id.as_str());
            } else {
                all_verified = false;
            }
            let entry = json!({
                "format": item.query.format,
                "verified": verified,
                "credential_type": judged.credential_type,
                "issuer": judged.issuer,
                "requested_claims": requested_paths(item.query),
                "claims": if verified { judged.claims } else { Value::Null },
                "checks": judged.checks,
            });
            match credentials.get_mut(&item.query.id) {
                Some(Value::Array(list)) => list.push(entry),
                _ => {
                    credentials.insert(item.query.id.clone(), Value::Array(vec![entry]));
                }
            }
        }
        let sets = match record.dcql_query.satisfied_by(&answered) {
            Ok(()) => Outcome::Passed,
            Err(why) => Outcome::Failed(why),
        };
        let sets_entry = CheckEntry::new("credentialSets", &sets);
        if !sets_entry.acceptable() {
            problems.push(json!({
                "summary": "credentialSets failed",
                "detail": sets_entry.detail.clone().unwrap_or_default(),
            }));
        }
        json!({
            "verified": all_verified && sets_entry.acceptable(),
            "received_at": rfc3339(now),
            "checks": [
                CheckEntry::new("state", &Outcome::Passed),
                CheckEntry::new("expiry", &Outcome::Passed),
                CheckEntry::new("vpToken", &Outcome::Passed),
                sets_entry,
            ],
            "credentials": credentials,
            "problems": problems,
        })
    }

    async fn judge_ldp(
        &self,
        oid: &Oid4vp,
        record: &RequestRecord,
        item: &Presented<'_>,
    ) -> Judged {
        let mut judged = Judged::default();
        let verdict = match self
            .verify_presentation(
                item.presentation,
                Some(record.nonce.clone()),
                Some(oid.client_id.clone()),
            )
            .await
        {
            Ok(verdict) => verdict,
            Err(error) => {
                judged.checks.push(CheckEntry::new(
                    "presentationStructure",
                    &Outcome::Failed(error.to_string()),
                ));
                return judged;
            }
        };
        for check in verdict
            .presentation
            .checks
            .iter()
            .filter(|c| c.name != CheckName::Credentials)
        {
            let prefix = match check.name {
                CheckName::Structure | CheckName::KeyResolution | CheckName::Proof => {
                    "presentation"
                }
                _ => "",
            };
            judged.checks.push(CheckEntry::from_check(check, prefix));
        }
        let embedded: Vec<&Value> = match item.presentation.get("verifiableCredential") {
            Some(Value::Array(many)) => many.iter().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => Vec::new(),
        };
        if embedded.len() != 1 || verdict.credentials.len() != 1 {
            judged.checks.push(CheckEntry::new(
                "dcql",
                &Outcome::Failed(format!(
                    "an ldp_vc presentation answers one credential query with exactly one credential; this one holds {}",
                    embedded.len()
                )),
            ));
            return judged;
        }
        let credential = embedded[0];
        judged.checks.extend(
            verdict.credentials[0]
                .checks
                .iter()
                .map(|c| CheckEntry::from_check(c, "")),
        );
        judged.checks.push(CheckEntry::new(
            "dcql",
            &judge_ldp_credential(item.query, credential),
        ));
        judged.issuer = match credential.get("issuer") {
            Some(Value::String(id)) => Value::String(id.clone()),
            Some(Value::Object(object)) => object.get("id").cloned().unwrap_or(Value::Null),
            _ => Value::Null,
        };
        judged.credential_type = catalogue_type(credential);
        judged.claims = credential
            .get("credentialSubject")
            .cloned()
            .unwrap_or(Value::Null);
        judged
    }

    async fn judge_sd_jwt(
        &self,
        oid: &Oid4vp,
        record: &RequestRecord,
        item: &Presented<'_>,
    ) -> Judged {
        let mut judged = Judged::default();
        let presented = item.presentation.as_str().unwrap_or_default();
        let keys = self.sd_jwt_issuer_keys(presented).await;
        let lists = self.token_status_lists(presented).await;
        let trust = self.trust_snapshot().await;
        let mut expected =
            SdJwtExpectations::presentation(&oid.client_id, &record.nonce, self.clock.now())
                .with_status_lists(&lists);
        if let Some(trust) = &trust {
            expected = expected.with_trust_list(trust);
        }
        let verdict = verify_sd_jwt_vc(presented, &keys, &expected);
        judged.checks.extend(
            verdict
                .verdict
                .checks
                .iter()
                .map(|c| CheckEntry::from_check(c, "")),
        );
        let dcql = match verdict.claims() {
            Some(claims) => judge_sd_jwt_claims(item.query, claims),
            None => Outcome::CouldNotCheck(
                "the credential did not verify, so its claims were not read".into(),
            ),
        };
        judged.checks.push(CheckEntry::new("dcql", &dcql));
        judged.credential_type = verdict
            .kind
            .map(|k| Value::String(k.type_name().to_owned()))
            .unwrap_or(Value::Null);
        judged.issuer = SdJwtVcVerdict::issuer_of(presented)
            .and_then(|iss| did_web_for_base_url(&iss).ok())
            .map(Value::String)
            .unwrap_or(Value::Null);
        judged.claims = verdict
            .claims()
            .map(|c| Value::Object(disclosed_claims(c)))
            .unwrap_or(Value::Null);
        judged
    }

    /// The SD-JWT issuer's key, from the did:web its `iss` names (ADR 0005: `iss` is the
    /// https URL of the issuer's did:web). The header's `kid` must be a method of that DID
    /// authorised for assertions: the same key, resolved the same way (pinned documents,
    /// then did:web), as its Data Integrity credentials.
    async fn sd_jwt_issuer_keys(&self, presented: &str) -> IssuerKeys {
        let mut keys = IssuerKeys::new();
        let Some(iss) = SdJwtVcVerdict::issuer_of(presented) else {
            return keys;
        };
        let Ok(did) = did_web_for_base_url(&iss) else {
            keys.unavailable(
                iss,
                "iss names no did:web issuer, and no other key discovery is accepted",
            );
            return keys;
        };
        let kid = jwt_header(presented)
            .and_then(|h| h.get("kid").and_then(Value::as_str).map(str::to_owned));
        let Some(kid) = kid.filter(|kid| did_of(kid) == did) else {
            // An empty key set: "no key with this kid", checked and failed.
            keys.insert(iss, Vec::new());
            return keys;
        };
        let dids = ResolvedDids::resolve_all(self.resolver.as_ref(), [kid.as_str()]).await;
        match dids.public_key(&kid, "assertionMethod") {
            Ok(key) => keys.insert(iss, vec![Jwk::ed25519(&key).with_kid(kid)]),
            Err(credentials::did::KeyProblem::Unresolvable(why)) => keys.unavailable(iss, why),
            Err(credentials::did::KeyProblem::Invalid(_)) => keys.insert(iss, Vec::new()),
        }
        keys
    }

    /// The Status List Token an SD-JWT VC's `status.status_list.uri` names (ADR 0005:
    /// IETF Token Status List, `statuslist+jwt`), fetched (cached for its `ttl`, dropped on
    /// a change-feed event for that URL like any list) and read only once its signature by
    /// the did:web key its `kid` names, its `sub` (the URI itself) and its `exp` check out.
    /// Anything short of that is "could not check", never "valid".
    ///
    /// Only two signers are believed: the credential's own issuer, or the trust registry
    /// whose trust list this verifier follows (the framework delegates status to it). A
    /// list signed by anyone else could say "valid" for a revoked credential.
    async fn token_status_lists(&self, presented: &str) -> TokenStatusLists {
        let mut lists = TokenStatusLists::default();
        let Some(reference) = SdJwtVcVerdict::status_reference_of(presented) else {
            return lists;
        };
        let mut signers: Vec<String> = SdJwtVcVerdict::issuer_of(presented)
            .and_then(|iss| did_web_for_base_url(&iss).ok())
            .into_iter()
            .collect();
        if let Some(trust_list) = self.trust_list_fetcher() {
            signers.push(trust_list.registry_did().to_owned());
        }
        let read = match self.status_lists.fetch_token(&reference.uri).await {
            Err(problem) => Err(problem.to_string()),
            Ok(token) => self.read_token(&token, &reference.uri, &signers).await,
        };
        lists.lists.insert(reference.uri, read);
        lists
    }

    async fn read_token(
        &self,
        token: &str,
        uri: &str,
        signers: &[String],
    ) -> Result<TokenStatusList, String> {
        let kid = jwt_header(token)
            .and_then(|h| h.get("kid").and_then(Value::as_str).map(str::to_owned))
            .ok_or("the status list token names no kid")?;
        signer_allowed(&kid, signers)?;
        let dids = ResolvedDids::resolve_all(self.resolver.as_ref(), [kid.as_str()]).await;
        let key = dids
            .public_key(&kid, "assertionMethod")
            .map_err(|e| format!("the status list token's key: {e}"))?;
        read_status_list_token(token, uri, &key, self.clock.now())
    }
}

/// Whether the DID whose key `kid` names is one of `signers` (the credential's issuer, the
/// trust registry): the DID is everything before the fragment, compared whole.
fn signer_allowed(kid: &str, signers: &[String]) -> Result<(), String> {
    let signer = kid.split_once('#').map_or(kid, |(did, _)| did);
    if signers.iter().any(|allowed| allowed == signer) {
        Ok(())
    } else {
        Err(format!(
            "the status list token is signed by {signer}, neither the credential's issuer nor the trust registry"
        ))
    }
}

fn internal(cause: impl std::fmt::Display) -> ResponseError {
    tracing::error!(%cause, "internal error at the response endpoint");
    ResponseError {
        status: 500,
        error: "server_error",
        description: "the verifier could not process the response".into(),
    }
}

#[derive(Default)]
struct Judged {
    checks: Vec<CheckEntry>,
    credential_type: Value,
    issuer: Value,
    claims: Value,
}

fn catalogue_type(credential: &Value) -> Value {
    let types: Vec<&str> = match credential.get("type") {
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    types
        .into_iter()
        .find_map(CredentialKind::from_type_name)
        .map(|k| Value::String(k.type_name().to_owned()))
        .unwrap_or(Value::Null)
}

/// The decoded JOSE header of a compact JWT (the issuer-signed part of an SD-JWT), read
/// without checking anything, to know which key to fetch.
fn jwt_header(token: &str) -> Option<Map<String, Value>> {
    let header = token.split(['.', '~']).next()?;
    let bytes = URL_SAFE_NO_PAD.decode(header).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_list_token_is_believed_only_from_the_issuer_or_the_registry() {
        let signers = [
            "did:web:127.0.0.1%3A8401".to_owned(),
            "did:web:127.0.0.1%3A8402".to_owned(),
        ];
        assert!(signer_allowed("did:web:127.0.0.1%3A8401#key-1", &signers).is_ok());
        assert!(signer_allowed("did:web:127.0.0.1%3A8402#key-1", &signers).is_ok());
        for stranger in [
            "did:web:127.0.0.1%3A8403#key-1",
            "did:web:127.0.0.1%3A8401:evil#key-1",
            "did:web:127.0.0.1%3A840#key-1",
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "#key-1",
            "",
        ] {
            let refused = signer_allowed(stranger, &signers).unwrap_err();
            assert!(refused.contains("neither"), "{stranger}: {refused}");
        }
        assert!(signer_allowed("did:web:127.0.0.1%3A8401#key-1", &[]).is_err());
    }

    #[test]
    fn the_header_of_an_sd_jwt_is_read_for_its_kid() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"EdDSA","kid":"did:web:x#key-1"}"#);
        let header = jwt_header(&format!("{header}.e30.sig~d1~")).unwrap();
        assert_eq!(header["kid"], "did:web:x#key-1");
        assert!(jwt_header("not a jwt").is_none());
    }
}
