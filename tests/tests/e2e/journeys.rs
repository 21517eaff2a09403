use std::collections::BTreeSet;

use credentials::securing::{sign_presentation, Cryptosuite, ProofRequest, SigningIdentity};
use credentials::{CheckName, Outcome};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tests::{sample_people, Platform};

pub fn holder(seed: u8) -> SigningIdentity {
    SigningIdentity::did_key(ed25519_dalek::SigningKey::from_bytes(&[seed; 32]))
}

fn type_of(credential: &Value) -> String {
    credential["type"][1]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn an_ra_issues_a_sample_persons_credentials_and_they_verify() {
    let platform = Platform::start().await.unwrap();
    let alice = holder(11);
    for suite in ["eddsa-rdfc-2022", "eddsa-jcs-2022"] {
        let issued = platform
            .issue_person("P0001", Some(alice.did()), suite)
            .await
            .unwrap();
        let types: BTreeSet<String> = issued.iter().map(type_of).collect();
        let expected: BTreeSet<String> = [
            "CareIdentityCredential",
            "EmploymentCredential",
            "RoleCredential",
            "ProfessionalRegistrationCredential",
            "EmploymentChecksCredential",
            "RemoteSigningCredential",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        assert_eq!(
            types, expected,
            "P0001 is a GMC-registered consultant with a prescribing role at RJ1"
        );
        for credential in &issued {
            assert_eq!(credential["issuer"]["id"], platform.issuer_did.as_str());
            assert_eq!(credential["credentialSubject"]["id"], alice.did());
            assert_eq!(credential["proof"]["cryptosuite"], suite);
            let result = platform.verify_credential(credential).await.unwrap();
            assert_eq!(
                result["verified"],
                true,
                "{suite} {}: {result:#}",
                type_of(credential)
            );
            assert_eq!(result["problemDetails"], json!([]));
        }
    }
}

#[tokio::test]
async fn every_issuance_is_recorded_with_the_hash_of_what_was_sent() {
    let platform = Platform::start().await.unwrap();
    let issued = platform
        .issue_person("P0002", None, "eddsa-rdfc-2022")
        .await
        .unwrap();
    let log = platform.admin_get("/admin/issuances").await.unwrap();
    let records = log["issuances"].as_array().unwrap();
    for credential in &issued {
        let id = credential["id"].as_str().unwrap();
        let record = records
            .iter()
            .find(|r| r["credential_id"] == id)
            .unwrap_or_else(|| panic!("no record of {id}"));
        assert_eq!(record["person_id"], "P0002");
        assert_eq!(record["subject"], "955367988516");
        assert_eq!(record["credential_type"], type_of(credential));
        let hash = hex::encode(Sha256::digest(serde_json::to_vec(credential).unwrap()));
        assert_eq!(record["sha256"], hash.as_str());
    }
}

#[tokio::test]
async fn only_the_employing_organisation_issues() {
    let platform = Platform::start().await.unwrap();
    // P0011 works at RTH; this issuer is RJ1's (BR-6).
    let response = platform
        .admin_post("/admin/people/P0011/credentials", &json!({}))
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("BR-6"),
        "{problem:#}"
    );
    let response = platform
        .admin_post("/admin/people/P9999/credentials", &json!({}))
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn the_vc_api_issues_with_each_cryptosuite_at_its_own_endpoint() {
    let platform = Platform::start().await.unwrap();
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://staff-passport.nhs.uk/contexts/v1"],
        "type": ["VerifiableCredential", "CareIdentityCredential"],
        "credentialSubject": {
            "careIdentityUuid": "966786164588",
            "givenName": "Amara",
            "familyName": "Notreal",
            "identityProofing": {"method": "face_to_face_documents", "level": "NHS Identity Check Standard (documents seen in person)"}
        }
    });
    for (path, suite) in [
        ("/credentials/issue", "eddsa-rdfc-2022"),
        (
            "/instances/eddsa-rdfc-2022/credentials/issue",
            "eddsa-rdfc-2022",
        ),
        (
            "/instances/eddsa-jcs-2022/credentials/issue",
            "eddsa-jcs-2022",
        ),
    ] {
        let response = platform
            .admin_post(path, &json!({"credential": unsigned, "options": {}}))
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{path}");
        let body: Value = response.json().await.unwrap();
        let credential = &body["verifiableCredential"];
        assert_eq!(credential["proof"]["cryptosuite"], suite);
        assert_eq!(credential["issuer"]["id"], platform.issuer_did.as_str());
        assert_eq!(
            credential["credentialSchema"]["id"],
            "https://staff-passport.nhs.uk/schemas/care-identity/v1",
            "added by the issuer"
        );
        let result = platform.verify_credential(credential).await.unwrap();
        assert_eq!(result["verified"], true, "{path}: {result:#}");
    }
}

#[tokio::test]
async fn the_issuer_publishes_its_did_context_and_schemas() {
    let platform = Platform::start().await.unwrap();
    let did = platform.issuer_did_document().await.unwrap();
    assert_eq!(did["id"], platform.issuer_did.as_str());
    assert!(did.to_string().find("private").is_none() && did.to_string().find("secret").is_none());
    let context = platform
        .get_json(&format!("{}/contexts/v1", platform.issuer_url))
        .await
        .unwrap();
    assert_eq!(
        context,
        serde_json::from_str::<Value>(credentials::vocabulary::CONTEXT_DOCUMENT).unwrap()
    );
    for kind in credentials::CredentialKind::ALL {
        let schema = platform
            .get_json(&format!(
                "{}/schemas/{}/v1",
                platform.issuer_url,
                kind.slug()
            ))
            .await
            .unwrap();
        assert_eq!(schema["$id"], credentials::vocabulary::schema_url(kind));
    }
    let health = platform
        .get_json(&format!("{}/healthz", platform.issuer_url))
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let health = platform
        .get_json(&format!("{}/healthz", platform.verifier_url))
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
}

pub async fn presentation_of(
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
async fn a_holder_presents_to_the_verifier_once_per_challenge() {
    let platform = Platform::start().await.unwrap();
    let alice = holder(12);
    let issued = platform
        .issue_person("P0001", Some(alice.did()), "eddsa-rdfc-2022")
        .await
        .unwrap();
    let challenge: Value = platform
        .http
        .post(format!("{}/challenges", platform.verifier_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (nonce, domain) = (
        challenge["challenge"].as_str().unwrap(),
        challenge["domain"].as_str().unwrap(),
    );
    assert_eq!(domain, platform.verifier_url);
    let presentation = presentation_of(&alice, issued.clone(), nonce, domain).await;
    let result = platform
        .verify_presentation(&presentation, nonce, domain)
        .await
        .unwrap();
    assert_eq!(result["verified"], true, "{result:#}");
    assert_eq!(
        result["results"]["credentials"].as_array().unwrap().len(),
        issued.len()
    );

    let replay = platform
        .verify_presentation(&presentation, nonce, domain)
        .await
        .unwrap();
    assert_eq!(replay["verified"], false);
    assert_eq!(
        replay["results"]["presentation"]["challenge"]["verified"],
        false
    );
}

#[tokio::test]
async fn an_invalid_record_blocks_the_batch_unless_skipping_is_asked_for() {
    let platform = Platform::start().await.unwrap();
    let mut extract = sample_people();
    let people = extract["people"].as_array_mut().unwrap();
    people[0]["given_name"] = "Changed".into();
    people[3]["assignments"][0]["org_ods"] = "ZZ9".into();

    let response = platform
        .admin_post("/admin/people", &extract)
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    let rejected = problem["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{problem:#}");
    assert_eq!(rejected[0]["person_id"], "P0004");
    assert_eq!(
        rejected[0]["problems"][0]["field"],
        "assignments[0].org_ods"
    );
    let p0001 = platform.admin_get("/admin/people/P0001").await.unwrap();
    assert_eq!(p0001["given_name"], "Amara", "nothing was imported");

    let response = platform
        .admin_post("/admin/people?skip_invalid=true", &extract)
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["imported"], 39);
    assert_eq!(report["skipped"][0]["person_id"], "P0004");
    let warnings = report["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w["person_id"] == "P0030" && w["warning"]["rule"] == "BR-9"),
        "P0030's local grant names no approving RA: {warnings:#?}"
    );
    let p0001 = platform.admin_get("/admin/people/P0001").await.unwrap();
    assert_eq!(p0001["given_name"], "Changed");
}

#[tokio::test]
async fn a_service_serves_https_when_given_a_certificate() {
    let certificate = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
    let folder = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (
        folder.path().join("cert.pem"),
        folder.path().join("key.pem"),
    );
    std::fs::write(&cert_path, certificate.cert.pem()).unwrap();
    std::fs::write(&key_path, certificate.key_pair.serialize_pem()).unwrap();
    let tls = service_kit::TlsFiles {
        certificate: cert_path,
        private_key: key_path,
    };
    let listener = service_kit::Listener::bind(([127, 0, 0, 1], 0).into(), Some(tls)).unwrap();
    let address = listener.local_addr().unwrap();
    let verifier = verifier::build(&verifier::VerifierSettings::default()).unwrap();
    tokio::spawn(listener.serve(verifier::api::router(verifier), std::future::pending()));
    let root = reqwest::Certificate::from_pem(certificate.cert.pem().as_bytes()).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(root)
        .build()
        .unwrap();
    let health: Value = client
        .get(format!("https://{address}/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
}

#[tokio::test]
async fn an_air_gapped_verifier_uses_pinned_did_documents() {
    let platform = Platform::start().await.unwrap();
    let issued = platform
        .issue_person("P0001", None, "eddsa-rdfc-2022")
        .await
        .unwrap();
    let pinned = tempfile::tempdir().unwrap();
    let document = platform.issuer_did_document().await.unwrap();
    std::fs::write(pinned.path().join("issuer.json"), document.to_string()).unwrap();

    // No plain-HTTP allowance: without the pinned document the issuer's DID is unreachable.
    let offline = |folder: Option<std::path::PathBuf>| {
        verifier::build(&verifier::VerifierSettings {
            plain_http_hosts: Vec::new(),
            pinned_did_documents: folder,
            ..verifier::VerifierSettings::default()
        })
        .unwrap()
    };
    let with_pins = offline(Some(pinned.path().to_path_buf()));
    let verdict = with_pins.verify_credential(&issued[0]).await.unwrap();
    // The key comes from the pinned document; only the status list (on the registry,
    // which this verifier may not reach) stays unknown.
    assert_eq!(
        verdict.outcome_of(CheckName::KeyResolution),
        Some(&Outcome::Passed),
        "{verdict:#?}"
    );
    assert_eq!(
        verdict.outcome_of(CheckName::Proof),
        Some(&Outcome::Passed),
        "{verdict:#?}"
    );

    let without = offline(None);
    let verdict = without.verify_credential(&issued[0]).await.unwrap();
    assert!(!verdict.verified());
    assert!(
        verdict.inconclusive(),
        "unreachable is 'could not check', not 'invalid': {verdict:#?}"
    );
}
