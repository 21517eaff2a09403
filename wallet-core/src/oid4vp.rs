//! OpenID4VP 1.0 holder: read a request (signed request object by reference), check who
//! signed it, match its DCQL query against the wallet's credentials, and build the answer
//! the holder consents to. Typed serde messages of our own, like [`crate::oid4vci`].

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use credentials::sd_jwt::{claim_path, disclosable_claims, ClaimPath};
use credentials::vocabulary::expanded_types;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Result, WalletError};
use crate::store::StoredCredential;
use crate::wallet::{LDP_VC, SD_JWT_VC};

pub const REQUEST_OBJECT_TYPE: &str = "oauth-authz-req+jwt";
/// The only client identifier prefix we accept: a request signed by a DID's key.
pub const DID_PREFIX: &str = "decentralized_identifier:";

/// Where an `openid4vp://` link points.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestLink {
    pub client_id: String,
    pub request_uri: String,
}

pub fn parse_request_link(link: &str) -> Result<RequestLink> {
    let invalid = |detail: &str| WalletError::InvalidRequest {
        detail: detail.to_owned(),
    };
    let url = url::Url::parse(link.trim()).map_err(|_| invalid("not a URL"))?;
    if !matches!(url.scheme(), "openid4vp" | "https" | "http") {
        return Err(invalid("the scheme must be openid4vp"));
    }
    let mut client_id = None;
    let mut request_uri = None;
    for (name, value) in url.query_pairs() {
        match name.as_ref() {
            "client_id" => client_id = Some(value.into_owned()),
            "request_uri" => request_uri = Some(value.into_owned()),
            // OpenID4VP 1.0 §5.1: a wallet that does not POST to the request_uri GETs
            // it (RFC 9101); `post` is an offer to send wallet metadata, not a demand.
            "request_uri_method" if value != "get" && value != "post" => {
                return Err(invalid("request_uri_method must be get or post"))
            }
            "request" => {
                return Err(invalid(
                    "requests must be passed by reference (request_uri)",
                ))
            }
            _ => {}
        }
    }
    Ok(RequestLink {
        client_id: client_id.ok_or_else(|| invalid("client_id is missing"))?,
        request_uri: request_uri.ok_or_else(|| invalid("request_uri is missing"))?,
    })
}

/// A compact JWS split into its parts (signature unchecked).
pub struct CompactJws {
    pub header: Value,
    pub payload: Value,
    pub signing_input: String,
    pub signature: Vec<u8>,
}

pub fn split_jws(jws: &str) -> Result<CompactJws> {
    let invalid = |detail: &str| WalletError::InvalidRequest {
        detail: format!("request object: {detail}"),
    };
    let parts: Vec<&str> = jws.trim().split('.').collect();
    let [header, payload, signature] = parts.as_slice() else {
        return Err(invalid("not a compact JWS"));
    };
    let decode = |part: &str| -> Result<Value> {
        URL_SAFE_NO_PAD
            .decode(part)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| invalid("a part is not base64url JSON"))
    };
    Ok(CompactJws {
        header: decode(header)?,
        payload: decode(payload)?,
        signing_input: format!("{header}.{payload}"),
        signature: URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| invalid("the signature is not base64url"))?,
    })
}

/// A DCQL query (§6). Unknown properties are ignored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DcqlQuery {
    pub credentials: Vec<CredentialQuery>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_sets: Option<Vec<CredentialSetQuery>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CredentialQuery {
    pub id: String,
    pub format: String,
    pub meta: Value,
    #[serde(default)]
    pub multiple: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<ClaimQuery>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_sets: Option<Vec<Vec<String>>>,
    #[serde(default = "yes")]
    pub require_cryptographic_holder_binding: bool,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClaimQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub path: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CredentialSetQuery {
    pub options: Vec<Vec<String>>,
    #[serde(default = "yes")]
    pub required: bool,
}

impl DcqlQuery {
    /// Checks what the spec requires of a query before the wallet acts on it (§6).
    pub fn validate(&self) -> Result<()> {
        let invalid = |detail: String| WalletError::InvalidRequest { detail };
        if self.credentials.is_empty() {
            return Err(invalid("the DCQL query asks for no credential".into()));
        }
        let mut ids = std::collections::HashSet::new();
        for query in &self.credentials {
            let id_ok = !query.id.is_empty()
                && query
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !id_ok || !ids.insert(query.id.as_str()) {
                return Err(invalid(format!(
                    "credential query id {:?} is invalid or repeated",
                    query.id
                )));
            }
            if query.claim_sets.is_some() && query.claims.is_none() {
                return Err(invalid(format!("{}: claim_sets without claims", query.id)));
            }
            for claim in query.claims.iter().flatten() {
                claim_path(&claim.path).map_err(|e| invalid(format!("{}: {e}", query.id)))?;
            }
        }
        for set in self.credential_sets.iter().flatten() {
            for option in &set.options {
                if let Some(unknown) = option.iter().find(|id| !ids.contains(id.as_str())) {
                    return Err(invalid(format!(
                        "credential set names unknown query {unknown}"
                    )));
                }
            }
        }
        Ok(())
    }

    /// The groups of queries to answer: each required set's first option the wallet can
    /// satisfy, and optional sets' when it can. Without sets every query is required.
    pub fn plan(&self, answerable: &dyn Fn(&str) -> bool) -> Result<Vec<String>> {
        let Some(sets) = &self.credential_sets else {
            let missing: Vec<&str> = self
                .credentials
                .iter()
                .map(|q| q.id.as_str())
                .filter(|id| !answerable(id))
                .collect();
            if !missing.is_empty() {
                return Err(WalletError::CannotAnswer {
                    missing: missing.join(", "),
                });
            }
            return Ok(self.credentials.iter().map(|q| q.id.clone()).collect());
        };
        let mut chosen: Vec<String> = Vec::new();
        for set in sets {
            match set
                .options
                .iter()
                .find(|option| option.iter().all(|id| answerable(id)))
            {
                Some(option) => {
                    for id in option {
                        if !chosen.contains(id) {
                            chosen.push(id.clone());
                        }
                    }
                }
                None if set.required => {
                    return Err(WalletError::CannotAnswer {
                        missing: set
                            .options
                            .iter()
                            .map(|o| o.join(" + "))
                            .collect::<Vec<_>>()
                            .join(" or "),
                    })
                }
                None => {}
            }
        }
        Ok(chosen)
    }
}

/// What one stored credential would disclose for one query.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    pub credential_id: String,
    pub format: String,
    /// The claims paths disclosed (for `ldp_vc`: the whole credential, `[]`).
    pub disclosed: Vec<ClaimPath>,
    /// True when the whole credential goes (Data Integrity credentials cannot be partly
    /// disclosed).
    pub whole_credential: bool,
}

/// Whether a stored credential answers a query, and with which disclosures (§6.4).
pub fn candidate_for(query: &CredentialQuery, stored: &StoredCredential) -> Option<Candidate> {
    if stored.format != query.format {
        return None;
    }
    let (document, disclosable): (Value, Option<Vec<ClaimPath>>) = match stored.format.as_str() {
        LDP_VC => {
            let wanted = query.meta.get("type_values")?.as_array()?;
            let types = expanded_types(&stored.credential);
            let matches = wanted.iter().any(|alternative| {
                alternative.as_array().is_some_and(|all| {
                    all.iter().all(|t| {
                        t.as_str()
                            .is_some_and(|t| types.iter().any(|have| have == t))
                    })
                })
            });
            if !matches {
                return None;
            }
            (stored.credential.clone(), None)
        }
        SD_JWT_VC => {
            let text = stored.credential.as_str()?;
            let payload = sd_jwt_payload(text)?;
            let vct = payload.get("vct")?.as_str()?;
            let wanted = query.meta.get("vct_values")?.as_array()?;
            if !wanted.iter().any(|v| v.as_str() == Some(vct)) {
                return None;
            }
            let claims = disclosable_claims(text).ok()?;
            let mut full = payload.clone();
            for claim in &claims {
                set_at(&mut full, &claim.path, claim.value.clone());
            }
            (full, Some(claims.into_iter().map(|c| c.path).collect()))
        }
        _ => return None,
    };
    let chosen_claims: Vec<&ClaimQuery> = match (&query.claims, &query.claim_sets) {
        (None, _) => Vec::new(),
        (Some(claims), None) => claims.iter().collect(),
        (Some(claims), Some(sets)) => {
            let by_id = |id: &str| claims.iter().find(|c| c.id.as_deref() == Some(id));
            let satisfiable = sets.iter().find(|set| {
                set.iter()
                    .all(|id| by_id(id).is_some_and(|c| claim_present(&document, c)))
            })?;
            satisfiable.iter().filter_map(|id| by_id(id)).collect()
        }
    };
    let mut disclosed = Vec::new();
    for claim in chosen_claims {
        if !claim_present(&document, claim) {
            return None;
        }
        if let Ok(path) = claim_path(&claim.path) {
            disclosed.push(path);
        }
    }
    let whole_credential = disclosable.is_none();
    Some(Candidate {
        credential_id: stored.id.clone(),
        format: stored.format.clone(),
        disclosed,
        whole_credential,
    })
}

fn claim_present(document: &Value, claim: &ClaimQuery) -> bool {
    let Ok(path) = claim_path(&claim.path) else {
        return false;
    };
    let found = values_at(document, &path);
    match &claim.values {
        None => !found.is_empty(),
        Some(allowed) => found.iter().any(|v| allowed.contains(v)),
    }
}

fn values_at<'a>(value: &'a Value, path: &[credentials::sd_jwt::PathElement]) -> Vec<&'a Value> {
    use credentials::sd_jwt::PathElement;
    let Some((first, rest)) = path.split_first() else {
        return vec![value];
    };
    match (first, value) {
        (PathElement::Key(k), Value::Object(o)) => {
            o.get(k).map(|v| values_at(v, rest)).unwrap_or_default()
        }
        (PathElement::Index(i), Value::Array(a)) => {
            a.get(*i).map(|v| values_at(v, rest)).unwrap_or_default()
        }
        (PathElement::AllElements, Value::Array(a)) => {
            a.iter().flat_map(|v| values_at(v, rest)).collect()
        }
        _ => Vec::new(),
    }
}

fn set_at(value: &mut Value, path: &[credentials::sd_jwt::PathElement], new: Value) {
    use credentials::sd_jwt::PathElement;
    let Some((first, rest)) = path.split_first() else {
        *value = new;
        return;
    };
    match (first, value) {
        (PathElement::Key(k), Value::Object(o)) => {
            let slot = o.entry(k.clone()).or_insert(Value::Null);
            set_at(slot, rest, new);
        }
        (PathElement::Index(i), Value::Array(a)) => {
            if let Some(slot) = a.get_mut(*i) {
                set_at(slot, rest, new);
            }
        }
        _ => {}
    }
}

/// The issuer-signed JWT's payload of an SD-JWT (unverified: for matching only).
pub fn sd_jwt_payload(sd_jwt: &str) -> Option<Value> {
    let jwt = sd_jwt.split('~').next()?;
    let payload = jwt.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}
