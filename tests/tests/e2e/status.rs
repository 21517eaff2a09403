//! Revocation and suspension seen by the verifier: Bitstring Status Lists served over
//! HTTP, each list itself a signed credential that must verify.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use credentials::status_list::{
    Bitstring, StatusEntry, StatusListCredential, StatusPurpose, MINIMUM_ENTRIES,
};
use serde_json::{json, Value};
use tests::Platform;

type Served = Arc<Mutex<std::collections::HashMap<String, Value>>>;

async fn serve_lists() -> (String, Served) {
    let served: Served = Arc::default();
    let router = Router::new()
        .route(
            "/status/{name}",
            get(
                |State(served): State<Served>, Path(name): Path<String>| async move {
                    let list = served.lock().unwrap().get(&name).cloned();
                    list.map(Json).ok_or(axum::http::StatusCode::NOT_FOUND)
                },
            ),
        )
        .with_state(served.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (address, served)
}

async fn signed_list(
    platform: &Platform,
    url: &str,
    purpose: StatusPurpose,
    set: &[usize],
) -> Value {
    let mut list = Bitstring::new(MINIMUM_ENTRIES).unwrap();
    for index in set {
        list.set(*index, true).unwrap();
    }
    let unsigned = StatusListCredential {
        url,
        issuer: &platform.issuer_did,
        purpose,
        list: &list,
        valid_from: "2026-01-01T00:00:00Z".parse().unwrap(),
        valid_until: None,
        ttl_millis: Some(60_000),
    }
    .to_json()
    .unwrap();
    let response = platform
        .admin_post("/credentials/issue", &json!({"credential": unsigned}))
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["verifiableCredential"].clone()
}

async fn credential_with_status(platform: &Platform, entries: Vec<StatusEntry>) -> Value {
    let credential = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://staff-passport.nhs.uk/contexts/v1"],
        "type": ["VerifiableCredential", "EmploymentCredential"],
        "credentialSubject": {
            "careIdentityUuid": "966786164588",
            "employer": {"odsCode": "RJ1", "name": "Guy's and St Thomas' NHS Foundation Trust"},
            "assignmentNumber": "30493776",
            "primaryAssignment": true,
            "positionNumber": "1625944",
            "positionTitle": "Consultant Physician",
            "staffGroup": "Medical and Dental",
            "startDate": "2020-06-01"
        },
        "credentialStatus": entries.iter().map(StatusEntry::to_json).collect::<Vec<_>>(),
    });
    let response = platform
        .admin_post("/credentials/issue", &json!({"credential": credential}))
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["verifiableCredential"].clone()
}

#[tokio::test]
async fn revoked_and_suspended_credentials_do_not_verify() {
    let (lists_host, served) = serve_lists().await;
    let platform = Platform::start_trusting_plain_http(vec![lists_host.clone()])
        .await
        .unwrap();
    let revocation_url = format!("http://{lists_host}/status/revocation");
    let suspension_url = format!("http://{lists_host}/status/suspension");
    let revocation =
        signed_list(&platform, &revocation_url, StatusPurpose::Revocation, &[42]).await;
    let suspension = signed_list(&platform, &suspension_url, StatusPurpose::Suspension, &[7]).await;
    served
        .lock()
        .unwrap()
        .insert("revocation".into(), revocation.clone());
    served
        .lock()
        .unwrap()
        .insert("suspension".into(), suspension);

    let entry = |purpose, index: usize, url: &str| StatusEntry {
        purpose,
        index,
        list_credential: url.to_owned(),
    };
    let cases = [
        ("in good standing", 41, 8, &revocation_url, Some(true), ""),
        ("revoked", 42, 8, &revocation_url, Some(false), "revoked"),
        (
            "suspended",
            41,
            7,
            &revocation_url,
            Some(false),
            "suspended",
        ),
    ];
    for (name, revocation_index, suspension_index, url, expected, reason) in cases {
        let credential = credential_with_status(
            &platform,
            vec![
                entry(StatusPurpose::Revocation, revocation_index, url),
                entry(StatusPurpose::Suspension, suspension_index, &suspension_url),
            ],
        )
        .await;
        let result = platform.verify_credential(&credential).await.unwrap();
        assert_eq!(result["verified"].as_bool(), expected, "{name}: {result:#}");
        let statuses = result["results"]["credentialStatus"].as_array().unwrap();
        assert_eq!(statuses.len(), 2, "{name}");
        if !reason.is_empty() {
            let details: Vec<&str> = result["problemDetails"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|p| p["detail"].as_str())
                .collect();
            assert!(details.contains(&reason), "{name}: {details:?}");
        }
    }

    // A list nobody can fetch: status is unknown, so the credential is not accepted.
    let unreachable = credential_with_status(
        &platform,
        vec![entry(
            StatusPurpose::Revocation,
            1,
            &format!("http://{lists_host}/status/missing"),
        )],
    )
    .await;
    let result = platform.verify_credential(&unreachable).await.unwrap();
    assert_eq!(result["verified"], false);
    assert!(
        result["problemDetails"]
            .to_string()
            .contains("could-not-check"),
        "{result:#}"
    );

    // A list whose bits were changed after signing is refused, not read.
    let mut forged = revocation.clone();
    forged["credentialSubject"]["encodedList"] = Bitstring::new(MINIMUM_ENTRIES)
        .unwrap()
        .encode()
        .unwrap()
        .into();
    served.lock().unwrap().insert("forged".into(), forged);
    let forged_url = format!("http://{lists_host}/status/forged");
    let mut forged_list = served.lock().unwrap()["forged"].clone();
    forged_list["id"] = forged_url.clone().into();
    served.lock().unwrap().insert("forged".into(), forged_list);
    let relying_on_forgery = credential_with_status(
        &platform,
        vec![entry(StatusPurpose::Revocation, 42, &forged_url)],
    )
    .await;
    let result = platform
        .verify_credential(&relying_on_forgery)
        .await
        .unwrap();
    assert_eq!(result["verified"], false, "{result:#}");
    assert_eq!(result["results"]["credentialStatus"][0]["verified"], false);
}

/// Verifies until the verdict is `expected`, for at most a second: the change feed has to
/// carry the event from the registry to the verifier first.
async fn verified_within_a_second(
    platform: &Platform,
    credential: &Value,
    expected: bool,
) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        let result = platform.verify_credential(credential).await.unwrap();
        if result["verified"] == expected || std::time::Instant::now() > deadline {
            return result;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_credential_revoked_or_suspended_at_the_registry_stops_verifying() {
    let platform = Platform::start().await.unwrap();
    let issued = platform
        .issue_person("P0001", None, "eddsa-rdfc-2022")
        .await
        .unwrap();
    let employment = issued
        .iter()
        .find(|c| c["type"][1] == "EmploymentCredential")
        .unwrap();
    let role = issued
        .iter()
        .find(|c| c["type"][1] == "RoleCredential")
        .unwrap();
    for credential in [employment, role] {
        let statuses = credential["credentialStatus"].as_array().unwrap();
        assert_eq!(
            statuses.len(),
            2,
            "revocation and suspension entries (BR-23)"
        );
        assert!(statuses[0]["statusListCredential"]
            .as_str()
            .unwrap()
            .starts_with(&platform.registry_url));
        assert_eq!(
            platform.verify_credential(credential).await.unwrap()["verified"],
            true
        );
    }

    let suspend = platform
        .operator_changes_status(
            employment["id"].as_str().unwrap(),
            "suspend",
            "under investigation",
        )
        .await
        .unwrap();
    assert_eq!(suspend.status(), 200);
    let result = verified_within_a_second(&platform, employment, false).await;
    assert_eq!(result["verified"], false);
    assert!(
        result["problemDetails"].to_string().contains("suspended"),
        "{result:#}"
    );
    assert_eq!(
        platform.verify_credential(role).await.unwrap()["verified"],
        true,
        "other credentials untouched"
    );

    platform
        .operator_changes_status(employment["id"].as_str().unwrap(), "reinstate", "cleared")
        .await
        .unwrap();
    assert_eq!(
        verified_within_a_second(&platform, employment, true).await["verified"],
        true,
        "suspension is reversible"
    );

    platform
        .operator_changes_status(role["id"].as_str().unwrap(), "revoke", "left the trust")
        .await
        .unwrap();
    let result = verified_within_a_second(&platform, role, false).await;
    assert_eq!(result["verified"], false);
    assert!(
        result["problemDetails"].to_string().contains("revoked"),
        "{result:#}"
    );
    let reinstate = platform
        .operator_changes_status(role["id"].as_str().unwrap(), "reinstate", "mistake")
        .await
        .unwrap();
    assert_eq!(reinstate.status(), 409, "revocation is permanent (BR-19)");

    let unauthenticated = platform
        .http
        .post(format!("{}/status-changes", platform.registry_url))
        .json(&serde_json::json!({"credentialId": role["id"], "action": "revoke"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);
}

#[tokio::test]
async fn the_change_feed_names_the_list_not_the_credential() {
    let platform = Platform::start().await.unwrap();
    let issued = platform
        .issue_person("P0002", None, "eddsa-rdfc-2022")
        .await
        .unwrap();
    let mut feed = platform
        .http
        .get(format!("{}/events", platform.registry_url))
        .send()
        .await
        .unwrap();
    assert_eq!(feed.headers()["content-type"], "text/event-stream");
    let id = issued[0]["id"].as_str().unwrap();
    platform
        .operator_changes_status(id, "revoke", "test")
        .await
        .unwrap();
    let mut received = String::new();
    while !received.contains("\n\n") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(2), feed.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        received.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(received.contains("event: status-change"), "{received}");
    assert!(
        received.contains(&format!("{}/status/revocation/1", platform.registry_url)),
        "{received}"
    );
    assert!(
        !received.contains(id),
        "the feed must not say whose status changed"
    );
}
