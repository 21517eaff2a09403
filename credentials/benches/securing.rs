//! Sign and verify of every credential type with each cryptosuite, next to the parts of
//! the work (JSON-LD expansion + RDF canonicalization, JCS, raw Ed25519) so the README
//! can say where the time goes.

use std::path::PathBuf;

use credentials::did::{did_web_document, ResolvedDids};
use credentials::securing::{
    loader_with, rdfc_canonical_nquads, sign_credential, verify_credential, Cryptosuite,
    ProofRequest, SigningIdentity, VerificationEnvironment,
};
use credentials::{CredentialKind, FixedClock, PinnedDidDocuments};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ed25519_dalek::{Signer, Verifier};
use serde_json::Value;

const ISSUER_DID: &str = "did:web:127.0.0.1%3A8401";

fn example(kind: CredentialKind) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("assets/schema-examples/{}.json", kind.slug()));
    serde_json::from_str(&std::fs::read_to_string(path).expect("example")).expect("example parses")
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let key = ed25519_dalek::SigningKey::from_bytes(&[1u8; 32]);
    let document = did_web_document(ISSUER_DID, &key.verifying_key());
    let issuer = SigningIdentity::new(key.clone(), format!("{ISSUER_DID}#key-1"));
    let pinned = PinnedDidDocuments::new().with(document).expect("pin");
    let dids = runtime.block_on(ResolvedDids::resolve_all(&pinned, [ISSUER_DID]));
    let clock = FixedClock("2026-11-24T12:00:00Z".parse().expect("time"));

    let mut sign = c.benchmark_group("sign");
    for kind in CredentialKind::ALL {
        for suite in [Cryptosuite::EddsaRdfc2022, Cryptosuite::EddsaJcs2022] {
            let unsigned = example(kind);
            sign.bench_with_input(
                BenchmarkId::new(suite.name(), kind.slug()),
                &unsigned,
                |b, unsigned| {
                    b.iter(|| {
                        runtime
                            .block_on(sign_credential(
                                unsigned,
                                &issuer,
                                suite,
                                &ProofRequest::default(),
                            ))
                            .expect("sign")
                    })
                },
            );
        }
    }
    sign.finish();

    let mut verify = c.benchmark_group("verify");
    let mut signed_rdfc = Vec::new();
    for kind in CredentialKind::ALL {
        for suite in [Cryptosuite::EddsaRdfc2022, Cryptosuite::EddsaJcs2022] {
            let signed = runtime
                .block_on(sign_credential(
                    &example(kind),
                    &issuer,
                    suite,
                    &ProofRequest::default(),
                ))
                .expect("sign");
            if suite == Cryptosuite::EddsaRdfc2022 {
                signed_rdfc.push(signed.clone());
            }
            verify.bench_with_input(
                BenchmarkId::new(suite.name(), kind.slug()),
                &signed,
                |b, signed| {
                    b.iter(|| {
                        let env = VerificationEnvironment::new(&dids, &clock);
                        let verdict = runtime
                            .block_on(verify_credential(signed, &env))
                            .expect("verify");
                        assert!(verdict.verified());
                    })
                },
            );
        }
    }
    verify.finish();
    export_for_peer(&signed_rdfc, &pinned_document(&key));

    // Where the time goes, on the employment credential.
    let mut parts = c.benchmark_group("parts");
    let signed = &signed_rdfc[1];
    let mut unsigned = signed.clone();
    unsigned.as_object_mut().expect("object").remove("proof");
    let loader = loader_with(Vec::new()).expect("loader");
    parts.bench_function("rdfc-canonicalize-document", |b| {
        b.iter(|| {
            runtime
                .block_on(rdfc_canonical_nquads(&unsigned, &loader))
                .expect("canonical")
        })
    });
    parts.bench_function("jcs-canonicalize-document", |b| {
        b.iter(|| serde_json_canonicalizer::to_vec(&unsigned).expect("jcs"))
    });
    parts.bench_function("schema-validate", |b| {
        b.iter(|| {
            credentials::securing::validate_against_schema(signed, CredentialKind::Employment)
        })
    });
    let message = [7u8; 64];
    let signature = key.sign(&message);
    let public = key.verifying_key();
    parts.bench_function("ed25519-verify", |b| {
        b.iter(|| public.verify(&message, &signature).expect("verify"))
    });
    parts.finish();
}

fn pinned_document(key: &ed25519_dalek::SigningKey) -> Value {
    did_web_document(ISSUER_DID, &key.verifying_key())
}

/// Leaves the signed credentials where `scripts/bench` hands them to Digital Bazaar's
/// verify, so both stacks verify the same documents in the same run.
fn export_for_peer(signed: &[Value], did_document: &Value) {
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-credentials.json");
    let body = serde_json::json!({"documents": signed, "didDocuments": {ISSUER_DID: did_document}});
    if let Err(e) = std::fs::write(&out, body.to_string()) {
        eprintln!("could not write {}: {e}", out.display());
    }
}

criterion_group! {
    name = securing;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(2)).warm_up_time(std::time::Duration::from_millis(500));
    targets = benches
}
criterion_main!(securing);
