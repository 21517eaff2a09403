//! DIDs: did:key for holders, did:web for issuers. Resolution goes through [`DidResolver`],
//! so a test or an air-gapped site can pin DID documents; verification itself only ever
//! sees a [`ResolvedDids`] snapshot and does no I/O.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use ed25519_dalek::VerifyingKey;
use serde_json::{json, Value};
use ssi::dids::resolution::{
    Error as SsiResolutionError, Options as SsiResolutionOptions, Output as SsiOutput,
};
use ssi::dids::{DIDResolver as SsiDidResolver, DID};

use crate::error::{Error, Result};
use crate::vocabulary::{DID_V1_CONTEXT_URL, MULTIKEY_V1_CONTEXT_URL};

/// Multicodec prefix of an Ed25519 public key inside a Multikey value.
const ED25519_MULTICODEC: [u8; 2] = [0xed, 0x01];

/// `z6Mk…`: the Multikey encoding of an Ed25519 public key.
pub fn ed25519_multibase(key: &VerifyingKey) -> String {
    let mut bytes = ED25519_MULTICODEC.to_vec();
    bytes.extend_from_slice(key.as_bytes());
    multibase::encode(multibase::Base::Base58Btc, bytes)
}

/// Decodes a Multikey value, refusing anything but an Ed25519 key (EdDSA §2.1.1).
pub fn ed25519_from_multibase(value: &str) -> Result<VerifyingKey> {
    if !value.starts_with('z') {
        return Err(Error::InvalidKey(
            "publicKeyMultibase must be base58btc ('z')".into(),
        ));
    }
    let (_, bytes) = multibase::decode(value).map_err(|e| Error::InvalidKey(e.to_string()))?;
    let raw = bytes
        .strip_prefix(&ED25519_MULTICODEC)
        .ok_or_else(|| Error::InvalidKey("not an Ed25519 Multikey (prefix 0xed01)".into()))?;
    let raw: [u8; 32] = raw
        .try_into()
        .map_err(|_| Error::InvalidKey("Ed25519 key must be 32 bytes".into()))?;
    VerifyingKey::from_bytes(&raw).map_err(|e| Error::InvalidKey(e.to_string()))
}

/// The did:key of an Ed25519 key, and its one verification method.
pub fn did_key(key: &VerifyingKey) -> (String, String) {
    let multibase = ed25519_multibase(key);
    let did = format!("did:key:{multibase}");
    let method = format!("{did}#{multibase}");
    (did, method)
}

/// The did:web naming a service at `base_url` (`https://127.0.0.1:8401` →
/// `did:web:127.0.0.1%3A8401`; a path becomes `:`-separated segments).
pub fn did_web_for_base_url(base_url: &str) -> Result<String> {
    let rest = base_url
        .strip_prefix("https://")
        .or_else(|| base_url.strip_prefix("http://"))
        .ok_or_else(|| Error::InvalidDid(format!("base URL must be http(s): {base_url}")))?;
    let rest = rest.trim_end_matches('/');
    let mut parts = rest.split('/');
    let authority = parts.next().unwrap_or_default();
    if authority.is_empty() {
        return Err(Error::InvalidDid("base URL has no host".into()));
    }
    let mut did = format!("did:web:{}", authority.replace(':', "%3A"));
    for segment in parts.filter(|s| !s.is_empty()) {
        did.push(':');
        did.push_str(segment);
    }
    Ok(did)
}

/// Where a did:web's document lives (did:web spec §3.2): `host[:port]/path/did.json`, or
/// `/.well-known/did.json` with no path. The scheme is the caller's choice.
pub fn did_web_document_location(did: &str) -> Result<String> {
    let specific = did
        .strip_prefix("did:web:")
        .ok_or_else(|| Error::InvalidDid(format!("not a did:web: {did}")))?;
    let mut segments = specific.split(':');
    let authority = segments
        .next()
        .unwrap_or_default()
        .replace("%3A", ":")
        .replace("%3a", ":");
    if authority.is_empty() || authority.contains('/') || authority.contains('@') {
        return Err(Error::InvalidDid("did:web has an invalid host".into()));
    }
    let path: Vec<&str> = segments.collect();
    if path
        .iter()
        .any(|s| s.is_empty() || s.contains('/') || *s == "..")
    {
        return Err(Error::InvalidDid("did:web has an invalid path".into()));
    }
    Ok(if path.is_empty() {
        format!("{authority}/.well-known/did.json")
    } else {
        format!("{authority}/{}/did.json", path.join("/"))
    })
}

/// The DID document an issuer publishes for its did:web: one Ed25519 Multikey used for
/// assertions (signing credentials) and authentication.
pub fn did_web_document(did: &str, key: &VerifyingKey) -> Value {
    single_key_document(did, &format!("{did}#key-1"), key)
}

fn single_key_document(did: &str, method_id: &str, key: &VerifyingKey) -> Value {
    json!({
        "@context": [DID_V1_CONTEXT_URL, MULTIKEY_V1_CONTEXT_URL],
        "id": did,
        "verificationMethod": [{
            "id": method_id,
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": ed25519_multibase(key),
        }],
        "assertionMethod": [method_id],
        "authentication": [method_id],
    })
}

/// The DID part of a DID URL (`did:web:x#key-1` → `did:web:x`).
pub fn did_of(did_url: &str) -> &str {
    did_url.split(['#', '?']).next().unwrap_or(did_url)
}

/// Why a DID could not be resolved. Resolution failures make a check "could not check",
/// never "invalid": the credential may be fine.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DidResolutionError {
    #[error("DID method not supported: {0}")]
    UnsupportedMethod(String),
    #[error("DID document not found")]
    NotFound,
    #[error("DID document could not be fetched: {0}")]
    Unreachable(String),
    #[error("DID document is invalid: {0}")]
    InvalidDocument(String),
}

pub type ResolveFuture<'a> =
    Pin<Box<dyn Future<Output = std::result::Result<Value, DidResolutionError>> + Send + 'a>>;

/// Resolves a DID (never a did:key, which is decoded locally) to its DID document.
pub trait DidResolver: Send + Sync {
    fn resolve<'a>(&'a self, did: &'a str) -> ResolveFuture<'a>;
}

/// DID documents fixed in advance: for tests, and for sites that cannot fetch.
#[derive(Clone, Debug, Default)]
pub struct PinnedDidDocuments {
    documents: HashMap<String, Value>,
}

impl PinnedDidDocuments {
    pub fn new() -> Self {
        Self::default()
    }

    /// Pins a document under its own `id`.
    pub fn pin(&mut self, document: Value) -> Result<()> {
        let id = document
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::InvalidDid("DID document has no id".into()))?
            .to_owned();
        self.documents.insert(id, document);
        Ok(())
    }

    pub fn with(mut self, document: Value) -> Result<Self> {
        self.pin(document)?;
        Ok(self)
    }
}

impl DidResolver for PinnedDidDocuments {
    fn resolve<'a>(&'a self, did: &'a str) -> ResolveFuture<'a> {
        let found = self
            .documents
            .get(did)
            .cloned()
            .ok_or(DidResolutionError::NotFound);
        Box::pin(async move { found })
    }
}

/// Tries each resolver in turn; the first that knows the DID answers.
pub struct ChainedResolver(pub Vec<std::sync::Arc<dyn DidResolver>>);

impl DidResolver for ChainedResolver {
    fn resolve<'a>(&'a self, did: &'a str) -> ResolveFuture<'a> {
        Box::pin(async move {
            let mut last = DidResolutionError::NotFound;
            for resolver in &self.0 {
                match resolver.resolve(did).await {
                    Ok(document) => return Ok(document),
                    Err(e) => last = e,
                }
            }
            Err(last)
        })
    }
}

/// The DID documents one verification may use, fetched before it starts.
#[derive(Clone, Debug, Default)]
pub struct ResolvedDids {
    documents: HashMap<String, Value>,
    failures: HashMap<String, DidResolutionError>,
}

impl ResolvedDids {
    /// Resolves every DID named by the given DID URLs. did:key needs no resolver.
    pub async fn resolve_all<'a>(
        resolver: &dyn DidResolver,
        did_urls: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let mut snapshot = Self::default();
        for did_url in did_urls {
            let did = did_of(did_url);
            if did.starts_with("did:key:")
                || snapshot.documents.contains_key(did)
                || snapshot.failures.contains_key(did)
            {
                continue;
            }
            match resolver.resolve(did).await {
                Ok(document) if document.get("id").and_then(Value::as_str) == Some(did) => {
                    snapshot.documents.insert(did.to_owned(), document);
                }
                Ok(_) => {
                    let problem = DidResolutionError::InvalidDocument(
                        "its id is not the DID asked for".into(),
                    );
                    snapshot.failures.insert(did.to_owned(), problem);
                }
                Err(e) => {
                    snapshot.failures.insert(did.to_owned(), e);
                }
            }
        }
        snapshot
    }

    /// A snapshot holding only the signer's own key: ssi resolves the signing method
    /// before it signs, and a signer must not need the network to sign.
    pub fn of_signer(signer: &crate::securing::SigningIdentity) -> Self {
        let mut snapshot = Self::default();
        let did = signer.did();
        if !did.starts_with("did:key:") {
            let document =
                single_key_document(did, signer.verification_method(), &signer.public_key());
            snapshot.documents.insert(did.to_owned(), document);
        }
        snapshot
    }

    /// The Ed25519 public key of a verification method, checking that the DID document
    /// authorises it for `relationship` (`assertionMethod` or `authentication`).
    pub fn public_key(
        &self,
        method_url: &str,
        relationship: &str,
    ) -> std::result::Result<VerifyingKey, KeyProblem> {
        let did = did_of(method_url);
        if let Some(multibase) = did.strip_prefix("did:key:") {
            let expected = format!("{did}#{multibase}");
            if method_url != expected {
                return Err(KeyProblem::Invalid(format!(
                    "did:key method must be {expected}"
                )));
            }
            return ed25519_from_multibase(multibase)
                .map_err(|e| KeyProblem::Invalid(e.to_string()));
        }
        if let Some(failure) = self.failures.get(did) {
            return Err(KeyProblem::Unresolvable(failure.to_string()));
        }
        let document = self
            .documents
            .get(did)
            .ok_or_else(|| KeyProblem::Unresolvable("DID was not resolved".into()))?;
        let absolute = |id: &str| {
            if id.starts_with('#') {
                format!("{did}{id}")
            } else {
                id.to_owned()
            }
        };
        let authorised = document
            .get(relationship)
            .and_then(Value::as_array)
            .map(|entries| {
                entries.iter().any(|entry| match entry {
                    Value::String(id) => absolute(id) == method_url,
                    Value::Object(object) => {
                        object
                            .get("id")
                            .and_then(Value::as_str)
                            .map(absolute)
                            .as_deref()
                            == Some(method_url)
                    }
                    _ => false,
                })
            })
            .unwrap_or(false);
        if !authorised {
            return Err(KeyProblem::Invalid(format!(
                "{method_url} is not authorised for {relationship}"
            )));
        }
        let embedded = document
            .get(relationship)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|e| e.is_object());
        let listed = document
            .get("verificationMethod")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        let method = listed
            .chain(embedded)
            .find(|m| {
                m.get("id").and_then(Value::as_str).map(absolute).as_deref() == Some(method_url)
            })
            .ok_or_else(|| {
                KeyProblem::Invalid(format!("{method_url} is not in the DID document"))
            })?;
        if method.get("controller").and_then(Value::as_str) != Some(did) {
            return Err(KeyProblem::Invalid(
                "verification method has another controller".into(),
            ));
        }
        let multibase = method
            .get("publicKeyMultibase")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                KeyProblem::Invalid("verification method has no publicKeyMultibase".into())
            })?;
        ed25519_from_multibase(multibase).map_err(|e| KeyProblem::Invalid(e.to_string()))
    }
}

/// Why a verification method's key could not be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyProblem {
    /// The DID could not be resolved: the proof could not be checked.
    #[error("could not resolve: {0}")]
    Unresolvable(String),
    /// The DID resolved, and the method is not an acceptable key for this use.
    #[error("{0}")]
    Invalid(String),
}

/// Lets ssi's Data Integrity verifier read DID documents from the snapshot.
impl SsiDidResolver for ResolvedDids {
    async fn resolve_representation<'a>(
        &'a self,
        did: &'a DID,
        options: SsiResolutionOptions,
    ) -> std::result::Result<SsiOutput<Vec<u8>>, SsiResolutionError> {
        if did.method_name() == "key" {
            return ssi::dids::DIDKey.resolve_representation(did, options).await;
        }
        let document = self
            .documents
            .get(did.as_str())
            .ok_or(SsiResolutionError::NotFound)?;
        let bytes = serde_json::to_vec(document)
            .map_err(|e| SsiResolutionError::Internal(e.to_string()))?;
        Ok(SsiOutput::from_content(
            bytes,
            Some("application/did+json".to_owned()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_web_names_and_locations_round_trip() {
        assert_eq!(
            did_web_for_base_url("http://127.0.0.1:8401").unwrap(),
            "did:web:127.0.0.1%3A8401"
        );
        assert_eq!(
            did_web_for_base_url("https://issuer.example.nhs.uk/").unwrap(),
            "did:web:issuer.example.nhs.uk"
        );
        assert_eq!(
            did_web_for_base_url("https://x.nhs.uk/trusts/rj1").unwrap(),
            "did:web:x.nhs.uk:trusts:rj1"
        );
        assert_eq!(
            did_web_document_location("did:web:127.0.0.1%3A8401").unwrap(),
            "127.0.0.1:8401/.well-known/did.json"
        );
        assert_eq!(
            did_web_document_location("did:web:x.nhs.uk:trusts:rj1").unwrap(),
            "x.nhs.uk/trusts/rj1/did.json"
        );
        assert!(did_web_document_location("did:web:evil.example:..:x").is_err());
        assert!(did_web_document_location("did:key:z6Mk").is_err());
    }

    #[test]
    fn multikey_round_trips_and_refuses_other_curves() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]).verifying_key();
        let encoded = ed25519_multibase(&key);
        assert!(encoded.starts_with("z6Mk"));
        assert_eq!(ed25519_from_multibase(&encoded).unwrap(), key);
        // A P-256 did:key (zDn…) must be refused, not misread.
        assert!(
            ed25519_from_multibase("zDnaegE6RR3atJtHKwTRTWHsJ3kNHqFwv7n9YjTgmU7TyfU76").is_err()
        );
    }
}
