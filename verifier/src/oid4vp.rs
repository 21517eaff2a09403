//! OpenID4VP 1.0 (final) from the verifier's side, free of I/O: the named request
//! templates (each a DCQL query over `ldp_vc` and `dc+sd-jwt`), the signed request object
//! (JAR, RFC 9101), the `openid4vp://` link, reading a `direct_post` answer, checking the
//! shape of a `vp_token` against its query, and judging each presentation against its
//! Credential Query once its cryptography has been verified.
//!
//! The client identifier is `decentralized_identifier:<our did:web>` (§5.9.3); that full
//! string, prefix included, is the audience every presentation must name (§14.8).

use std::collections::HashSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use credentials::sd_jwt::{JwtSigner, PathElement};
use credentials::vocabulary::{type_iri, vct};
use credentials::{Check, CheckName, CredentialKind, Outcome, SigningIdentity};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::dcql::{describe_path, CredentialQuery, DcqlQuery, FORMAT_LDP_VC, FORMAT_SD_JWT_VC};

/// The JOSE `typ` of a request object (§5: the wallet MUST reject any other).
pub const REQUEST_OBJECT_TYP: &str = "oauth-authz-req+jwt";
/// The media type the request object is served with at `request_uri`.
pub const REQUEST_OBJECT_MEDIA_TYPE: &str = "application/oauth-authz-req+jwt";
pub const CLIENT_ID_PREFIX: &str = "decentralized_identifier:";
/// §5.8: with static discovery (the `openid4vp://` scheme) the request's audience.
pub const STATIC_DISCOVERY_AUDIENCE: &str = "https://self-issued.me/v2";
pub const RESPONSE_MODE: &str = "direct_post";
pub const RESPONSE_TYPE: &str = "vp_token";

/// The full client identifier of a verifier on this DID (§5.9.3).
pub fn client_id(did: &str) -> String {
    format!("{CLIENT_ID_PREFIX}{did}")
}

/// A random URL-safe token: `bytes` of OS randomness as base64url. Nonces use 32 bytes
/// (256 bits, above the errata's 128), identifiers and `state` 16.
pub fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buffer);
    URL_SAFE_NO_PAD.encode(buffer)
}

// ---------------------------------------------------------------------------------------
// Templates

/// A named request an onboarding officer can start: what it is for, and its DCQL query.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub name: String,
    pub description: String,
    pub dcql_query: DcqlQuery,
}

/// One need of a request: a credential type and the claims wanted from it, asked for in
/// both formats, either of which satisfies it.
pub(crate) struct Need {
    pub id: &'static str,
    pub kind: CredentialKind,
    pub claims: &'static [&'static str],
    /// Claims wanted when the credential has them: a credential without them still answers
    /// (DCQL `claim_sets`, the fullest option first).
    pub optional_claims: &'static [&'static str],
    pub required: bool,
}

/// The DCQL query for a list of needs.
pub(crate) fn query_for_needs(needs: &[Need]) -> DcqlQuery {
    let mut credentials = Vec::new();
    let mut sets = Vec::new();
    for need in needs {
        let ldp_id = format!("{}_ldp", need.id);
        let sd_id = format!("{}_sd_jwt", need.id);
        let names: Vec<&str> = need
            .claims
            .iter()
            .chain(need.optional_claims)
            .copied()
            .collect();
        // Every subset of the optional claims, largest first, each with all the required.
        let optional = need.optional_claims.len();
        let mut subsets: Vec<u32> = (0..1u32 << optional).collect();
        subsets.sort_by_key(|mask| std::cmp::Reverse(mask.count_ones()));
        let claim_sets: Vec<Vec<&str>> = subsets
            .iter()
            .map(|mask| {
                need.claims
                    .iter()
                    .copied()
                    .chain(
                        need.optional_claims
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| mask & (1 << i) != 0)
                            .map(|(_, c)| *c),
                    )
                    .collect()
            })
            .collect();
        for (id, format, meta, prefix) in [
            (
                &ldp_id,
                FORMAT_LDP_VC,
                json!({"type_values": [[type_iri(need.kind)]]}),
                Some("credentialSubject"),
            ),
            (
                &sd_id,
                FORMAT_SD_JWT_VC,
                json!({"vct_values": [vct(need.kind)]}),
                None,
            ),
        ] {
            let claims: Vec<Value> = names
                .iter()
                .map(|c| {
                    let path: Vec<&str> = prefix.into_iter().chain([*c]).collect();
                    if optional == 0 {
                        json!({"path": path})
                    } else {
                        json!({"id": c, "path": path})
                    }
                })
                .collect();
            let mut query = json!({"id": id, "format": format, "meta": meta, "claims": claims});
            if optional > 0 {
                query["claim_sets"] = json!(claim_sets);
            }
            credentials.push(query);
        }
        let mut set = json!({"options": [[ldp_id], [sd_id]]});
        if !need.required {
            set["required"] = false.into();
        }
        sets.push(set);
    }
    serde_json::from_value(json!({"credentials": credentials, "credential_sets": sets}))
        .unwrap_or_else(|_| DcqlQuery {
            credentials: Vec::new(),
            credential_sets: None,
        })
}

fn template_from_needs(name: &str, description: &str, needs: &[Need]) -> Template {
    Template {
        name: name.to_owned(),
        description: description.to_owned(),
        dcql_query: query_for_needs(needs),
    }
}

pub(crate) const IDENTITY: Need = Need {
    id: "identity",
    kind: CredentialKind::CareIdentity,
    claims: &[
        "careIdentityUuid",
        "givenName",
        "familyName",
        "identityProofing",
    ],
    optional_claims: &[],
    required: true,
};

/// The templates a verifier starts with (replaced by `templates_file` when set). Each need
/// is asked for as `ldp_vc` or as `dc+sd-jwt`, whichever the wallet holds.
pub fn default_templates() -> Vec<Template> {
    vec![
        template_from_needs(
            "new-starter",
            "A new starter: identity, employment, employment checks, and professional registration where the person has one (BR-26)",
            &[
                IDENTITY,
                Need {
                    id: "employment",
                    kind: CredentialKind::Employment,
                    claims: &["employer", "positionTitle", "staffGroup", "startDate"],
                    optional_claims: &[],
                    required: true,
                },
                Need {
                    id: "checks",
                    kind: CredentialKind::EmploymentChecks,
                    claims: &["checkedBy", "checks"],
                    optional_claims: &[],
                    required: true,
                },
                Need {
                    id: "registration",
                    kind: CredentialKind::ProfessionalRegistration,
                    claims: &["regulator", "registrationNumber", "registrationStatus", "renewalDue"],
                    optional_claims: &[],
                    required: false,
                },
            ],
        ),
        template_from_needs(
            "right-to-work",
            "Right to work: an identity checked by an identity service provider (BR-29)",
            &[IDENTITY],
        ),
        template_from_needs(
            "registration-check",
            "Professional registration: regulator, number, status and renewal",
            &[Need {
                id: "registration",
                kind: CredentialKind::ProfessionalRegistration,
                claims: &["regulator", "registrationNumber", "registrationStatus", "renewalDue"],
                optional_claims: &[],
                required: true,
            }],
        ),
        template_from_needs(
            "role-check",
            "A role held at the person's own organisation, for information only: a trust grants its own roles (BR-28)",
            &[Need {
                id: "role",
                kind: CredentialKind::Role,
                claims: &["organisation", "jobRole"],
                optional_claims: &[],
                required: true,
            }],
        ),
    ]
}

/// Templates from a JSON file: `{"<name>": {"description": "…", "dcql_query": {…}}, …}`
/// (JSON, not TOML: a claims path holds `null`). Every query is validated; a bad one stops
/// the service from starting, never a request at run time.
pub fn templates_from_json(text: &str) -> Result<Vec<Template>, String> {
    let value: Map<String, Value> =
        serde_json::from_str(text).map_err(|e| format!("templates file: {e}"))?;
    let mut templates = Vec::new();
    for (name, body) in value {
        let description = body
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let dcql_query: DcqlQuery = body
            .get("dcql_query")
            .cloned()
            .ok_or_else(|| format!("template {name} has no dcql_query"))
            .and_then(|q| serde_json::from_value(q).map_err(|e| format!("template {name}: {e}")))?;
        templates.push(Template {
            name,
            description,
            dcql_query,
        });
    }
    validate_templates(&templates)?;
    Ok(templates)
}

pub fn validate_templates(templates: &[Template]) -> Result<(), String> {
    if templates.is_empty() {
        return Err("at least one presentation template is needed".into());
    }
    let mut names = HashSet::new();
    for template in templates {
        if template.name.is_empty() || !names.insert(template.name.as_str()) {
            return Err(format!(
                "template name {:?} is empty or repeated",
                template.name
            ));
        }
        template
            .dcql_query
            .validate()
            .map_err(|why| format!("template {}: {why}", template.name))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The request

/// What this verifier accepts (§11.1 `vp_formats_supported`, B.1.3.2.3 and B.3.4).
pub fn vp_formats_supported() -> Value {
    json!({
        FORMAT_LDP_VC: {
            "proof_type_values": ["DataIntegrityProof"],
            "cryptosuite_values": ["eddsa-rdfc-2022", "eddsa-jcs-2022"],
        },
        FORMAT_SD_JWT_VC: {
            "sd-jwt_alg_values": ["EdDSA"],
            "kb-jwt_alg_values": ["EdDSA"],
        },
    })
}

pub struct RequestObjectInput<'a> {
    pub client_id: &'a str,
    pub response_uri: &'a str,
    pub nonce: &'a str,
    pub state: &'a str,
    pub dcql_query: &'a DcqlQuery,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The request object's claims (§5, §8.2). No `iss`: the wallet must ignore it anyway, and
/// the signature by the client_id's DID is what authenticates us.
pub fn request_object_claims(input: &RequestObjectInput<'_>) -> Value {
    json!({
        "client_id": input.client_id,
        "response_type": RESPONSE_TYPE,
        "response_mode": RESPONSE_MODE,
        "response_uri": input.response_uri,
        "nonce": input.nonce,
        "state": input.state,
        "dcql_query": input.dcql_query,
        "client_metadata": {"vp_formats_supported": vp_formats_supported()},
        "aud": STATIC_DISCOVERY_AUDIENCE,
        "iat": input.issued_at.timestamp(),
        "exp": input.expires_at.timestamp(),
    })
}

/// Signs a request object: a compact JWS, `alg` EdDSA, `typ` oauth-authz-req+jwt, `kid` the
/// DID URL of our key (§5.9.3: for `decentralized_identifier`, the kid names the key).
pub fn sign_request_object(claims: &Value, signer: &SigningIdentity) -> Result<String, String> {
    let header =
        json!({"alg": "EdDSA", "typ": REQUEST_OBJECT_TYP, "kid": signer.verification_method()});
    let encode = |v: &Value| {
        serde_json::to_vec(v)
            .map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
            .map_err(|e| e.to_string())
    };
    let signing_input = format!("{}.{}", encode(&header)?, encode(claims)?);
    let signature = JwtSigner::sign(signer, signing_input.as_bytes()).map_err(|e| e.to_string())?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// `openid4vp://?client_id=…&request_uri=…` (§5.10, §13.1.2): by reference, so the QR code
/// stays small and the request stays signed.
pub fn openid4vp_uri(client_id: &str, request_uri: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("request_uri", request_uri)
        .finish();
    format!("openid4vp://?{query}")
}

// ---------------------------------------------------------------------------------------
// The response

/// An OAuth error for the wallet at the response endpoint: `{error, error_description}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

impl ResponseError {
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self {
            status: 400,
            error: "invalid_request",
            description: description.into(),
        }
    }

    pub fn body(&self) -> Value {
        json!({"error": self.error, "error_description": self.description})
    }
}

/// A `direct_post` authorization response (§8.2), read but not yet checked.
#[derive(Clone, Debug, PartialEq)]
pub enum AuthorizationResponse {
    VpToken {
        vp_token: Map<String, Value>,
        state: Option<String>,
    },
    /// The wallet declined or failed (§8.5), e.g. `access_denied`.
    Error {
        error: String,
        description: Option<String>,
        state: Option<String>,
    },
}

impl AuthorizationResponse {
    pub fn state(&self) -> Option<&str> {
        match self {
            AuthorizationResponse::VpToken { state, .. }
            | AuthorizationResponse::Error { state, .. } => state.as_deref(),
        }
    }
}

/// Reads an `application/x-www-form-urlencoded` body: `vp_token=<JSON object>&state=…`, or
/// `error=…[&error_description=…]&state=…`. A repeated parameter, both or neither of
/// `vp_token` and `error`, or an encrypted `response` (we ask for `direct_post` only) is
/// refused.
pub fn parse_direct_post(body: &[u8]) -> Result<AuthorizationResponse, ResponseError> {
    let mut fields: Map<String, Value> = Map::new();
    for (name, value) in form_urlencoded::parse(body) {
        if fields
            .insert(name.clone().into_owned(), Value::String(value.into_owned()))
            .is_some()
        {
            return Err(ResponseError::invalid_request(format!(
                "{name} is sent more than once"
            )));
        }
    }
    let text = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_owned);
    if fields.contains_key("response") {
        return Err(ResponseError::invalid_request(
            "an encrypted response was sent, but this request asked for direct_post",
        ));
    }
    let state = text("state");
    match (text("vp_token"), text("error")) {
        (Some(_), Some(_)) => Err(ResponseError::invalid_request(
            "a response carries vp_token or error, not both",
        )),
        (None, None) => Err(ResponseError::invalid_request(
            "the response has neither vp_token nor error",
        )),
        (None, Some(error)) => Ok(AuthorizationResponse::Error {
            error,
            description: text("error_description"),
            state,
        }),
        (Some(token), None) => match serde_json::from_str::<Value>(&token) {
            Ok(Value::Object(vp_token)) => Ok(AuthorizationResponse::VpToken { vp_token, state }),
            Ok(_) => Err(ResponseError::invalid_request(
                "vp_token must be a JSON object of credential query ids to arrays of presentations",
            )),
            Err(_) => Err(ResponseError::invalid_request("vp_token is not JSON")),
        },
    }
}

/// One presentation to verify: the Credential Query it answers, and where it sits.
#[derive(Clone, Debug)]
pub struct Presented<'a> {
    pub query: &'a CredentialQuery,
    pub index: usize,
    pub presentation: &'a Value,
}

/// The response-level checks of §8.1 and §8.6 step 1: only ids the query asked for, each an
/// array of presentations (exactly one unless `multiple`), each of its format's JSON type
/// (a string for `dc+sd-jwt`, an object for `ldp_vc`). Failing any rejects the whole token.
pub fn presentations_in<'a>(
    query: &'a DcqlQuery,
    vp_token: &'a Map<String, Value>,
) -> Result<Vec<Presented<'a>>, String> {
    if vp_token.is_empty() {
        return Err("vp_token is empty".into());
    }
    let mut presented = Vec::new();
    for (id, value) in vp_token {
        let credential_query = query
            .query(id)
            .ok_or_else(|| format!("vp_token answers {id}, which was not asked for"))?;
        let items = value
            .as_array()
            .ok_or_else(|| format!("vp_token.{id} must be an array of presentations"))?;
        if items.is_empty() {
            return Err(format!("vp_token.{id} is an empty array"));
        }
        if !credential_query.multiple && items.len() != 1 {
            return Err(format!(
                "vp_token.{id} has {} presentations; the query allows exactly one",
                items.len()
            ));
        }
        for (index, item) in items.iter().enumerate() {
            let fits = match credential_query.format.as_str() {
                FORMAT_SD_JWT_VC => item.is_string(),
                FORMAT_LDP_VC => item.is_object(),
                _ => false,
            };
            if !fits {
                return Err(format!(
                    "vp_token.{id}[{index}] is not a {} presentation ({})",
                    credential_query.format,
                    if credential_query.format == FORMAT_SD_JWT_VC {
                        "a string"
                    } else {
                        "a JSON object"
                    }
                ));
            }
            presented.push(Presented {
                query: credential_query,
                index,
                presentation: item,
            });
        }
    }
    Ok(presented)
}

// ---------------------------------------------------------------------------------------
// Judging one presentation against its query

/// One check in the officer's result: `{name, outcome, detail?}` with outcome `passed`,
/// `failed`, `couldNotCheck` or `notApplicable`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckEntry {
    pub name: String,
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl CheckEntry {
    pub fn new(name: &str, outcome: &Outcome) -> Self {
        let (outcome, detail) = match outcome {
            Outcome::Passed => ("passed", None),
            Outcome::Failed(why) => ("failed", Some(why.clone())),
            Outcome::CouldNotCheck(why) => ("couldNotCheck", Some(why.clone())),
            Outcome::NotApplicable => ("notApplicable", None),
        };
        Self {
            name: name.to_owned(),
            outcome: outcome.to_owned(),
            detail,
        }
    }

    /// From a verdict's check. In OpenID4VP terms a challenge is the request's nonce and a
    /// domain (or a KB-JWT's `aud`) its audience, so they are named that way.
    pub fn from_check(check: &Check, prefix: &str) -> Self {
        let name = match check.name {
            CheckName::Challenge => "nonce".to_owned(),
            CheckName::Domain => "audience".to_owned(),
            other => {
                let base = serde_json::to_value(other)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                if prefix.is_empty() {
                    base
                } else {
                    let mut chars = base.chars();
                    match chars.next() {
                        Some(first) => {
                            format!("{prefix}{}{}", first.to_uppercase(), chars.as_str())
                        }
                        None => prefix.to_owned(),
                    }
                }
            }
        };
        Self::new(&name, &check.outcome)
    }

    pub fn acceptable(&self) -> bool {
        self.outcome == "passed" || self.outcome == "notApplicable"
    }
}

/// SD-JWT VC claims that are about the token, not the person: never counted as disclosed.
const SD_JWT_TECHNICAL_CLAIMS: [&str; 9] = [
    "iss",
    "iat",
    "nbf",
    "exp",
    "vct",
    "cnf",
    "status",
    "jti",
    "vct#integrity",
];

/// DCQL for an `ldp_vc` presentation's one credential (paths rooted at the credential,
/// B.1): its type is one the query accepts, and the requested claims are there (with an
/// asked-for value, if any). Data Integrity discloses the whole credential, so nothing
/// is "too much" here.
pub fn judge_ldp_credential(query: &CredentialQuery, credential: &Value) -> Outcome {
    let types = credentials::vocabulary::expanded_types(credential);
    if !query.accepts_type(&types, None) {
        return Outcome::Failed("the credential is not of a type this query asks for".into());
    }
    match query.chosen_claims(credential) {
        Ok(_) => Outcome::Passed,
        Err(why) => Outcome::Failed(why),
    }
}

/// DCQL for a verified SD-JWT VC (paths rooted at the processed payload, B.3): its `vct` is
/// one the query accepts, the requested claims were disclosed, and nothing else was
/// (§6.4: a wallet MUST NOT send selectively disclosable claims that were not selected).
/// Disclosure is judged per top-level claim: the disclosures of an asked-for claim's
/// elements or parents belong to it.
pub fn judge_sd_jwt_claims(query: &CredentialQuery, claims: &Value) -> Outcome {
    let vct_value = claims.get("vct").and_then(Value::as_str);
    if !query.accepts_type(&[], vct_value) {
        return Outcome::Failed("the credential's vct is not one this query asks for".into());
    }
    let chosen = match query.chosen_claims(claims) {
        Ok(chosen) => chosen,
        Err(why) => return Outcome::Failed(why),
    };
    let asked: HashSet<&str> = chosen
        .iter()
        .filter_map(|claim| match claim.path.first() {
            Some(PathElement::Key(name)) => Some(name.as_str()),
            _ => None,
        })
        .collect();
    let disclosed = disclosed_claims(claims);
    let extra: Vec<&str> = disclosed
        .keys()
        .map(String::as_str)
        .filter(|name| !asked.contains(name))
        .collect();
    if extra.is_empty() {
        Outcome::Passed
    } else {
        Outcome::Failed(format!(
            "disclosed claims that were not requested: {}",
            extra.join(", ")
        ))
    }
}

/// The person's claims of a processed SD-JWT VC payload, the token's own claims left out.
pub fn disclosed_claims(claims: &Value) -> Map<String, Value> {
    claims
        .as_object()
        .map(|object| {
            object
                .iter()
                .filter(|(name, _)| !SD_JWT_TECHNICAL_CLAIMS.contains(&name.as_str()))
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Paths the query asked for, for the officer's view.
pub fn requested_paths(query: &CredentialQuery) -> Vec<String> {
    query
        .claims
        .iter()
        .flatten()
        .map(|c| describe_path(&c.path))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use credentials::sd_jwt::Jwk;
    use ed25519_dalek::SigningKey;

    fn identity() -> SigningIdentity {
        SigningIdentity::new(
            SigningKey::from_bytes(&[7; 32]),
            "did:web:verifier.example.nhs.uk#key-1".into(),
        )
    }

    #[test]
    fn default_templates_are_valid_and_ask_for_both_formats() {
        let templates = default_templates();
        validate_templates(&templates).unwrap();
        let new_starter = templates.iter().find(|t| t.name == "new-starter").unwrap();
        let q = &new_starter.dcql_query;
        assert_eq!(q.credentials.len(), 8);
        let sets = q.credential_sets.as_ref().unwrap();
        assert_eq!(sets.len(), 4);
        assert!(
            !sets[3].required,
            "registration is optional: not every staff group registers"
        );
        let ldp = q.query("employment_ldp").unwrap();
        assert_eq!(
            serde_json::to_value(&ldp.meta).unwrap(),
            json!({"type_values": [["https://staff-passport.nhs.uk/vocab#EmploymentCredential"]]})
        );
        assert_eq!(
            serde_json::to_value(&ldp.claims.as_ref().unwrap()[0].path).unwrap(),
            json!(["credentialSubject", "employer"])
        );
        let sd = q.query("employment_sd_jwt").unwrap();
        assert_eq!(
            serde_json::to_value(&sd.meta).unwrap(),
            json!({"vct_values": ["https://staff-passport.nhs.uk/vct/employment/v1"]})
        );
        for name in ["right-to-work", "registration-check", "role-check"] {
            assert!(templates.iter().any(|t| t.name == name), "{name}");
        }
    }

    #[test]
    fn a_templates_file_replaces_the_defaults_and_is_validated() {
        let good = r#"{"dbs": {"description": "DBS only", "dcql_query": {"credentials": [
            {"id": "c", "format": "dc+sd-jwt", "meta": {"vct_values": ["https://staff-passport.nhs.uk/vct/employment-checks/v1"]},
             "claims": [{"path": ["checks", null, "type"]}]}]}}}"#;
        let templates = templates_from_json(good).unwrap();
        assert_eq!(templates[0].name, "dbs");
        let bad = r#"{"x": {"dcql_query": {"credentials": [{"id": "c", "format": "jwt_vc_json", "meta": {}}]}}}"#;
        assert!(templates_from_json(bad).unwrap_err().contains("template x"));
        assert!(templates_from_json("{}")
            .unwrap_err()
            .contains("at least one"));
        assert!(templates_from_json(r#"{"x": {}}"#)
            .unwrap_err()
            .contains("no dcql_query"));
    }

    #[test]
    fn the_request_object_is_a_jar_signed_by_our_did_key() {
        let signer = identity();
        let template = &default_templates()[1];
        let now = Utc::now();
        let claims = request_object_claims(&RequestObjectInput {
            client_id: &client_id(signer.did()),
            response_uri: "https://verifier.example.nhs.uk/responses/abc",
            nonce: "n",
            state: "s",
            dcql_query: &template.dcql_query,
            issued_at: now,
            expires_at: now + chrono::Duration::minutes(5),
        });
        let jwt = sign_request_object(&claims, &signer).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(
            header,
            json!({"alg": "EdDSA", "typ": "oauth-authz-req+jwt", "kid": "did:web:verifier.example.nhs.uk#key-1"})
        );
        let payload: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(
            payload["client_id"],
            "decentralized_identifier:did:web:verifier.example.nhs.uk"
        );
        assert_eq!(payload["response_type"], "vp_token");
        assert_eq!(payload["response_mode"], "direct_post");
        assert_eq!(payload["aud"], STATIC_DISCOVERY_AUDIENCE);
        assert!(payload.get("redirect_uri").is_none());
        assert!(payload["dcql_query"]["credentials"].is_array());
        assert_eq!(
            payload["client_metadata"]["vp_formats_supported"],
            vp_formats_supported()
        );
        let signature =
            ed25519_dalek::Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap())
                .unwrap();
        let key = Jwk::ed25519(&signer.public_key()).verifying_key().unwrap();
        key.verify_strict(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .unwrap();
    }

    #[test]
    fn the_link_carries_client_id_and_request_uri_encoded() {
        let link = openid4vp_uri(
            "decentralized_identifier:did:web:127.0.0.1%3A8403",
            "http://127.0.0.1:8403/request-objects/abc",
        );
        assert_eq!(
            link,
            "openid4vp://?client_id=decentralized_identifier%3Adid%3Aweb%3A127.0.0.1%253A8403&request_uri=http%3A%2F%2F127.0.0.1%3A8403%2Frequest-objects%2Fabc"
        );
        let query = link.split_once('?').unwrap().1;
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(
            pairs[0].1,
            "decentralized_identifier:did:web:127.0.0.1%3A8403"
        );
    }

    #[test]
    fn random_tokens_are_url_safe_and_long_enough() {
        let nonce = random_token(32);
        assert_eq!(nonce.len(), 43);
        assert!(nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_ne!(nonce, random_token(32));
    }

    #[test]
    fn direct_post_bodies_are_read_strictly() {
        let token = json!({"identity_sd_jwt": ["a~b~c"]}).to_string();
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("vp_token", &token)
            .append_pair("state", "s1")
            .finish();
        match parse_direct_post(body.as_bytes()).unwrap() {
            AuthorizationResponse::VpToken { vp_token, state } => {
                assert_eq!(state.as_deref(), Some("s1"));
                assert!(vp_token.contains_key("identity_sd_jwt"));
            }
            other => panic!("{other:?}"),
        }
        let declined =
            parse_direct_post(b"error=access_denied&error_description=no&state=s").unwrap();
        assert_eq!(declined.state(), Some("s"));
        for (body, expected) in [
            ("vp_token=%7B%7D&vp_token=%7B%7D", "more than once"),
            ("vp_token=%7B%7D&error=x", "not both"),
            ("state=s", "neither"),
            ("vp_token=%5B%5D", "JSON object"),
            ("vp_token=nope", "not JSON"),
            ("response=eyJ", "encrypted"),
        ] {
            let error = parse_direct_post(body.as_bytes()).unwrap_err();
            assert_eq!(error.error, "invalid_request");
            assert!(
                error.description.contains(expected),
                "{body}: {}",
                error.description
            );
        }
    }

    #[test]
    fn vp_token_shape_is_checked_against_the_query() {
        let template = &default_templates()[1];
        let q = &template.dcql_query;
        let token = |v: Value| v.as_object().unwrap().clone();
        let ok = token(
            json!({"identity_sd_jwt": ["x~"], "identity_ldp": [{"type": "VerifiablePresentation"}]}),
        );
        assert_eq!(presentations_in(q, &ok).unwrap().len(), 2);
        for (value, expected) in [
            (json!({}), "empty"),
            (json!({"other": ["x~"]}), "not asked for"),
            (json!({"identity_sd_jwt": "x~"}), "must be an array"),
            (json!({"identity_sd_jwt": []}), "empty array"),
            (json!({"identity_sd_jwt": ["a~", "b~"]}), "exactly one"),
            (json!({"identity_sd_jwt": [{"x": 1}]}), "a string"),
            (json!({"identity_ldp": ["eyJ"]}), "a JSON object"),
        ] {
            let error = presentations_in(q, &token(value.clone())).unwrap_err();
            assert!(error.contains(expected), "{value}: {error}");
        }
    }

    #[test]
    fn sd_jwt_claims_must_be_asked_for_and_present() {
        let template = &default_templates()[1];
        let query = template.dcql_query.query("identity_sd_jwt").unwrap();
        let vct_value = vct(CredentialKind::CareIdentity);
        let base = json!({"iss": "https://i", "vct": vct_value, "cnf": {}, "iat": 1,
            "careIdentityUuid": "u", "givenName": "A", "familyName": "B", "identityProofing": {}});
        assert_eq!(judge_sd_jwt_claims(query, &base), Outcome::Passed);
        let mut extra = base.clone();
        extra["middleNames"] = "C".into();
        assert_eq!(
            judge_sd_jwt_claims(query, &extra),
            Outcome::Failed("disclosed claims that were not requested: middleNames".into())
        );
        let mut missing = base.clone();
        missing.as_object_mut().unwrap().remove("givenName");
        assert!(
            matches!(judge_sd_jwt_claims(query, &missing), Outcome::Failed(why) if why.contains("givenName"))
        );
        let mut other_type = base;
        other_type["vct"] = vct(CredentialKind::Role).into();
        assert!(
            matches!(judge_sd_jwt_claims(query, &other_type), Outcome::Failed(why) if why.contains("vct"))
        );
        let disclosed = disclosed_claims(&extra);
        assert!(!disclosed.contains_key("iss") && !disclosed.contains_key("cnf"));
        assert!(disclosed.contains_key("middleNames"));
    }

    #[test]
    fn ldp_credentials_are_matched_by_expanded_type_and_claims() {
        let template = &default_templates()[1];
        let query = template.dcql_query.query("identity_ldp").unwrap();
        let credential = json!({"type": ["VerifiableCredential", "CareIdentityCredential"],
            "credentialSubject": {"careIdentityUuid": "u", "givenName": "A", "familyName": "B", "identityProofing": {}}});
        assert_eq!(judge_ldp_credential(query, &credential), Outcome::Passed);
        let mut wrong = credential.clone();
        wrong["type"] = json!(["VerifiableCredential", "RoleCredential"]);
        assert!(matches!(
            judge_ldp_credential(query, &wrong),
            Outcome::Failed(_)
        ));
        let mut missing = credential;
        missing["credentialSubject"]
            .as_object_mut()
            .unwrap()
            .remove("familyName");
        assert!(
            matches!(judge_ldp_credential(query, &missing), Outcome::Failed(why) if why.contains("familyName"))
        );
    }

    #[test]
    fn check_names_speak_openid4vp() {
        let check = Check {
            name: CheckName::Challenge,
            outcome: Outcome::Failed("x".into()),
        };
        assert_eq!(CheckEntry::from_check(&check, "").name, "nonce");
        let proof = Check {
            name: CheckName::Proof,
            outcome: Outcome::Passed,
        };
        assert_eq!(
            CheckEntry::from_check(&proof, "presentation").name,
            "presentationProof"
        );
        assert_eq!(CheckEntry::from_check(&proof, "").name, "proof");
    }
}
