//! Our JSON-LD context and JSON Schemas, embedded so that nothing is fetched at verify time.
//!
//! Their URLs are stable identifiers of the platform, the same in every deployment, so any
//! verifier or wallet can pin them (ADR 0001). The issuer also serves each at its URL's path.

use std::collections::HashMap;

use crate::catalogue::CredentialKind;

pub const VC_V2_CONTEXT_URL: &str = "https://www.w3.org/ns/credentials/v2";
pub const DATA_INTEGRITY_V2_CONTEXT_URL: &str = "https://w3id.org/security/data-integrity/v2";
pub const MULTIKEY_V1_CONTEXT_URL: &str = "https://w3id.org/security/multikey/v1";
pub const DID_V1_CONTEXT_URL: &str = "https://www.w3.org/ns/did/v1";

/// Where the platform publishes its vocabulary.
pub const VOCABULARY_ORIGIN: &str = "https://staff-passport.nhs.uk";
pub const CONTEXT_PATH: &str = "/contexts/v1";
pub const CONTEXT_URL: &str = "https://staff-passport.nhs.uk/contexts/v1";
pub const CONTEXT_DOCUMENT: &str = include_str!("../assets/context-v1.jsonld");

pub fn schema_path(kind: CredentialKind) -> String {
    format!("/schemas/{}/v1", kind.slug())
}

pub fn schema_url(kind: CredentialKind) -> String {
    format!("{VOCABULARY_ORIGIN}{}", schema_path(kind))
}

pub fn schema_document(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::CareIdentity => include_str!("../assets/schemas/care-identity-v1.json"),
        CredentialKind::Employment => include_str!("../assets/schemas/employment-v1.json"),
        CredentialKind::Role => include_str!("../assets/schemas/role-v1.json"),
        CredentialKind::ProfessionalRegistration => {
            include_str!("../assets/schemas/professional-registration-v1.json")
        }
        CredentialKind::EmploymentChecks => {
            include_str!("../assets/schemas/employment-checks-v1.json")
        }
        CredentialKind::Smartcard => include_str!("../assets/schemas/smartcard-v1.json"),
        CredentialKind::RemoteSigning => include_str!("../assets/schemas/remote-signing-v1.json"),
    }
}

/// The SD-JWT VC type (`vct`) of a catalogue type: a stable https URL under our vocabulary
/// origin, versioned like the schemas (ADR 0005). The same in every deployment.
pub fn vct(kind: CredentialKind) -> String {
    format!("{VOCABULARY_ORIGIN}/vct/{}/v1", kind.slug())
}

/// The catalogue type an SD-JWT VC's `vct` names, if it is one of ours (compared exactly:
/// `vct` is case-sensitive).
pub fn kind_of_vct(vct_value: &str) -> Option<CredentialKind> {
    CredentialKind::ALL
        .into_iter()
        .find(|k| vct(*k) == vct_value)
}

/// The kind whose schema lives at this URL, if it is one of ours.
pub fn kind_of_schema_url(url: &str) -> Option<CredentialKind> {
    CredentialKind::ALL
        .into_iter()
        .find(|k| schema_url(*k) == url)
}

/// Every JSON-LD context a credential or presentation of ours may use: the W3C ones and
/// ours. A document naming any other context is refused (the loader knows no other).
pub fn pinned_contexts() -> HashMap<String, String> {
    HashMap::from([
        (
            VC_V2_CONTEXT_URL.to_owned(),
            ssi_contexts::CREDENTIALS_V2.to_owned(),
        ),
        (
            DATA_INTEGRITY_V2_CONTEXT_URL.to_owned(),
            ssi_contexts::W3ID_DATA_INTEGRITY_V2.to_owned(),
        ),
        (
            MULTIKEY_V1_CONTEXT_URL.to_owned(),
            ssi_contexts::W3ID_MULTIKEY_V1.to_owned(),
        ),
        (CONTEXT_URL.to_owned(), CONTEXT_DOCUMENT.to_owned()),
    ])
}
