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

/// Our vocabulary's namespace: the context maps every term of ours into it.
pub const VOCABULARY_NAMESPACE: &str = "https://staff-passport.nhs.uk/vocab#";
/// `VerifiableCredential` expanded by the VC v2 context.
pub const VERIFIABLE_CREDENTIAL_IRI: &str =
    "https://www.w3.org/2018/credentials#VerifiableCredential";

/// A catalogue type fully expanded, as OpenID4VP's DCQL `type_values` name types for
/// `ldp_vc` (B.1.1): e.g. `https://staff-passport.nhs.uk/vocab#EmploymentCredential`.
pub fn type_iri(kind: CredentialKind) -> String {
    format!("{VOCABULARY_NAMESPACE}{}", kind.type_name())
}

/// The expanded IRIs of a credential's `type` terms, as far as our pinned contexts define
/// them; an undefined term stays as it is (as DCQL B.1.1 says).
pub fn expanded_types(credential: &serde_json::Value) -> Vec<String> {
    let terms: Vec<&str> = match credential.get("type") {
        Some(serde_json::Value::String(t)) => vec![t.as_str()],
        Some(serde_json::Value::Array(types)) => {
            types.iter().filter_map(serde_json::Value::as_str).collect()
        }
        _ => Vec::new(),
    };
    terms
        .into_iter()
        .map(|term| match term {
            "VerifiableCredential" => VERIFIABLE_CREDENTIAL_IRI.to_owned(),
            other => CredentialKind::from_type_name(other)
                .map(type_iri)
                .unwrap_or_else(|| other.to_owned()),
        })
        .collect()
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

#[cfg(test)]
mod type_tests {
    use super::*;

    #[test]
    fn type_iris_follow_the_context() {
        let context: serde_json::Value = serde_json::from_str(CONTEXT_DOCUMENT).unwrap();
        let namespace = context["@context"]["nhssp"].as_str().unwrap();
        assert_eq!(namespace, VOCABULARY_NAMESPACE);
        for kind in CredentialKind::ALL {
            let compact = context["@context"][kind.type_name()].as_str().unwrap();
            assert_eq!(compact.replacen("nhssp:", namespace, 1), type_iri(kind));
        }
        let credential =
            serde_json::json!({"type": ["VerifiableCredential", "RoleCredential", "Other"]});
        assert_eq!(
            expanded_types(&credential),
            [
                VERIFIABLE_CREDENTIAL_IRI.to_owned(),
                type_iri(CredentialKind::Role),
                "Other".to_owned()
            ]
        );
    }
}
