//! Every catalogue type signs and verifies with both cryptosuites, and each way of
//! breaking a credential or presentation gives the verdict it should.

use std::path::PathBuf;

use credentials::did::{did_web_document, ResolvedDids};
use credentials::securing::{
    prepare_presentation_proof, sign_credential, sign_presentation, verify_credential,
    verify_presentation, Cryptosuite, PresentationExpectations, ProofRequest, SigningIdentity,
    VerificationEnvironment,
};
use credentials::{CheckName, CredentialKind, FixedClock, Outcome, PinnedDidDocuments, Verdict};
use serde_json::{json, Value};

const ISSUER_DID: &str = "did:web:127.0.0.1%3A8401";

fn issuer() -> (SigningIdentity, Value) {
    let key = ed25519_dalek::SigningKey::from_bytes(&[1u8; 32]);
    let document = did_web_document(ISSUER_DID, &key.verifying_key());
    (
        SigningIdentity::new(key, format!("{ISSUER_DID}#key-1")),
        document,
    )
}

fn holder() -> SigningIdentity {
    SigningIdentity::did_key(ed25519_dalek::SigningKey::from_bytes(&[2u8; 32]))
}

fn example(kind: CredentialKind, holder: &SigningIdentity) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("assets/schema-examples/{}.json", kind.slug()));
    let mut credential: Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    credential["credentialSubject"]["id"] = holder.did().into();
    credential
}

async fn snapshot(documents: &[Value]) -> ResolvedDids {
    let mut pinned = PinnedDidDocuments::new();
    for document in documents {
        pinned.pin(document.clone()).unwrap();
    }
    ResolvedDids::resolve_all(&pinned, [ISSUER_DID]).await
}

fn now() -> FixedClock {
    FixedClock("2026-11-24T12:00:00Z".parse().unwrap())
}

async fn verify(credential: &Value, dids: &ResolvedDids) -> Verdict {
    let clock = now();
    let env = VerificationEnvironment::new(dids, &clock);
    verify_credential(credential, &env).await.unwrap()
}

#[tokio::test]
async fn every_type_signs_and_verifies_with_both_suites() {
    let (issuer, did_document) = issuer();
    let dids = snapshot(&[did_document]).await;
    for kind in CredentialKind::ALL {
        for suite in [Cryptosuite::EddsaRdfc2022, Cryptosuite::EddsaJcs2022] {
            let unsigned = example(kind, &holder());
            let signed = sign_credential(&unsigned, &issuer, suite, &ProofRequest::default())
                .await
                .unwrap();
            assert_eq!(signed["proof"]["cryptosuite"], suite.name());
            let verdict = verify(&signed, &dids).await;
            assert!(verdict.verified(), "{kind:?} {suite:?}: {verdict:#?}");
            assert_eq!(
                verdict.outcome_of(CheckName::CredentialSchema),
                Some(&Outcome::Passed)
            );
            assert_eq!(
                verdict.outcome_of(CheckName::TypeRules),
                Some(&Outcome::Passed)
            );
        }
    }
}

fn failed(verdict: &Verdict, check: CheckName) -> bool {
    matches!(verdict.outcome_of(check), Some(Outcome::Failed(_)))
}

#[tokio::test]
async fn broken_credentials_get_the_right_verdict() {
    let (issuer, did_document) = issuer();
    let dids = snapshot(&[did_document]).await;
    let unsigned = example(CredentialKind::Employment, &holder());
    for suite in [Cryptosuite::EddsaRdfc2022, Cryptosuite::EddsaJcs2022] {
        let signed = sign_credential(&unsigned, &issuer, suite, &ProofRequest::default())
            .await
            .unwrap();
        let other = sign_credential(
            &example(CredentialKind::Role, &holder()),
            &issuer,
            suite,
            &ProofRequest::default(),
        )
        .await
        .unwrap();
        let stranger = SigningIdentity::did_key(ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]));

        let mut tampered = signed.clone();
        tampered["credentialSubject"]["positionTitle"] = "Chief Executive".into();
        let mut added_term = signed.clone();
        added_term["credentialSubject"]["favouriteColour"] = "green".into();
        let mut swapped_proof = signed.clone();
        swapped_proof["proof"] = other["proof"].clone();
        let wrong_key = sign_credential(&unsigned, &stranger, suite, &ProofRequest::default())
            .await
            .unwrap();
        let mut unknown_context = signed.clone();
        unknown_context["@context"]
            .as_array_mut()
            .unwrap()
            .push("https://example.org/unknown/v1".into());
        let mut unresolvable = unsigned.clone();
        unresolvable["issuer"]["id"] = "did:web:nowhere.example".into();
        let unresolvable_issuer = SigningIdentity::new(
            ed25519_dalek::SigningKey::from_bytes(&[1u8; 32]),
            "did:web:nowhere.example#key-1".into(),
        );
        let unresolvable = sign_credential(
            &unresolvable,
            &unresolvable_issuer,
            suite,
            &ProofRequest::default(),
        )
        .await
        .unwrap();
        let mut expired = unsigned.clone();
        expired["validUntil"] = "2026-01-01T00:00:00Z".into();
        let expired = sign_credential(&expired, &issuer, suite, &ProofRequest::default())
            .await
            .unwrap();
        let mut not_yet = unsigned.clone();
        not_yet["validFrom"] = "2030-01-01T00:00:00Z".into();
        let not_yet = sign_credential(&not_yet, &issuer, suite, &ProofRequest::default())
            .await
            .unwrap();

        let cases: Vec<(&str, Value, CheckName)> = vec![
            ("tampered value", tampered, CheckName::Proof),
            (
                "added undefined term",
                added_term,
                CheckName::CredentialSchema,
            ),
            ("swapped proof", swapped_proof, CheckName::Proof),
            ("wrong key", wrong_key, CheckName::KeyResolution),
            ("expired", expired, CheckName::ValidUntil),
            ("not yet valid", not_yet, CheckName::ValidFrom),
        ];
        for (name, credential, check) in cases {
            let verdict = verify(&credential, &dids).await;
            assert!(!verdict.verified(), "{suite:?} {name}");
            assert!(failed(&verdict, check), "{suite:?} {name}: {verdict:#?}");
        }

        let verdict = verify(&unknown_context, &dids).await;
        assert!(
            !verdict.verified(),
            "{suite:?} unknown context: {verdict:#?}"
        );

        let verdict = verify(&unresolvable, &dids).await;
        assert!(!verdict.verified());
        assert!(
            verdict.inconclusive(),
            "{suite:?} an unresolvable DID is 'could not check': {verdict:#?}"
        );
        assert!(matches!(
            verdict.outcome_of(CheckName::KeyResolution),
            Some(Outcome::CouldNotCheck(_))
        ));
    }
}

#[tokio::test]
async fn added_undefined_term_also_breaks_the_rdfc_proof() {
    let (issuer, did_document) = issuer();
    let dids = snapshot(&[did_document]).await;
    let signed = sign_credential(
        &example(CredentialKind::CareIdentity, &holder()),
        &issuer,
        Cryptosuite::EddsaRdfc2022,
        &ProofRequest::default(),
    )
    .await
    .unwrap();
    let mut added = signed.clone();
    added["credentialSubject"]["favouriteColour"] = "green".into();
    let verdict = verify(&added, &dids).await;
    assert!(failed(&verdict, CheckName::Proof), "{verdict:#?}");
}

async fn presentation(
    holder: &SigningIdentity,
    credentials: Vec<Value>,
    challenge: &str,
    domain: &str,
) -> Value {
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder.did(),
        "verifiableCredential": credentials,
    });
    let request = ProofRequest {
        challenge: Some(challenge.into()),
        domain: Some(domain.into()),
        ..Default::default()
    };
    sign_presentation(&unsigned, holder, Cryptosuite::EddsaRdfc2022, &request)
        .await
        .unwrap()
}

#[tokio::test]
async fn presentations_check_challenge_domain_holder_and_every_credential() {
    let (issuer, did_document) = issuer();
    let dids = snapshot(&[did_document]).await;
    let alice = holder();
    let mallory = SigningIdentity::did_key(ed25519_dalek::SigningKey::from_bytes(&[3u8; 32]));
    let credential = sign_credential(
        &example(CredentialKind::Employment, &alice),
        &issuer,
        Cryptosuite::EddsaRdfc2022,
        &ProofRequest::default(),
    )
    .await
    .unwrap();
    let expected = PresentationExpectations {
        challenge: Some("c-123".into()),
        domain: Some("https://verifier.example".into()),
    };
    let clock = now();
    let env = VerificationEnvironment::new(&dids, &clock);

    let good = presentation(
        &alice,
        vec![credential.clone()],
        "c-123",
        "https://verifier.example",
    )
    .await;
    let verdict = verify_presentation(&good, &expected, &env).await.unwrap();
    assert!(verdict.verified(), "{verdict:#?}");

    let wrong_challenge = presentation(
        &alice,
        vec![credential.clone()],
        "c-999",
        "https://verifier.example",
    )
    .await;
    let verdict = verify_presentation(&wrong_challenge, &expected, &env)
        .await
        .unwrap();
    assert!(failed(&verdict.presentation, CheckName::Challenge));

    let wrong_domain = presentation(
        &alice,
        vec![credential.clone()],
        "c-123",
        "https://evil.example",
    )
    .await;
    let verdict = verify_presentation(&wrong_domain, &expected, &env)
        .await
        .unwrap();
    assert!(failed(&verdict.presentation, CheckName::Domain));

    let mut tampered = credential.clone();
    tampered["credentialSubject"]["staffGroup"] = "Estates and Ancillary".into();
    let holding_tampered =
        presentation(&alice, vec![tampered], "c-123", "https://verifier.example").await;
    let verdict = verify_presentation(&holding_tampered, &expected, &env)
        .await
        .unwrap();
    assert_eq!(
        verdict.presentation.outcome_of(CheckName::Proof),
        Some(&Outcome::Passed)
    );
    assert!(failed(&verdict.presentation, CheckName::Credentials));
    assert!(!verdict.verified());

    let stolen = presentation(
        &mallory,
        vec![credential.clone()],
        "c-123",
        "https://verifier.example",
    )
    .await;
    let verdict = verify_presentation(&stolen, &expected, &env).await.unwrap();
    assert!(
        failed(&verdict.presentation, CheckName::HolderBinding),
        "{verdict:#?}"
    );
    assert!(!verdict.verified());
}

#[tokio::test]
async fn a_signed_status_list_credential_verifies() {
    use credentials::status_list::{
        Bitstring, StatusListCredential, StatusPurpose, MINIMUM_ENTRIES,
    };
    let (issuer, did_document) = issuer();
    let dids = snapshot(&[did_document]).await;
    let mut list = Bitstring::new(MINIMUM_ENTRIES).unwrap();
    list.set(12345, true).unwrap();
    let unsigned = StatusListCredential {
        url: "http://127.0.0.1:8402/status/revocation/1",
        issuer: ISSUER_DID,
        purpose: StatusPurpose::Revocation,
        list: &list,
        valid_from: "2026-11-24T00:00:00Z".parse().unwrap(),
        valid_until: None,
        ttl_millis: Some(300_000),
    }
    .to_json()
    .unwrap();
    let signed = sign_credential(
        &unsigned,
        &issuer,
        Cryptosuite::EddsaRdfc2022,
        &ProofRequest::default(),
    )
    .await
    .unwrap();
    let verdict = verify(&signed, &dids).await;
    assert!(verdict.verified(), "{verdict:#?}");
    let mut flipped = signed.clone();
    let mut other = Bitstring::new(MINIMUM_ENTRIES).unwrap();
    other.set(12346, true).unwrap();
    flipped["credentialSubject"]["encodedList"] = other.encode().unwrap().into();
    assert!(failed(&verify(&flipped, &dids).await, CheckName::Proof));
}

#[tokio::test]
async fn a_presentation_signed_by_an_external_key_verifies_in_both_suites() {
    use ed25519_dalek::Signer as _;
    let (issuer, did_document) = issuer();
    let dids = snapshot(&[did_document]).await;
    let key = ed25519_dalek::SigningKey::from_bytes(&[2u8; 32]);
    let alice = holder();
    let credential = sign_credential(
        &example(CredentialKind::Employment, &alice),
        &issuer,
        Cryptosuite::EddsaRdfc2022,
        &ProofRequest::default(),
    )
    .await
    .unwrap();
    let expected = PresentationExpectations {
        challenge: Some("n-1".into()),
        domain: Some("decentralized_identifier:did:web:verifier.example".into()),
    };
    let clock = now();
    let env = VerificationEnvironment::new(&dids, &clock);
    for suite in [Cryptosuite::EddsaRdfc2022, Cryptosuite::EddsaJcs2022] {
        let unsigned = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "holder": alice.did(),
            "verifiableCredential": [credential.clone()],
        });
        let request = ProofRequest {
            challenge: expected.challenge.clone(),
            domain: expected.domain.clone(),
            created: Some("2026-11-24T11:00:00Z".parse().unwrap()),
        };
        let prepared =
            prepare_presentation_proof(&unsigned, alice.verification_method(), suite, &request)
                .await
                .unwrap();
        let signature = key.sign(prepared.data_to_sign()).to_bytes();
        let signed = prepared.finish(&signature);
        let verdict = verify_presentation(&signed, &expected, &env).await.unwrap();
        assert!(verdict.verified(), "{suite:?}: {verdict:#?}");
        // The same bytes the in-process signer signs: Ed25519 is deterministic.
        let internal = sign_presentation(&unsigned, &alice, suite, &request)
            .await
            .unwrap();
        assert_eq!(
            signed["proof"]["proofValue"], internal["proof"]["proofValue"],
            "{suite:?}"
        );

        // A signature by another key over the same data does not verify.
        let prepared =
            prepare_presentation_proof(&unsigned, alice.verification_method(), suite, &request)
                .await
                .unwrap();
        let other = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
        let forged = prepared.finish(&other.sign(b"anything").to_bytes());
        let verdict = verify_presentation(&forged, &expected, &env).await.unwrap();
        assert!(!verdict.verified(), "{suite:?}");
    }
}
