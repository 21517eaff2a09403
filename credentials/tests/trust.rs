//! The signed trust list (every term defined by our context, so RDFC signs and verifies it)
//! and the issuer-trusted check (BR-26a) as each kind of trust list decides it.

use credentials::did::{did_web_document, ResolvedDids};
use credentials::securing::{
    sign_credential, verify_credential, Cryptosuite, ProofRequest, SigningIdentity,
    VerificationEnvironment,
};
use credentials::trust_list::{
    Authorisation, IssuerStatus, TrustList, TrustedIssuer, TrustedVerifier, VerifierStatus,
    VerifierTrust,
};
use credentials::{CheckName, CredentialKind, FixedClock, Outcome, PinnedDidDocuments};
use serde_json::Value;

const ISSUER_DID: &str = "did:web:127.0.0.1%3A8401";
const REGISTRY_DID: &str = "did:web:127.0.0.1%3A8402";
const VERIFIER_DID: &str = "did:web:127.0.0.1%3A8403";

fn identity(did: &str, seed: u8) -> (SigningIdentity, Value) {
    let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    let document = did_web_document(did, &key.verifying_key());
    (SigningIdentity::new(key, format!("{did}#key-1")), document)
}

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

fn trust_list(status: IssuerStatus, ended_at: Option<&str>) -> TrustList {
    TrustList {
        issuers: vec![TrustedIssuer {
            id: ISSUER_DID.into(),
            ods_code: "RJ1".into(),
            name: "Guy's and St Thomas' NHS Foundation Trust".into(),
            issuer_status: status,
            authorisations: vec![Authorisation {
                credential_types: vec!["EmploymentCredential".into()],
                authorised_from: at("2026-01-01T00:00:00Z"),
                authorised_until: Some(at("2030-01-01T00:00:00Z")),
                ended_at: ended_at.map(at),
            }],
        }],
        verifiers: vec![TrustedVerifier {
            id: VERIFIER_DID.into(),
            ods_code: "RJ1".into(),
            name: "Guy's and St Thomas' onboarding".into(),
            verifier_status: VerifierStatus::Active,
            registered_at: at("2026-01-01T00:00:00Z"),
            ended_at: None,
        }],
        ttl_millis: Some(60_000),
    }
}

/// A name, the trust list the verifier holds (if any), and what the check must say.
type Case = (
    &'static str,
    Option<Result<TrustList, String>>,
    fn(&Outcome) -> bool,
);

async fn snapshot(documents: &[Value]) -> ResolvedDids {
    let mut pinned = PinnedDidDocuments::new();
    for document in documents {
        pinned.pin(document.clone()).unwrap();
    }
    ResolvedDids::resolve_all(&pinned, [ISSUER_DID, REGISTRY_DID]).await
}

#[tokio::test]
async fn the_trust_list_signs_and_verifies_and_tampering_shows() {
    let (registry, registry_document) = identity(REGISTRY_DID, 9);
    let unsigned = trust_list(IssuerStatus::Active, None)
        .to_credential(
            "http://127.0.0.1:8402/trust-list",
            REGISTRY_DID,
            at("2026-11-24T12:00:00Z"),
        )
        .unwrap();
    let request = ProofRequest {
        created: Some(at("2026-11-24T12:00:00Z")),
        ..Default::default()
    };
    let signed = sign_credential(&unsigned, &registry, Cryptosuite::EddsaRdfc2022, &request)
        .await
        .unwrap();
    let dids = snapshot(&[registry_document]).await;
    let clock = FixedClock(at("2026-11-24T12:00:01Z"));
    let env = VerificationEnvironment::new(&dids, &clock);
    let verdict = verify_credential(&signed, &env).await.unwrap();
    assert!(verdict.verified(), "{verdict:#?}");
    assert_eq!(
        TrustList::from_credential(&signed).unwrap(),
        trust_list(IssuerStatus::Active, None)
    );

    assert_eq!(
        TrustList::from_credential(&signed)
            .unwrap()
            .verifier_trust(VERIFIER_DID, at("2026-11-24T12:00:01Z")),
        VerifierTrust::Trusted {
            name: "Guy's and St Thomas' onboarding".into(),
            ods_code: "RJ1".into()
        }
    );

    let mut widened = signed.clone();
    widened["credentialSubject"]["trustedIssuers"][0]["authorisations"][0]["credentialTypes"] =
        serde_json::json!(["EmploymentCredential", "SmartcardCredential"]);
    let mut renamed = signed.clone();
    renamed["credentialSubject"]["trustedVerifiers"][0]["name"] = "Payday Loans Ltd".into();
    let mut reactivated = signed.clone();
    reactivated["credentialSubject"]["trustedVerifiers"][0]["registeredAt"] =
        "2020-01-01T00:00:00Z".into();
    for (name, tampered) in [
        ("issuer types", widened),
        ("verifier name", renamed),
        ("verifier registration", reactivated),
    ] {
        let verdict = verify_credential(&tampered, &env).await.unwrap();
        assert!(
            matches!(
                verdict.outcome_of(CheckName::Proof),
                Some(Outcome::Failed(_))
            ),
            "{name}: {verdict:#?}"
        );
    }
}

#[tokio::test]
async fn the_issuer_must_have_been_authorised_for_the_type_when_it_issued() {
    let (issuer, issuer_document) = identity(ISSUER_DID, 1);
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets/schema-examples/employment.json");
    let mut employment: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    employment.as_object_mut().unwrap().remove("proof");
    employment["issuer"]["id"] = ISSUER_DID.into();
    let request = ProofRequest {
        created: Some(at("2026-03-01T09:00:00Z")),
        ..Default::default()
    };
    let signed = sign_credential(&employment, &issuer, Cryptosuite::EddsaRdfc2022, &request)
        .await
        .unwrap();
    assert_eq!(
        CredentialKind::of_credential(&signed),
        Some(CredentialKind::Employment)
    );
    let dids = snapshot(&[issuer_document]).await;
    let clock = FixedClock(at("2026-11-24T12:00:00Z"));

    let cases: Vec<Case> = vec![
        ("no registry configured", None, |o| {
            *o == Outcome::NotApplicable
        }),
        (
            "active",
            Some(Ok(trust_list(IssuerStatus::Active, None))),
            |o| *o == Outcome::Passed,
        ),
        (
            "suspended after it issued",
            Some(Ok(trust_list(
                IssuerStatus::Suspended,
                Some("2026-06-01T00:00:00Z"),
            ))),
            |o| *o == Outcome::Passed,
        ),
        (
            "suspended before it issued",
            Some(Ok(trust_list(
                IssuerStatus::Suspended,
                Some("2026-02-01T00:00:00Z"),
            ))),
            |o| matches!(o, Outcome::Failed(r) if r.contains("not authorised to issue EmploymentCredential")),
        ),
        (
            "removed",
            Some(Ok(trust_list(
                IssuerStatus::Removed,
                Some("2026-06-01T00:00:00Z"),
            ))),
            |o| matches!(o, Outcome::Failed(r) if r.contains("removed")),
        ),
        (
            "not listed",
            Some(Ok(TrustList::default())),
            |o| matches!(o, Outcome::Failed(r) if r.contains("not in the trust registry")),
        ),
        (
            "trust list unavailable",
            Some(Err("the registry did not answer".into())),
            |o| matches!(o, Outcome::CouldNotCheck(_)),
        ),
    ];
    for (name, trust, expected) in cases {
        let mut env = VerificationEnvironment::new(&dids, &clock);
        if let Some(trust) = &trust {
            env = env.with_trust_list(trust);
        }
        let verdict = verify_credential(&signed, &env).await.unwrap();
        let outcome = verdict.outcome_of(CheckName::IssuerTrusted).unwrap();
        assert!(expected(outcome), "{name}: {outcome:?}");
        assert_eq!(
            verdict.verified(),
            matches!(outcome, Outcome::Passed | Outcome::NotApplicable),
            "{name}"
        );
    }
}
