//! What a Bitstring Status List costs: the registry re-signing a full 131,072-entry list
//! after a change (encode + GZIP + sign), and the verifier's status check once the lists
//! are in its cache (verify each list credential, then read the credential's bits).

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use credentials::did::{did_web_document, ResolvedDids};
use credentials::securing::{
    sign_credential, verify_credential, Cryptosuite, ProofRequest, SigningIdentity, StatusLists,
    VerificationEnvironment,
};
use credentials::status_list::{
    status_in, Bitstring, StatusEntry, StatusListCredential, StatusPurpose, MINIMUM_ENTRIES,
};
use credentials::{CheckName, CredentialKind, FixedClock, Outcome, PinnedDidDocuments};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rand::{Rng, SeedableRng};
use serde_json::Value;

const ISSUER_DID: &str = "did:web:127.0.0.1%3A8401";
const REGISTRY_DID: &str = "did:web:127.0.0.1%3A8402";
const REGISTRY_URL: &str = "http://127.0.0.1:8402";

fn at(time: &str) -> DateTime<Utc> {
    time.parse().expect("time")
}

/// A full list with `share` of its entries set at random (seeded, so every run compresses
/// the same bits): GZIP's work, and the list's size, grow with the share.
fn list_with(share: f64) -> Bitstring {
    let mut list = Bitstring::new(MINIMUM_ENTRIES).expect("list");
    let mut rng = rand::rngs::StdRng::seed_from_u64(4);
    for index in 0..MINIMUM_ENTRIES {
        if rng.gen_bool(share) {
            list.set(index, true).expect("in range");
        }
    }
    list
}

fn gzip(bytes: &[u8], level: flate2::Compression) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), level);
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

fn list_url(purpose: StatusPurpose) -> String {
    format!("{REGISTRY_URL}/status/{}/1", purpose.as_str())
}

fn unsigned_list(purpose: StatusPurpose, url: &str, list: &Bitstring) -> Value {
    StatusListCredential {
        url,
        issuer: REGISTRY_DID,
        purpose,
        list,
        valid_from: at("2026-11-24T00:00:00Z"),
        valid_until: None,
        ttl_millis: Some(300_000),
    }
    .to_json()
    .expect("list credential")
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let issuer_key = ed25519_dalek::SigningKey::from_bytes(&[1u8; 32]);
    let registry_key = ed25519_dalek::SigningKey::from_bytes(&[2u8; 32]);
    let issuer = SigningIdentity::new(issuer_key.clone(), format!("{ISSUER_DID}#key-1"));
    let registry = SigningIdentity::new(registry_key.clone(), format!("{REGISTRY_DID}#key-1"));
    let pinned = PinnedDidDocuments::new()
        .with(did_web_document(ISSUER_DID, &issuer_key.verifying_key()))
        .expect("pin")
        .with(did_web_document(
            REGISTRY_DID,
            &registry_key.verifying_key(),
        ))
        .expect("pin");
    let dids = runtime.block_on(ResolvedDids::resolve_all(
        &pinned,
        [ISSUER_DID, REGISTRY_DID],
    ));
    let clock = FixedClock(at("2026-11-24T12:00:00Z"));
    let proof = ProofRequest {
        created: Some(at("2026-11-24T00:00:00Z")),
        ..Default::default()
    };

    // The registry's work after each change: the whole list, encoded and signed again.
    let mut resign = c.benchmark_group("status-list-resign");
    for share in [0.0, 0.01, 0.1] {
        let list = list_with(share);
        let url = list_url(StatusPurpose::Revocation);
        let label = format!("{}-percent-set", share * 100.0);
        resign.bench_with_input(BenchmarkId::new("encode", &label), &list, |b, list| {
            b.iter(|| list.encode().expect("encode"))
        });
        // `encode` compresses at GZIP's best level; the default level, for comparison.
        resign.bench_with_input(
            BenchmarkId::new("gzip-default-level", &label),
            &list,
            |b, list| b.iter(|| gzip(list.as_bytes(), flate2::Compression::default())),
        );
        eprintln!(
            "{label}: encodedList {} characters; GZIP best {} bytes, default {} bytes",
            list.encode().expect("encode").len(),
            gzip(list.as_bytes(), flate2::Compression::best()).len(),
            gzip(list.as_bytes(), flate2::Compression::default()).len(),
        );
        resign.bench_with_input(
            BenchmarkId::new("encode-and-sign", &label),
            &list,
            |b, list| {
                b.iter(|| {
                    let unsigned = unsigned_list(StatusPurpose::Revocation, &url, list);
                    runtime
                        .block_on(sign_credential(
                            &unsigned,
                            &registry,
                            Cryptosuite::EddsaRdfc2022,
                            &proof,
                        ))
                        .expect("sign")
                })
            },
        );
    }
    resign.finish();

    // An employment credential with a revocation and a suspension entry, and the two
    // signed lists it points at (1 % of each set, its own bits clear), as a verifier holds
    // them once fetched.
    let entries = [
        StatusEntry {
            purpose: StatusPurpose::Revocation,
            index: 94_567,
            list_credential: list_url(StatusPurpose::Revocation),
        },
        StatusEntry {
            purpose: StatusPurpose::Suspension,
            index: 1_234,
            list_credential: list_url(StatusPurpose::Suspension),
        },
    ];
    let mut signed_lists = Vec::new();
    for entry in &entries {
        let mut list = list_with(0.01);
        list.set(entry.index, false).expect("in range");
        let unsigned = unsigned_list(entry.purpose, &entry.list_credential, &list);
        let signed = runtime
            .block_on(sign_credential(
                &unsigned,
                &registry,
                Cryptosuite::EddsaRdfc2022,
                &proof,
            ))
            .expect("sign list");
        signed_lists.push(signed);
    }
    let mut status_lists = StatusLists::default();
    for (entry, signed) in entries.iter().zip(&signed_lists) {
        status_lists
            .lists
            .insert(entry.list_credential.clone(), Ok(signed.clone()));
    }
    let mut unsigned = serde_json::from_str::<Value>(
        &std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!(
            "assets/schema-examples/{}.json",
            CredentialKind::Employment.slug()
        )))
        .expect("example"),
    )
    .expect("example parses");
    unsigned["credentialStatus"] = entries.iter().map(StatusEntry::to_json).collect();
    let credential = runtime
        .block_on(sign_credential(
            &unsigned,
            &issuer,
            Cryptosuite::EddsaRdfc2022,
            &ProofRequest::default(),
        ))
        .expect("sign credential");

    let mut without_status = unsigned.clone();
    without_status
        .as_object_mut()
        .expect("object")
        .remove("credentialStatus");
    let without_status = runtime
        .block_on(sign_credential(
            &without_status,
            &issuer,
            Cryptosuite::EddsaRdfc2022,
            &ProofRequest::default(),
        ))
        .expect("sign credential");

    let mut check = c.benchmark_group("status-check-warm");
    // The check itself: read both entries' bits from lists already verified.
    check.bench_function("read-entries", |b| {
        b.iter(|| {
            for (entry, list) in entries.iter().zip(&signed_lists) {
                assert!(!status_in(entry, list).expect("status"));
            }
        })
    });
    // What the verifier does with each cached list on every verification: verify its proof.
    check.bench_function("verify-list-credential", |b| {
        b.iter(|| {
            let verdict = runtime
                .block_on(verify_credential(
                    &signed_lists[0],
                    &VerificationEnvironment::new(&dids, &clock),
                ))
                .expect("verify");
            assert!(verdict.verified());
        })
    });
    // The same credential with no status entries, for comparison.
    check.bench_function("verify-credential-without-status", |b| {
        b.iter(|| {
            let verdict = runtime
                .block_on(verify_credential(
                    &without_status,
                    &VerificationEnvironment::new(&dids, &clock),
                ))
                .expect("verify");
            assert!(verdict.verified(), "{verdict:?}");
        })
    });
    // The credential's own verdict, its status read from lists already verified.
    check.bench_function("verify-credential-with-status", |b| {
        b.iter(|| {
            let env = VerificationEnvironment::new(&dids, &clock).with_status_lists(&status_lists);
            let verdict = runtime
                .block_on(verify_credential(&credential, &env))
                .expect("verify");
            assert!(verdict.verified(), "{verdict:?}");
        })
    });
    // The verifier's whole warm-cache path: both lists verified, then the credential's
    // verdict with its status read from them.
    check.bench_function("verify-lists-then-credential", |b| {
        b.iter(|| {
            for list in &signed_lists {
                let verdict = runtime
                    .block_on(verify_credential(
                        list,
                        &VerificationEnvironment::new(&dids, &clock),
                    ))
                    .expect("verify list");
                assert!(verdict.verified());
            }
            let env = VerificationEnvironment::new(&dids, &clock).with_status_lists(&status_lists);
            let verdict = runtime
                .block_on(verify_credential(&credential, &env))
                .expect("verify");
            assert!(verdict.verified(), "{verdict:?}");
            assert_eq!(
                verdict.outcome_of(CheckName::Status),
                Some(&Outcome::Passed)
            );
        })
    });
    check.finish();
}

criterion_group! {
    name = status;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(2)).warm_up_time(std::time::Duration::from_millis(500));
    targets = benches
}
criterion_main!(status);
