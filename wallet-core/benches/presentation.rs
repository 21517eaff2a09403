//! The wallet's cost to build a presentation and the verifier's cost to check it, for both
//! formats: a Data Integrity VP (`eddsa-rdfc-2022`, one employment credential) and an
//! SD-JWT VC presentation disclosing four claims with a key-binding JWT. The holder key
//! sits in the wallet's own [`SoftwareKeyStore`], so building includes what the wallet pays
//! to reach it. Leaves the presentations in `target/bench-presentations.json`, where
//! `scripts/bench` hands them to Digital Bazaar's vc and to @sd-jwt/sd-jwt-vc, so both
//! stacks verify the same bytes in the same run.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use credentials::did::{did_web_document, ResolvedDids};
use credentials::sd_jwt::{
    claim_path, issue_sd_jwt_vc_at, jwt_vc_issuer_metadata, present, verify_sd_jwt_vc, ClaimPath,
    IssuerKeys, Jwk, JwtSigner, SdJwtExpectations,
};
use credentials::securing::{
    prepare_presentation_proof, sign_credential, verify_presentation, Cryptosuite,
    PresentationExpectations, ProofRequest, SigningIdentity, VerificationEnvironment,
};
use credentials::{
    CredentialKind, CredentialSubject, FixedClock, IssuerIdentity, PinnedDidDocuments,
    UnsignedCredential,
};
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};
use wallet_core::keys::{KeyHandle, KeyStore, SoftwareKeyStore};
use wallet_core::store::Store;

const ISSUER_DID: &str = "did:web:127.0.0.1%3A8401";
const ISSUER_URL: &str = "https://127.0.0.1:8401";
const CLIENT_ID: &str = "decentralized_identifier:did:web:127.0.0.1%3A8403";
const NONCE: &str = "bench-nonce-0S6_WzA2Mj";
/// The new-starter template's employment query.
const DISCLOSED: [&str; 4] = ["employer", "positionTitle", "staffGroup", "startDate"];

fn now() -> DateTime<Utc> {
    "2026-11-24T12:00:00Z".parse().unwrap()
}

fn employment_example() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../credentials/assets/schema-examples/employment.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A wallet key as the SD-JWT code wants a signer: every signature goes through the key
/// store, as `wallet-core`'s own (private) adapter does.
struct StoreSigner<'a> {
    keys: &'a dyn KeyStore,
    key: KeyHandle,
}

impl JwtSigner for StoreSigner<'_> {
    fn public_key(&self) -> ed25519_dalek::VerifyingKey {
        ed25519_dalek::VerifyingKey::from_bytes(&self.key.public_key).unwrap()
    }

    fn sign(&self, message: &[u8]) -> credentials::Result<[u8; 64]> {
        self.keys
            .sign(&self.key.id, message)
            .map_err(|e| credentials::Error::Signing(e.to_string()))
    }
}

/// What `Wallet::answer` does for an `ldp_vc` credential.
async fn build_di_presentation(keys: &dyn KeyStore, key_id: &str, credential: &Value) -> Value {
    let key = keys.key(key_id).unwrap();
    let unsigned = json!({
        "@context": [credentials::vocabulary::VC_V2_CONTEXT_URL],
        "type": ["VerifiablePresentation"],
        "holder": key.did().unwrap(),
        "verifiableCredential": [credential],
    });
    let proof = ProofRequest {
        created: Some(now()),
        challenge: Some(NONCE.into()),
        domain: Some(CLIENT_ID.into()),
    };
    let prepared = prepare_presentation_proof(
        &unsigned,
        &key.verification_method().unwrap(),
        Cryptosuite::EddsaRdfc2022,
        &proof,
    )
    .await
    .unwrap();
    let signature = keys.sign(&key.id, prepared.data_to_sign()).unwrap();
    prepared.finish(&signature)
}

/// What `Wallet::answer` does for a `dc+sd-jwt` credential.
fn build_sd_jwt_presentation(
    keys: &dyn KeyStore,
    key_id: &str,
    sd_jwt: &str,
    disclose: &[ClaimPath],
) -> String {
    let signer = StoreSigner {
        keys,
        key: keys.key(key_id).unwrap(),
    };
    present(sd_jwt, disclose, &signer, CLIENT_ID, NONCE, now()).unwrap()
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let issuer_key = ed25519_dalek::SigningKey::from_bytes(&[1u8; 32]);
    let issuer = SigningIdentity::new(issuer_key.clone(), format!("{ISSUER_DID}#key-1"));
    let issuer_document = did_web_document(ISSUER_DID, &issuer_key.verifying_key());

    let wallet_dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(wallet_dir.path(), "a long wallet passphrase").unwrap());
    let keys = SoftwareKeyStore::new(store);
    let holder = keys.create_key().unwrap();
    let holder_did = holder.did().unwrap();

    // The credentials as the wallet holds them, bound to its key.
    let mut unsigned = employment_example();
    unsigned["credentialSubject"]["id"] = json!(holder_did);
    let credential = runtime
        .block_on(sign_credential(
            &unsigned,
            &issuer,
            Cryptosuite::EddsaRdfc2022,
            &ProofRequest::default(),
        ))
        .unwrap();
    let subject = CredentialSubject::from_json(
        CredentialKind::Employment,
        &employment_example()["credentialSubject"],
    )
    .unwrap();
    let to_issue = UnsignedCredential::new(
        IssuerIdentity {
            id: ISSUER_DID.into(),
            name: "Guy's and St Thomas' NHS Foundation Trust".into(),
        },
        "2026-11-24T09:00:00Z".parse().unwrap(),
        subject,
    )
    .bound_to(Some(holder_did.clone()))
    .with_valid_until(Some("2027-11-24T09:00:00Z".parse().unwrap()));
    let holder_jwk =
        Jwk::ed25519(&ed25519_dalek::VerifyingKey::from_bytes(&holder.public_key).unwrap());
    let sd_jwt = issue_sd_jwt_vc_at(
        &to_issue,
        &issuer,
        Some(&holder_jwk),
        None,
        now() - Duration::hours(1),
    )
    .unwrap();
    let disclose: Vec<ClaimPath> = DISCLOSED
        .iter()
        .map(|claim| claim_path(&json!([claim])).unwrap())
        .collect();

    let mut build = c.benchmark_group("wallet-present");
    build.bench_function("ldp-vc-eddsa-rdfc-2022", |b| {
        b.iter(|| runtime.block_on(build_di_presentation(&keys, &holder.id, &credential)))
    });
    build.bench_function("dc-sd-jwt-kb-4-claims", |b| {
        b.iter(|| build_sd_jwt_presentation(&keys, &holder.id, &sd_jwt, &disclose))
    });
    // Of which reaching the key: the seed is opened from the encrypted store per signature.
    build.bench_function("keystore-sign", |b| {
        b.iter(|| keys.sign(&holder.id, &[7u8; 64]).unwrap())
    });
    build.finish();

    let di_presentation = runtime.block_on(build_di_presentation(&keys, &holder.id, &credential));
    let sd_jwt_presentation = build_sd_jwt_presentation(&keys, &holder.id, &sd_jwt, &disclose);

    // The verifier's side, with what it would have fetched beforehand: the issuer's DID
    // document (pinned), its JWT VC Issuer Metadata, and a fixed clock.
    let pinned = PinnedDidDocuments::new()
        .with(issuer_document.clone())
        .unwrap();
    let dids = runtime.block_on(ResolvedDids::resolve_all(
        &pinned,
        credentials::securing::verification_methods_named(&di_presentation)
            .iter()
            .map(String::as_str),
    ));
    let clock = FixedClock(now());
    let expected = PresentationExpectations {
        challenge: Some(NONCE.into()),
        domain: Some(CLIENT_ID.into()),
    };
    let mut issuer_keys = IssuerKeys::new();
    issuer_keys
        .add_metadata(ISSUER_URL, &jwt_vc_issuer_metadata(&issuer).unwrap())
        .unwrap();

    let mut check = c.benchmark_group("verifier-check");
    check.bench_function("ldp-vc-eddsa-rdfc-2022", |b| {
        b.iter(|| {
            let env = VerificationEnvironment::new(&dids, &clock);
            let verdict = runtime
                .block_on(verify_presentation(&di_presentation, &expected, &env))
                .unwrap();
            assert!(verdict.verified(), "{verdict:?}");
        })
    });
    check.bench_function("dc-sd-jwt-kb-4-claims", |b| {
        b.iter(|| {
            let verdict = verify_sd_jwt_vc(
                &sd_jwt_presentation,
                &issuer_keys,
                &SdJwtExpectations::presentation(CLIENT_ID, NONCE, now()),
            );
            assert!(verdict.verified(), "{verdict:?}");
        })
    });
    check.finish();

    export_for_peers(&json!({
        "dataIntegrity": {
            "presentation": di_presentation,
            "challenge": NONCE,
            "domain": CLIENT_ID,
            "now": "2026-11-24T12:00:00Z",
            "didDocuments": {ISSUER_DID: issuer_document},
        },
        "sdJwt": {
            "sdJwt": sd_jwt_presentation,
            "issuerJwk": Jwk::ed25519(&issuer_key.verifying_key()).to_json(),
            "nonce": NONCE,
            "aud": CLIENT_ID,
            "now": now().timestamp(),
        },
    }));
}

fn export_for_peers(body: &Value) {
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-presentations.json");
    if let Err(e) = std::fs::write(&out, body.to_string()) {
        eprintln!("could not write {}: {e}", out.display());
    }
}

criterion_group! {
    name = presentation;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(2)).warm_up_time(std::time::Duration::from_millis(500));
    targets = benches
}
criterion_main!(presentation);
