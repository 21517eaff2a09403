//! OpenID4VCI 1.0 client, pre-authorized code flow (§4.1, §6, §7, §8, App. F.1), typed as
//! our own serde messages: the Rust crates for it are young and follow drafts (see
//! ../shared/notes/ssi-and-uniffi-facts.md), and the wire is small.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{Result, WalletError};

pub const PRE_AUTHORIZED_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
pub const OFFER_SCHEME: &str = "openid-credential-offer";

/// A credential offer (§4.1.1). Unknown members are ignored, as the spec requires.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct CredentialOffer {
    pub credential_issuer: String,
    pub credential_configuration_ids: Vec<String>,
    #[serde(default)]
    pub grants: Grants,
}

impl CredentialOffer {
    /// The person must type a PIN (`tx_code`) given to them separately.
    pub fn needs_pin(&self) -> bool {
        self.grants
            .pre_authorized_code
            .as_ref()
            .is_some_and(|grant| grant.tx_code.is_some())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Grants {
    #[serde(rename = "urn:ietf:params:oauth:grant-type:pre-authorized_code")]
    pub pre_authorized_code: Option<PreAuthorizedGrant>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PreAuthorizedGrant {
    #[serde(rename = "pre-authorized_code")]
    pub code: String,
    /// Present (even empty) means the holder must give a transaction code (PIN).
    pub tx_code: Option<TxCode>,
    pub authorization_server: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct TxCode {
    pub input_mode: Option<String>,
    pub length: Option<usize>,
    pub description: Option<String>,
}

/// Where an offer link points: the offer itself, or a URL to fetch it from.
#[derive(Clone, Debug, PartialEq)]
pub enum OfferSource {
    ByValue(CredentialOffer),
    ByReference(String),
}

/// Reads an `openid-credential-offer://?…` link (or an https link with the same query),
/// as a QR code or a tapped link gives it.
pub fn parse_offer_link(link: &str) -> Result<OfferSource> {
    let invalid = |detail: &str| WalletError::InvalidOffer {
        detail: detail.to_owned(),
    };
    let url = url::Url::parse(link.trim()).map_err(|_| invalid("not a URL"))?;
    if url.scheme() != OFFER_SCHEME && url.scheme() != "https" && url.scheme() != "http" {
        return Err(invalid("the scheme must be openid-credential-offer"));
    }
    let mut by_value = None;
    let mut by_reference = None;
    for (name, value) in url.query_pairs() {
        match name.as_ref() {
            "credential_offer" if by_value.is_none() => by_value = Some(value.into_owned()),
            "credential_offer_uri" if by_reference.is_none() => {
                by_reference = Some(value.into_owned())
            }
            "credential_offer" | "credential_offer_uri" => {
                return Err(invalid("the offer is given twice"))
            }
            _ => {}
        }
    }
    match (by_value, by_reference) {
        (Some(json), None) => serde_json::from_str(&json)
            .map(OfferSource::ByValue)
            .map_err(|e| invalid(&format!("credential_offer is not an offer: {e}"))),
        (None, Some(uri)) => Ok(OfferSource::ByReference(uri)),
        (Some(_), Some(_)) => Err(invalid(
            "credential_offer and credential_offer_uri are mutually exclusive",
        )),
        (None, None) => Err(invalid(
            "neither credential_offer nor credential_offer_uri is present",
        )),
    }
}

/// `https://host/.well-known/<name>/path`: the well-known part goes between host and path
/// (§12.2.2, RFC 8414 §3).
pub fn well_known_url(identifier: &str, name: &str) -> Result<String> {
    let url = url::Url::parse(identifier).map_err(|_| WalletError::InvalidOffer {
        detail: format!("{identifier} is not a URL"),
    })?;
    let host = url.host_str().ok_or_else(|| WalletError::InvalidOffer {
        detail: format!("{identifier} has no host"),
    })?;
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let path = url.path().trim_end_matches('/');
    Ok(format!(
        "{}://{host}{port}/.well-known/{name}{path}",
        url.scheme()
    ))
}

/// Credential issuer metadata (§12.2.4), what the wallet uses of it.
#[derive(Clone, Debug, Deserialize)]
pub struct IssuerMetadata {
    pub credential_issuer: String,
    #[serde(default)]
    pub authorization_servers: Vec<String>,
    pub credential_endpoint: String,
    pub nonce_endpoint: Option<String>,
    #[serde(default)]
    pub display: Vec<Value>,
    pub credential_configurations_supported: BTreeMap<String, CredentialConfiguration>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct CredentialConfiguration {
    pub format: String,
    #[serde(default)]
    pub cryptographic_binding_methods_supported: Vec<String>,
    #[serde(default)]
    pub proof_types_supported: BTreeMap<String, Value>,
    #[serde(default)]
    pub credential_metadata: Value,
    pub vct: Option<String>,
    pub credential_definition: Option<Value>,
}

impl CredentialConfiguration {
    pub fn display(&self) -> Value {
        self.credential_metadata
            .get("display")
            .cloned()
            .unwrap_or(Value::Array(Vec::new()))
    }

    /// Whether the issuer takes a JWT proof signed with EdDSA.
    pub fn accepts_eddsa_jwt_proof(&self) -> bool {
        self.proof_types_supported.is_empty()
            || self
                .proof_types_supported
                .get("jwt")
                .and_then(|jwt| jwt.get("proof_signing_alg_values_supported"))
                .and_then(Value::as_array)
                .is_some_and(|algs| algs.iter().any(|a| a == "EdDSA"))
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct AuthorizationServerMetadata {
    pub issuer: String,
    pub token_endpoint: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct NonceResponse {
    pub c_nonce: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct CredentialResponse {
    #[serde(default)]
    pub credentials: Vec<IssuedCredential>,
    pub transaction_id: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct IssuedCredential {
    pub credential: Value,
}

/// The claims of an `openid4vci-proof+jwt` (App. F.1). Anonymous pre-authorized access:
/// no `iss`.
pub fn proof_claims(credential_issuer: &str, nonce: Option<&str>, iat: i64) -> Value {
    let mut claims = json!({"aud": credential_issuer, "iat": iat});
    if let Some(nonce) = nonce {
        claims["nonce"] = nonce.into();
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offer_links_by_value_and_by_reference() {
        let offer = json!({
            "credential_issuer": "https://issuer.example/rj1",
            "credential_configuration_ids": ["employment_ldp_vc"],
            "grants": {PRE_AUTHORIZED_GRANT: {"pre-authorized_code": "abc", "tx_code": {"length": 6}}},
            "unknown": "ignored"
        });
        let link = format!(
            "openid-credential-offer://?credential_offer={}",
            url::form_urlencoded::byte_serialize(offer.to_string().as_bytes()).collect::<String>()
        );
        let OfferSource::ByValue(read) = parse_offer_link(&link).unwrap() else {
            panic!("by value")
        };
        let grant = read.grants.pre_authorized_code.unwrap();
        assert_eq!(grant.code, "abc");
        assert_eq!(grant.tx_code.unwrap().length, Some(6));

        let link = "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example%2Foffers%2F1";
        assert_eq!(
            parse_offer_link(link).unwrap(),
            OfferSource::ByReference("https://issuer.example/offers/1".into())
        );
        for bad in [
            "openid-credential-offer://",
            "openid-credential-offer://?credential_offer_uri=a&credential_offer={}",
            "openid-credential-offer://?credential_offer=notjson",
            "mailto:someone@example.com?credential_offer_uri=x",
            "not a url",
        ] {
            assert!(parse_offer_link(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn well_known_goes_between_host_and_path() {
        assert_eq!(
            well_known_url(
                "https://issuer.example.com/tenant",
                "openid-credential-issuer"
            )
            .unwrap(),
            "https://issuer.example.com/.well-known/openid-credential-issuer/tenant"
        );
        assert_eq!(
            well_known_url("http://127.0.0.1:8401", "oauth-authorization-server").unwrap(),
            "http://127.0.0.1:8401/.well-known/oauth-authorization-server"
        );
    }
}
