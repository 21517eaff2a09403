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
