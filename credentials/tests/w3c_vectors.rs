//! The W3C `vc-di-eddsa` test vectors for `eddsa-rdfc-2022`, reproduced byte for byte.
//! (The `employ/` vector needs the citizenship v4rc1 context, which is not in ../shared, so
//! only the Alumni vector is reproduced.)

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use credentials::did::ResolvedDids;
use credentials::securing::{
    verify_credential, Cryptosuite, ProofRequest, SigningIdentity, VerificationEnvironment,
};
use credentials::{CheckName, FixedClock, Outcome};
use serde_json::Value;

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/spec-vectors/vc-di-eddsa")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(vectors().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json(path: &str) -> Value {
    serde_json::from_str(&read(path)).unwrap()
}

fn vector_key() -> SigningIdentity {
    let pair = json("keyPair.json");
    let (_, secret) = multibase::decode(pair["privateKeyMultibase"].as_str().unwrap()).unwrap();
    // Multicodec ed25519-priv is 0x8026 (varint 0x80 0x26), then the 32-byte seed.
    assert_eq!(&secret[..2], &[0x80, 0x26]);
    let seed: [u8; 32] = secret[2..].try_into().unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let identity = SigningIdentity::did_key(key);
    assert_eq!(
        identity.did(),
        format!("did:key:{}", pair["publicKeyMultibase"].as_str().unwrap())
    );
    identity
}

fn examples_context() -> Vec<(String, String)> {
    vec![(
        "https://www.w3.org/ns/credentials/examples/v2".to_owned(),
        ssi_contexts::CREDENTIALS_EXAMPLES_V2.to_owned(),
    )]
}

#[tokio::test]
async fn rdfc_vector_is_reproduced_byte_for_byte() {
    let signed_vector = json("eddsa-rdfc-2022/signedDataInt.json");
    let mut unsigned = signed_vector.clone();
    unsigned.as_object_mut().unwrap().remove("proof");
    let created: DateTime<Utc> = "2023-02-24T23:36:38Z".parse().unwrap();

    let identity = vector_key();
    let request = ProofRequest {
        created: Some(created),
        ..Default::default()
    };
    let signed = sign_with_examples(&unsigned, &identity, &request).await;

    assert_eq!(
        signed["proof"]["proofValue"],
        signed_vector["proof"]["proofValue"]
    );
    assert_eq!(
        signed, signed_vector,
        "the whole secured document matches the vector"
    );

    let signature = hex::encode(
        multibase::decode(signed["proof"]["proofValue"].as_str().unwrap())
            .unwrap()
            .1,
    );
    assert_eq!(signature, read("eddsa-rdfc-2022/sigHexDataInt.txt").trim());
}

#[tokio::test]
async fn rdfc_vector_canonical_forms_and_hash_match() {
    let signed_vector = json("eddsa-rdfc-2022/signedDataInt.json");
    let mut unsigned = signed_vector.clone();
    unsigned.as_object_mut().unwrap().remove("proof");
    let loader = credentials::securing::loader_with(examples_context()).unwrap();

    let canonical_document = credentials::securing::rdfc_canonical_nquads(&unsigned, &loader)
        .await
        .unwrap();
    assert_eq!(
        canonical_document,
        read("eddsa-rdfc-2022/canonDocDataInt.txt")
    );

    let proof_config = json("eddsa-rdfc-2022/proofConfigDataInt.json");
    let canonical_config = credentials::securing::rdfc_canonical_nquads(&proof_config, &loader)
        .await
        .unwrap();
    assert_eq!(
        canonical_config,
        read("eddsa-rdfc-2022/proofCanonDataInt.txt")
    );

    let hash = credentials::securing::rdfc_hash_data(&canonical_config, &canonical_document);
    assert_eq!(
        hex::encode(hash),
        read("eddsa-rdfc-2022/combinedHashDataInt.txt").trim()
    );
}

#[tokio::test]
async fn rdfc_vector_verifies_and_a_tampered_copy_does_not() {
    let signed_vector = json("eddsa-rdfc-2022/signedDataInt.json");
    let dids = ResolvedDids::default();
    let clock = FixedClock("2024-01-01T00:00:00Z".parse().unwrap());
    let env = VerificationEnvironment {
        extra_contexts: examples_context(),
        issuer_binding: false,
        ..VerificationEnvironment::new(&dids, &clock)
    };

    let verdict = verify_credential(&signed_vector, &env).await.unwrap();
    assert_eq!(
        verdict.outcome_of(CheckName::Proof),
        Some(&Outcome::Passed),
        "{verdict:?}"
    );

    let mut tampered = signed_vector.clone();
    tampered["credentialSubject"]["alumniOf"] = "The School of Forgeries".into();
    let verdict = verify_credential(&tampered, &env).await.unwrap();
    assert!(
        matches!(
            verdict.outcome_of(CheckName::Proof),
            Some(Outcome::Failed(_))
        ),
        "{verdict:?}"
    );
}

async fn sign_with_examples(
    unsigned: &Value,
    identity: &SigningIdentity,
    request: &ProofRequest,
) -> Value {
    credentials::securing::sign_credential_with_contexts(
        unsigned,
        identity,
        Cryptosuite::EddsaRdfc2022,
        request,
        examples_context(),
    )
    .await
    .unwrap()
}

/// A presentation whose two credentials share an identical employer object: the blank
/// nodes are told apart only through their (already labelled) graphs. The expected
/// N-Quads are Digital Bazaar's `rdf-canonize` output (vendor/ssi-rdf/PATCHED.md).
#[tokio::test]
async fn symmetric_blank_nodes_across_graphs_canonicalise_as_rdf_canonize_does() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let presentation: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures.join("presentation-with-symmetric-blank-nodes.json"))
            .unwrap(),
    )
    .unwrap();
    let expected = std::fs::read_to_string(
        fixtures.join("presentation-with-symmetric-blank-nodes.rdf-canonize.nq"),
    )
    .unwrap();
    let loader = credentials::securing::loader_with(Vec::new()).unwrap();
    let canonical = credentials::securing::rdfc_canonical_nquads(&presentation, &loader)
        .await
        .unwrap();
    assert_eq!(canonical, expected);
}
