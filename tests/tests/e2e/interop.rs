//! Interoperability with Digital Bazaar's JavaScript stack (`tests/js`): our credentials
//! and presentations verify there, and theirs verify here.

use std::path::PathBuf;

use credentials::CredentialKind;
use serde_json::{json, Value};
use tests::{
    digital_bazaar, our_contexts, register_issuer, sample_trust_name, Platform, OPERATOR_TOKEN,
};

use crate::journeys::{holder, presentation_of};

async fn did_documents(platform: &Platform) -> Value {
    json!({ platform.issuer_did.clone(): platform.issuer_did_document().await.unwrap() })
}

fn example(kind: CredentialKind) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!(
        "../credentials/assets/schema-examples/{}.json",
        kind.slug()
    ));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// One credential of every type, issued by our issuer through a VC API issue endpoint.
async fn one_of_every_type(platform: &Platform, holder_did: &str, endpoint: &str) -> Vec<Value> {
    let mut issued = Vec::new();
    for kind in CredentialKind::ALL {
        let mut credential = example(kind);
        for field in ["issuer", "id", "proof"] {
            credential.as_object_mut().unwrap().remove(field);
        }
        credential["credentialSubject"]["id"] = holder_did.into();
        let response = platform
            .admin_post(endpoint, &json!({"credential": credential}))
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{kind:?}");
        issued.push(response.json::<Value>().await.unwrap()["verifiableCredential"].clone());
    }
    issued
}

#[tokio::test]
async fn our_credentials_of_every_type_verify_in_digital_bazaar() {
    let platform = Platform::start().await.unwrap();
    let dids = did_documents(&platform).await;
    let alice = holder(31);
    let mut issued = one_of_every_type(
        &platform,
        alice.did(),
        "/instances/eddsa-rdfc-2022/credentials/issue",
    )
    .await;
    issued.extend(
        one_of_every_type(
            &platform,
            alice.did(),
            "/instances/eddsa-jcs-2022/credentials/issue",
        )
        .await,
    );
    assert_eq!(
        issued
            .iter()
            .filter(|c| c["proof"]["cryptosuite"] == "eddsa-jcs-2022")
            .count(),
        7
    );
    for credential in issued {
        let request = json!({"kind": "credential", "document": credential, "contexts": our_contexts(), "didDocuments": dids});
        let result = digital_bazaar("verify.mjs", &request).await.unwrap();
        assert_eq!(
            result["verified"], true,
            "{} {}: {result:#}",
            credential["type"][1], credential["proof"]["cryptosuite"]
        );

        let mut tampered = credential.clone();
        tampered["credentialSubject"]["careIdentityUuid"] = "999999999999".into();
        let request = json!({"kind": "credential", "document": tampered, "contexts": our_contexts(), "didDocuments": dids});
        let result = digital_bazaar("verify.mjs", &request).await.unwrap();
        assert_eq!(
            result["verified"], false,
            "a tampered {} must fail there too",
            credential["type"][1]
        );
    }
}

#[tokio::test]
async fn a_credential_signed_by_digital_bazaar_verifies_here() {
    let platform = Platform::start().await.unwrap();
    let mut unsigned = example(CredentialKind::Employment);
    unsigned.as_object_mut().unwrap().remove("id");
    let request = json!({"kind": "credential", "document": unsigned, "seed": "07".repeat(32), "contexts": our_contexts()});
    let signed = digital_bazaar("sign.mjs", &request).await.unwrap();
    let credential = &signed["signed"];
    assert!(
        credential.is_object(),
        "Digital Bazaar refused to sign: {signed:#}"
    );
    // Their did:key issuer is trusted only once the operator registers it, and only for
    // the type it is registered for.
    let result = platform.verify_credential(credential).await.unwrap();
    assert_eq!(result["verified"], false, "{result:#}");
    assert_eq!(result["results"]["issuerTrusted"]["verified"], false);
    register_issuer(
        &platform.registry_url,
        OPERATOR_TOKEN,
        signed["did"].as_str().unwrap(),
        "RTH",
        &sample_trust_name("RTH"),
        &["EmploymentCredential"],
    )
    .await
    .unwrap();
    // Trust is judged at the moment of issuance, and the registration's interval starts at
    // its second: one signed before it stays untrusted, so they sign again (same key, same
    // DID) once registered.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let signed = digital_bazaar("sign.mjs", &request).await.unwrap();
    let credential = &signed["signed"];
    // The registry's change feed tells the verifier to drop its cached trust list.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    let result = loop {
        let result = platform.verify_credential(credential).await.unwrap();
        if result["verified"] == true || std::time::Instant::now() > deadline {
            break result;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(result["verified"], true, "{result:#}");

    let mut tampered = credential.clone();
    tampered["credentialSubject"]["positionTitle"] = "Chief Executive".into();
    let result = platform.verify_credential(&tampered).await.unwrap();
    assert_eq!(result["verified"], false);
}

#[tokio::test]
async fn presentations_verify_both_ways() {
    let platform = Platform::start().await.unwrap();
    let dids = did_documents(&platform).await;
    let domain = platform.verifier_url.clone();

    // Ours, verified there.
    let alice = holder(32);
    let credentials = platform
        .issue_person("P0001", Some(alice.did()), "eddsa-rdfc-2022")
        .await
        .unwrap();
    let presentation = presentation_of(&alice, credentials, "our-challenge", &domain).await;
    let request = json!({"kind": "presentation", "document": presentation, "challenge": "our-challenge", "domain": domain, "contexts": our_contexts(), "didDocuments": dids});
    let result = digital_bazaar("verify.mjs", &request).await.unwrap();
    assert_eq!(result["verified"], true, "{result:#}");
    let request = json!({"kind": "presentation", "document": presentation, "challenge": "another", "domain": domain, "contexts": our_contexts(), "didDocuments": dids});
    assert_eq!(
        digital_bazaar("verify.mjs", &request).await.unwrap()["verified"],
        false
    );

    // Theirs, holding credentials we issued to their key, verified here.
    let seed = "05".repeat(32);
    let key = digital_bazaar("sign.mjs", &json!({"kind": "keygen", "seed": seed}))
        .await
        .unwrap();
    let their_did = key["did"].as_str().unwrap();
    let credentials = platform
        .issue_person("P0002", Some(their_did), "eddsa-rdfc-2022")
        .await
        .unwrap();
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": their_did,
        "verifiableCredential": credentials,
    });
    let request = json!({"kind": "presentation", "document": unsigned, "challenge": "their-challenge", "domain": domain, "seed": seed, "contexts": our_contexts(), "didDocuments": dids});
    let signed = digital_bazaar("sign.mjs", &request).await.unwrap();
    let result = platform
        .verify_presentation(&signed["signed"], "their-challenge", &domain)
        .await
        .unwrap();
    assert_eq!(result["verified"], true, "{result:#}");
    let result = platform
        .verify_presentation(
            &signed["signed"],
            "their-challenge",
            "https://elsewhere.example",
        )
        .await
        .unwrap();
    assert_eq!(result["verified"], false);
}

#[tokio::test]
async fn status_lists_read_the_same_in_digital_bazaar() {
    use credentials::status_list::{
        Bitstring, StatusListCredential, StatusPurpose, MINIMUM_ENTRIES,
    };
    let set = vec![0usize, 7, 8, 4242, MINIMUM_ENTRIES - 1];
    let mut ours = Bitstring::new(MINIMUM_ENTRIES).unwrap();
    for index in &set {
        ours.set(*index, true).unwrap();
    }
    let decoded = digital_bazaar(
        "status-list.mjs",
        &json!({"op": "decode", "encodedList": ours.encode().unwrap()}),
    )
    .await
    .unwrap();
    assert_eq!(decoded["length"], MINIMUM_ENTRIES);
    assert_eq!(decoded["set"], json!(set));

    let theirs = digital_bazaar(
        "status-list.mjs",
        &json!({"op": "encode", "length": MINIMUM_ENTRIES, "set": set}),
    )
    .await
    .unwrap();
    let read = Bitstring::decode(theirs["encodedList"].as_str().unwrap()).unwrap();
    assert_eq!(read.set_indexes(), set);

    // A list credential signed by our issuer verifies there too.
    let platform = Platform::start().await.unwrap();
    let unsigned = StatusListCredential {
        url: "https://registry.example.nhs.uk/status/revocation/1",
        issuer: &platform.issuer_did,
        purpose: StatusPurpose::Revocation,
        list: &ours,
        valid_from: "2026-01-01T00:00:00Z".parse().unwrap(),
        valid_until: None,
        ttl_millis: Some(300_000),
    }
    .to_json()
    .unwrap();
    let response = platform
        .admin_post("/credentials/issue", &json!({"credential": unsigned}))
        .await
        .unwrap();
    let signed = response.json::<Value>().await.unwrap()["verifiableCredential"].clone();
    let request =
        json!({"op": "verify", "document": signed, "didDocuments": did_documents(&platform).await});
    let result = digital_bazaar("status-list.mjs", &request).await.unwrap();
    assert_eq!(result["verified"], true, "{result:#}");
}

/// SD-JWT VC interop with the OpenWallet Foundation's `@sd-jwt/sd-jwt-vc` (`tests/js`): our
/// credentials and key-bound presentations verify there, and theirs (issued and presented
/// by their library with Ed25519 keys) verify here. There is no HTTP issuance of SD-JWT
/// VCs yet, so these call the pure functions of `credentials::sd_jwt`.
mod sd_jwt_vc {
    use chrono::{DateTime, Utc};
    use credentials::catalogue::{CredentialSubject, IssuerIdentity};
    use credentials::sd_jwt::{
        claim_path, disclosable_claims, issue_sd_jwt_vc_at, issuer_url_of_did_web,
        jwt_vc_issuer_metadata, present, sign_status_list_token, verify_sd_jwt_vc, ClaimPath,
        IssuerKeys, Jwk, SdJwtExpectations, StatusListReference, TokenStatusList, STATUS_INVALID,
    };
    use credentials::vocabulary::vct;
    use credentials::{CheckName, CredentialKind, Outcome, SigningIdentity, UnsignedCredential};
    use serde_json::{json, Value};
    use tests::digital_bazaar as run_js;

    use super::example;

    const ISSUER_DID: &str = "did:web:127.0.0.1%3A8401";
    const AUD: &str = "x509_san_dns:onboarding.example.nhs.uk";
    const THEIR_ISSUER: &str = "https://js-issuer.example.nhs.uk";

    fn seed(byte: u8) -> [u8; 32] {
        [byte; 32]
    }

    fn issuer() -> SigningIdentity {
        SigningIdentity::new(
            ed25519_dalek::SigningKey::from_bytes(&seed(0x51)),
            format!("{ISSUER_DID}#key-1"),
        )
    }

    fn holder() -> SigningIdentity {
        SigningIdentity::did_key(ed25519_dalek::SigningKey::from_bytes(&seed(0x52)))
    }

    fn unsigned(kind: CredentialKind) -> UnsignedCredential {
        let subject =
            CredentialSubject::from_json(kind, &example(kind)["credentialSubject"]).unwrap();
        let now = Utc::now();
        UnsignedCredential::new(
            IssuerIdentity {
                id: ISSUER_DID.into(),
                name: "Guy's and St Thomas' NHS Foundation Trust".into(),
            },
            now - chrono::Duration::days(1),
            subject,
        )
        .bound_to(Some(holder().did().to_owned()))
        .with_valid_until(Some(now + chrono::Duration::days(365)))
    }

    fn our_issuer_jwk() -> Value {
        jwt_vc_issuer_metadata(&issuer()).unwrap()["jwks"]["keys"][0].clone()
    }

    /// A subset worth showing: the first two subject claims, and the second element of
    /// every claim disclosed element by element.
    fn subset(sd_jwt: &str) -> Vec<ClaimPath> {
        let claims = disclosable_claims(sd_jwt).unwrap();
        let mut chosen: Vec<ClaimPath> = claims
            .iter()
            .filter(|c| c.path.len() == 1)
            .take(2)
            .map(|c| c.path.clone())
            .collect();
        chosen.extend(
            claims
                .iter()
                .filter(|c| serde_json::to_value(&c.path).unwrap()[1] == json!(1))
                .map(|c| c.path.clone()),
        );
        chosen
    }

    fn top_level_names(paths: &[ClaimPath]) -> Vec<String> {
        let mut names: Vec<String> = paths
            .iter()
            .map(|p| {
                serde_json::to_value(p).unwrap()[0]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }

    fn subject_claims_of(claims: &Value) -> Vec<String> {
        const REGISTERED: [&str; 6] = ["iss", "iat", "nbf", "exp", "vct", "cnf"];
        let mut names: Vec<String> = claims
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| !REGISTERED.contains(&k.as_str()) && k.as_str() != "status")
            .cloned()
            .collect();
        names.sort();
        names
    }

    async fn their_verify(sd_jwt: &str, nonce: &str, now: DateTime<Utc>, extra: Value) -> Value {
        let mut request = json!({
            "sdJwt": sd_jwt, "issuerJwk": our_issuer_jwk(),
            "nonce": nonce, "aud": AUD, "now": now.timestamp(),
        });
        for (k, v) in extra.as_object().unwrap() {
            request[k] = v.clone();
        }
        run_js("sd-jwt-verify.mjs", &request).await.unwrap()
    }

    #[tokio::test]
    async fn our_sd_jwt_vcs_of_every_type_verify_in_the_sd_jwt_vc_library() {
        let holder_jwk = Jwk::ed25519(&holder().public_key());
        for kind in CredentialKind::ALL {
            let sd_jwt = issue_sd_jwt_vc_at(
                &unsigned(kind),
                &issuer(),
                Some(&holder_jwk),
                None,
                Utc::now(),
            )
            .unwrap();
            let now = Utc::now();
            let chosen = subset(&sd_jwt);
            let presented = present(&sd_jwt, &chosen, &holder(), AUD, "nonce-1", now).unwrap();

            let theirs = their_verify(&presented, "nonce-1", now, json!({})).await;
            assert_eq!(theirs["verified"], true, "{kind:?}: {theirs:#}");
            assert_eq!(theirs["header"]["typ"], "dc+sd-jwt");
            assert_eq!(theirs["header"]["kid"], format!("{ISSUER_DID}#key-1"));
            assert_eq!(theirs["claims"]["vct"], vct(kind));
            assert_eq!(
                theirs["claims"]["iss"],
                issuer_url_of_did_web(ISSUER_DID).unwrap()
            );
            assert_eq!(theirs["kb"]["aud"], AUD);
            // Exactly the chosen claims reached them, with the values we signed.
            assert_eq!(
                subject_claims_of(&theirs["claims"]),
                top_level_names(&chosen)
            );
            let ours = verify_sd_jwt_vc(
                &presented,
                &{
                    let mut keys = IssuerKeys::new();
                    keys.add_metadata(
                        &issuer_url_of_did_web(ISSUER_DID).unwrap(),
                        &jwt_vc_issuer_metadata(&issuer()).unwrap(),
                    )
                    .unwrap();
                    keys
                },
                &SdJwtExpectations::presentation(AUD, "nonce-1", now),
            );
            assert!(ours.verified(), "{kind:?}: {ours:?}");
            assert_eq!(ours.claims().unwrap()["cnf"], theirs["claims"]["cnf"]);
            for name in top_level_names(&chosen) {
                assert_eq!(
                    ours.claims().unwrap()[&name],
                    theirs["claims"][&name],
                    "{name}"
                );
            }

            // A replayed presentation (the verifier now expects a new nonce) fails there too.
            let replayed = their_verify(&presented, "nonce-2", now, json!({})).await;
            assert_eq!(replayed["verified"], false, "{kind:?}");
            assert!(replayed["error"].as_str().unwrap().contains("Nonce"));
        }
    }

    #[tokio::test]
    async fn a_tampered_or_foreign_presentation_of_ours_fails_in_the_library() {
        let holder_jwk = Jwk::ed25519(&holder().public_key());
        let kind = CredentialKind::CareIdentity;
        let sd_jwt = issue_sd_jwt_vc_at(
            &unsigned(kind),
            &issuer(),
            Some(&holder_jwk),
            None,
            Utc::now(),
        )
        .unwrap();
        let other = issue_sd_jwt_vc_at(
            &unsigned(kind),
            &issuer(),
            Some(&holder_jwk),
            None,
            Utc::now(),
        )
        .unwrap();
        let now = Utc::now();
        let given = vec![claim_path(&json!(["givenName"])).unwrap()];
        let presented = present(&sd_jwt, &given, &holder(), AUD, "n", now).unwrap();
        let foreign = present(&other, &given, &holder(), AUD, "n", now).unwrap();
        // Our issuer JWT with the other credential's disclosure and key binding.
        let mixed = format!(
            "{}~{}",
            presented.split('~').next().unwrap(),
            foreign.split_once('~').unwrap().1
        );
        let theirs = their_verify(&mixed, "n", now, json!({})).await;
        assert_eq!(theirs["verified"], false, "{theirs:#}");
        let ours = verify_sd_jwt_vc(
            &mixed,
            &{
                let mut keys = IssuerKeys::new();
                keys.insert(
                    issuer_url_of_did_web(ISSUER_DID).unwrap(),
                    vec![Jwk::from_json(&our_issuer_jwk()).unwrap()],
                );
                keys
            },
            &SdJwtExpectations::presentation(AUD, "n", now),
        );
        assert!(matches!(
            ours.verdict.outcome_of(CheckName::Disclosures),
            Some(Outcome::Failed(_))
        ));
        // Signed by the wrong key, as far as the library knows.
        let wrong_key = their_verify(
            &presented,
            "n",
            now,
            json!({ "issuerJwk": Jwk::ed25519(&holder().public_key()).to_json() }),
        )
        .await;
        assert_eq!(wrong_key["verified"], false);
    }

    #[tokio::test]
    async fn our_token_status_lists_read_the_same_in_the_library() {
        let registry = SigningIdentity::new(
            ed25519_dalek::SigningKey::from_bytes(&seed(0x53)),
            "did:web:127.0.0.1%3A8402#key-1".into(),
        );
        let uri = "https://127.0.0.1:8402/token-status/1";
        let mut list = TokenStatusList::new(2, 1024).unwrap();
        list.set(5, STATUS_INVALID).unwrap();
        let now = Utc::now();
        let token = sign_status_list_token(
            &list,
            uri,
            &registry,
            now,
            Some(now + chrono::Duration::minutes(10)),
            Some(600),
        )
        .unwrap();
        let holder_jwk = Jwk::ed25519(&holder().public_key());
        let extra = json!({
            "statusLists": { uri: token },
            "statusListJwk": Jwk::ed25519(&registry.public_key()).to_json(),
        });
        for (idx, valid) in [(3, true), (5, false)] {
            let reference = StatusListReference {
                idx,
                uri: uri.into(),
            };
            let sd_jwt = issue_sd_jwt_vc_at(
                &unsigned(CredentialKind::Employment),
                &issuer(),
                Some(&holder_jwk),
                Some(&reference),
                now,
            )
            .unwrap();
            let presented = present(&sd_jwt, &[], &holder(), AUD, "n", now).unwrap();
            let theirs = their_verify(&presented, "n", now, extra.clone()).await;
            assert_eq!(theirs["verified"], valid, "idx {idx}: {theirs:#}");
            if !valid {
                let error = theirs["error"].as_str().unwrap();
                assert!(error.contains("Status is not valid"), "{error}");
            }
        }
    }

    #[tokio::test]
    async fn sd_jwt_vcs_issued_and_presented_by_the_library_verify_here() {
        const THEIR_ISSUER_SEED: &str =
            "5454545454545454545454545454545454545454545454545454545454545454";
        let holder_seed = hex::encode(seed(0x52));
        // Their key from a seed is ours from the same seed: the JWKs agree.
        let their_holder = run_js(
            "sd-jwt-issue.mjs",
            &json!({"op": "keygen", "seed": holder_seed}),
        )
        .await
        .unwrap();
        let holder_jwk = Jwk::ed25519(&holder().public_key());
        assert_eq!(their_holder["jwk"], holder_jwk.to_json());

        for kind in [CredentialKind::EmploymentChecks, CredentialKind::Role] {
            let now = Utc::now();
            let mut payload = example(kind)["credentialSubject"].clone();
            let subject = payload.as_object_mut().unwrap();
            let sub = subject.remove("id").unwrap();
            let arrays: Vec<(String, usize)> = subject
                .iter()
                .filter_map(|(k, v)| v.as_array().map(|a| (k.clone(), a.len())))
                .collect();
            let mut frame = json!({
                "_sd": subject.keys().cloned().chain(["sub".to_owned()]).collect::<Vec<_>>(),
                "_sd_decoy": 3,
            });
            for (name, len) in &arrays {
                frame[name] = json!({ "_sd": (0..*len).collect::<Vec<_>>() });
            }
            subject.insert("sub".into(), sub);
            subject.insert("iss".into(), THEIR_ISSUER.into());
            subject.insert("vct".into(), vct(kind).into());
            subject.insert("iat".into(), (now.timestamp() - 60).into());
            subject.insert("nbf".into(), (now.timestamp() - 60).into());
            subject.insert("exp".into(), (now.timestamp() + 3600).into());
            subject.insert("cnf".into(), json!({ "jwk": holder_jwk.to_json() }));
            let issued = run_js(
                "sd-jwt-issue.mjs",
                &json!({
                    "op": "issue", "seed": THEIR_ISSUER_SEED,
                    "kid": format!("{THEIR_ISSUER}#k1"),
                    "payload": payload, "disclosureFrame": frame,
                }),
            )
            .await
            .unwrap();
            let their_sd_jwt = issued["sdJwt"].as_str().unwrap();
            let mut keys = IssuerKeys::new();
            keys.insert(
                THEIR_ISSUER,
                vec![Jwk::from_json(&issued["issuerJwk"]).unwrap()],
            );

            // The holder checks it on receipt, and lists what it may disclose.
            let received = verify_sd_jwt_vc(
                their_sd_jwt,
                &keys,
                &SdJwtExpectations::issued_credential(now),
            );
            assert!(received.verified(), "{kind:?}: {received:?}");
            let (array, _) = &arrays[0];
            let consent = disclosable_claims(their_sd_jwt).unwrap();
            assert!(consent
                .iter()
                .any(|c| serde_json::to_value(&c.path).unwrap() == json!([array, 1])));

            // Their wallet presents the care identity UUID and the second array element.
            let presented = run_js(
                "sd-jwt-issue.mjs",
                &json!({
                    "op": "present", "sdJwt": their_sd_jwt,
                    "presentationFrame": { "careIdentityUuid": true, array.clone(): { "1": true } },
                    "holderSeed": holder_seed, "aud": AUD, "nonce": "their-nonce",
                    "iat": now.timestamp(),
                }),
            )
            .await
            .unwrap();
            let presented = presented["presented"].as_str().unwrap();
            let verdict = verify_sd_jwt_vc(
                presented,
                &keys,
                &SdJwtExpectations::presentation(AUD, "their-nonce", now),
            );
            assert!(verdict.verified(), "{kind:?}: {verdict:?}");
            let claims = verdict.claims().unwrap();
            assert_eq!(claims["careIdentityUuid"], payload["careIdentityUuid"]);
            assert_eq!(claims[array], json!([payload[array][1]]));
            let mut disclosed = subject_claims_of(claims);
            disclosed.sort();
            let mut expected = vec!["careIdentityUuid".to_owned(), array.clone()];
            expected.sort();
            assert_eq!(disclosed, expected);

            // Our refusals hold for their presentations too.
            let replayed = verify_sd_jwt_vc(
                presented,
                &keys,
                &SdJwtExpectations::presentation(AUD, "a-new-nonce", now),
            );
            assert!(matches!(
                replayed.verdict.outcome_of(CheckName::Challenge),
                Some(Outcome::Failed(_))
            ));
            let elsewhere = verify_sd_jwt_vc(
                presented,
                &keys,
                &SdJwtExpectations::presentation("x509_san_dns:other.example", "their-nonce", now),
            );
            assert!(matches!(
                elsewhere.verdict.outcome_of(CheckName::Domain),
                Some(Outcome::Failed(_))
            ));

            // And our holder code presents their credential, which their library accepts.
            let ours = present(
                their_sd_jwt,
                &[claim_path(&json!([array, null])).unwrap()],
                &holder(),
                AUD,
                "n2",
                now,
            )
            .unwrap();
            let back = run_js(
                "sd-jwt-verify.mjs",
                &json!({"sdJwt": ours, "issuerJwk": issued["issuerJwk"], "nonce": "n2",
                        "aud": AUD, "now": now.timestamp()}),
            )
            .await
            .unwrap();
            assert_eq!(back["verified"], true, "{back:#}");
            assert_eq!(back["claims"][array], payload[array]);
        }
    }
}
