//! The trusted-issuer registry over real HTTP: the operator registers, suspends, reinstates
//! and removes issuers (401 without a token, 403 with the wrong role); an issuer cannot
//! touch another's entries; the signed trust list verifies and a tampered one is refused;
//! the verifier refuses credentials from issuers that were not trusted for that type when
//! they issued; and the change feed drops the verifier's cached trust list.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use credentials::securing::{sign_credential, Cryptosuite, ProofRequest, SigningIdentity};
use credentials::{CheckName, Outcome, PinnedDidDocuments, ResolvedDids, VerificationEnvironment};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tests::{did_path_segment, sample_trust_name, Platform, OPERATOR_TOKEN};

/// One call to the registry: the status, and the body as JSON (`Null` when it is not).
async fn call(
    platform: &Platform,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = platform
        .http
        .request(method, format!("{}{path}", platform.registry_url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn registration(did: &str, ods: &str, types: &[&str]) -> Value {
    json!({
        "did": did,
        "odsCode": ods,
        "name": sample_trust_name(ods),
        "credentialTypes": types,
        "reason": "joined the trust framework",
    })
}

async fn audit_len(platform: &Platform) -> usize {
    let (status, body) = call(platform, Method::GET, "/audit", Some(OPERATOR_TOKEN), None).await;
    assert_eq!(status, 200);
    body["audit"].as_array().unwrap().len()
}

/// A did:key issuer the test signs with itself, so it controls `created`.
fn outside_issuer(seed: u8) -> SigningIdentity {
    SigningIdentity::did_key(ed25519_dalek::SigningKey::from_bytes(&[seed; 32]))
}

async fn employment_signed_by(issuer: &SigningIdentity, created: DateTime<Utc>) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../credentials/assets/schema-examples/employment.json");
    let mut credential: Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    credential.as_object_mut().unwrap().remove("proof");
    credential["issuer"]["id"] = issuer.did().into();
    let request = ProofRequest {
        created: Some(created),
        ..Default::default()
    };
    sign_credential(&credential, issuer, Cryptosuite::EddsaRdfc2022, &request)
        .await
        .unwrap()
}

/// The verdict's issuer-trusted outcome, from the VC API response's `checks`.
fn issuer_trusted(result: &Value) -> (String, String) {
    let check = result["results"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "issuerTrusted")
        .unwrap_or_else(|| panic!("no issuerTrusted check: {result:#}"));
    (
        check["outcome"].as_str().unwrap_or_default().to_owned(),
        check["detail"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Verifies until `verified` is as expected, for at most a second (the change feed has to
/// carry the registry's event to the verifier first).
async fn verified_within_a_second(
    platform: &Platform,
    credential: &Value,
    expected: bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let result = platform.verify_credential(credential).await.unwrap();
        if result["verified"] == expected || Instant::now() > deadline {
            return result;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_operator_manages_issuers_and_roles_are_enforced() {
    let platform = Platform::start().await.unwrap();
    let issuer_token = platform.issuer_registry_token.clone();
    let did = outside_issuer(31).did().to_owned();
    let path = format!("/issuers/{}", did_path_segment(&did));

    // 401 without a token or with an unknown one; 403 with an issuer's token.
    for (method, route, body) in [
        (Method::GET, "/issuers".to_owned(), None),
        (
            Method::POST,
            "/issuers".to_owned(),
            Some(registration(&did, "RTH", &["RoleCredential"])),
        ),
        (
            Method::POST,
            format!("{path}/suspend"),
            Some(json!({"reason": "x"})),
        ),
        (
            Method::PATCH,
            path.clone(),
            Some(json!({"name": "x", "reason": "x"})),
        ),
        (Method::GET, "/audit".to_owned(), None),
    ] {
        let (status, problem) = call(&platform, method.clone(), &route, None, body.clone()).await;
        assert_eq!(status, 401, "{method} {route}: {problem}");
        assert_eq!(problem["status"], 401);
        let (status, _) = call(
            &platform,
            method.clone(),
            &route,
            Some("not-a-token-at-all"),
            body.clone(),
        )
        .await;
        assert_eq!(status, 401, "{method} {route}");
        let (status, _) = call(&platform, method.clone(), &route, Some(&issuer_token), body).await;
        assert_eq!(status, 403, "{method} {route} with an issuer token");
    }
    // …and the operator's token is the wrong role for an issuer's endpoint.
    let (status, _) = call(
        &platform,
        Method::POST,
        "/allocations",
        Some(OPERATOR_TOKEN),
        Some(json!({"credentialId": "urn:uuid:operator"})),
    )
    .await;
    assert_eq!(status, 403);

    // Bad registrations: a problem with a reason, and nothing changes.
    let audit_before = audit_len(&platform).await;
    let mut no_reason = registration(&did, "RTH", &["RoleCredential"]);
    no_reason["reason"] = "".into();
    let mut not_iso = registration(&did, "RTH", &["RoleCredential"]);
    not_iso["validUntil"] = "next Tuesday".into();
    let mut unknown_field = registration(&did, "RTH", &["RoleCredential"]);
    unknown_field["isTrusted"] = true.into();
    for (name, body) in [
        (
            "bad ODS code",
            registration(&did, "rth-1", &["RoleCredential"]),
        ),
        ("unknown type", registration(&did, "RTH", &["LibraryCard"])),
        (
            "not a DID",
            registration("https://rth.example", "RTH", &["RoleCredential"]),
        ),
        ("no reason", no_reason),
        ("non-ISO time", not_iso),
        ("unknown field", unknown_field),
    ] {
        let (status, problem) = call(
            &platform,
            Method::POST,
            "/issuers",
            Some(OPERATOR_TOKEN),
            Some(body),
        )
        .await;
        assert_eq!(status, 400, "{name}: {problem}");
        assert!(
            problem["type"].is_string() && problem["detail"].is_string(),
            "{name}: {problem}"
        );
    }
    assert_eq!(
        audit_len(&platform).await,
        audit_before,
        "refusals change nothing"
    );

    // Registration: the token once, never stored or shown again.
    let response = platform
        .http
        .post(format!("{}/issuers", platform.registry_url))
        .bearer_auth(OPERATOR_TOKEN)
        .json(&registration(&did, "RTH", &["RoleCredential"]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    let token = body["token"].as_str().unwrap().to_owned();
    assert!(token.len() >= 43, "at least 32 random bytes");
    assert_eq!(body["issuer"]["status"], "active");
    let (status, shown) = call(&platform, Method::GET, &path, Some(OPERATOR_TOKEN), None).await;
    assert_eq!(status, 200);
    assert_eq!(shown["issuer"]["odsCode"], "RTH");
    let (_, all) = call(
        &platform,
        Method::GET,
        "/issuers",
        Some(OPERATOR_TOKEN),
        None,
    )
    .await;
    for text in [shown.to_string(), all.to_string()] {
        assert!(
            !text.contains(&token) && !text.contains("tokenSha256"),
            "{text}"
        );
    }
    let (status, _) = call(
        &platform,
        Method::POST,
        "/issuers",
        Some(OPERATOR_TOKEN),
        Some(registration(&did, "RTH", &["RoleCredential"])),
    )
    .await;
    assert_eq!(status, 409, "registered twice");

    // Its token works for its own endpoints, until it is suspended…
    let allocate = |id: &'static str| {
        let token = token.clone();
        let platform = &platform;
        async move {
            call(
                platform,
                Method::POST,
                "/allocations",
                Some(&token),
                Some(json!({"credentialId": id})),
            )
            .await
            .0
        }
    };
    assert_eq!(allocate("urn:uuid:rth-1").await, 201);
    let reason = |r: &str| Some(json!({"reason": r}));
    let (status, _) = call(
        &platform,
        Method::POST,
        &format!("{path}/suspend"),
        Some(OPERATOR_TOKEN),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 400, "a reason is required");
    let (status, body) = call(
        &platform,
        Method::POST,
        &format!("{path}/suspend"),
        Some(OPERATOR_TOKEN),
        reason("audit finding"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["issuer"]["status"], "suspended");
    assert_eq!(
        allocate("urn:uuid:rth-2").await,
        403,
        "a suspended issuer issues nothing"
    );
    let (status, _) = call(
        &platform,
        Method::POST,
        &format!("{path}/suspend"),
        Some(OPERATOR_TOKEN),
        reason("again"),
    )
    .await;
    assert_eq!(status, 409);
    // …and again after reinstatement, with new types from an update.
    let (status, body) = call(
        &platform,
        Method::POST,
        &format!("{path}/reinstate"),
        Some(OPERATOR_TOKEN),
        reason("finding closed"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(
        &platform,
        Method::PATCH,
        &path,
        Some(OPERATOR_TOKEN),
        Some(json!({"credentialTypes": ["RoleCredential", "EmploymentCredential"], "reason": "now also employment"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let intervals = body["issuer"]["authorisations"].as_array().unwrap();
    assert_eq!(
        intervals.len(),
        3,
        "registration, reinstatement, update: {body:#}"
    );
    assert!(intervals[0]["endedAt"].is_string() && intervals[1]["endedAt"].is_string());
    assert!(intervals[2].get("endedAt").is_none());
    assert_eq!(allocate("urn:uuid:rth-3").await, 201);

    // Removal is final, and the token stops working at all.
    let (status, body) = call(
        &platform,
        Method::POST,
        &format!("{path}/remove"),
        Some(OPERATOR_TOKEN),
        reason("left the framework"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(allocate("urn:uuid:rth-4").await, 401);
    let (status, _) = call(
        &platform,
        Method::POST,
        &format!("{path}/reinstate"),
        Some(OPERATOR_TOKEN),
        reason("undo"),
    )
    .await;
    assert_eq!(status, 409);
    let (status, _) = call(
        &platform,
        Method::GET,
        "/issuers/did%3Aweb%3Anobody.example",
        Some(OPERATOR_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 404);

    let (_, audit) = call(&platform, Method::GET, "/audit", Some(OPERATOR_TOKEN), None).await;
    let changes: Vec<String> = audit["audit"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["issuer"] == did.as_str())
        .map(|e| {
            format!(
                "{} ({})",
                e["action"].as_str().unwrap(),
                e["reason"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            "register-issuer (joined the trust framework)",
            "suspend-issuer (audit finding)",
            "reinstate-issuer (finding closed)",
            "update-issuer (now also employment)",
            "remove-issuer (left the framework)",
        ]
    );
    assert!(!audit.to_string().contains(&token));
}

#[tokio::test]
async fn an_issuer_cannot_touch_another_issuers_entries() {
    let platform = Platform::start().await.unwrap();
    let issued = platform
        .issue_person("P0001", None, "eddsa-rdfc-2022")
        .await
        .unwrap();
    let platform_credential = issued[0]["id"].as_str().unwrap().to_owned();
    let other = outside_issuer(32).did().to_owned();
    let other_token = tests::register_issuer(
        &platform.registry_url,
        OPERATOR_TOKEN,
        &other,
        "RR8",
        &sample_trust_name("RR8"),
        &["RoleCredential"],
    )
    .await
    .unwrap();

    for action in ["revoke", "suspend", "reinstate"] {
        let (status, problem) = call(
            &platform,
            Method::POST,
            "/status-changes",
            Some(&other_token),
            Some(json!({"credentialId": platform_credential, "action": action})),
        )
        .await;
        assert_eq!(status, 403, "{action}: {problem}");
    }
    // Neither can it claim the other's credential id, nor manage registrations.
    let (status, _) = call(
        &platform,
        Method::POST,
        "/allocations",
        Some(&other_token),
        Some(json!({"credentialId": platform_credential})),
    )
    .await;
    assert_eq!(status, 409);
    let own = format!(
        "/issuers/{}/suspend",
        did_path_segment(&platform.issuer_did)
    );
    let (status, _) = call(
        &platform,
        Method::POST,
        &own,
        Some(&other_token),
        Some(json!({"reason": "rival"})),
    )
    .await;
    assert_eq!(status, 403);
    let (_, shown) = call(
        &platform,
        Method::GET,
        &format!("/issuers/{}", did_path_segment(&platform.issuer_did)),
        Some(OPERATOR_TOKEN),
        None,
    )
    .await;
    assert_eq!(shown["issuer"]["status"], "active");
    assert_eq!(
        platform.verify_credential(&issued[0]).await.unwrap()["verified"],
        true
    );
}

#[tokio::test]
async fn the_verifier_refuses_issuers_not_trusted_for_the_type_when_they_issued() {
    let platform = Platform::start().await.unwrap();

    // Issued by our registered issuer: trusted.
    let issued = platform
        .issue_person("P0001", None, "eddsa-rdfc-2022")
        .await
        .unwrap();
    let result = platform.verify_credential(&issued[0]).await.unwrap();
    assert_eq!(result["verified"], true, "{result:#}");
    assert_eq!(result["results"]["issuerTrusted"]["verified"], true);
    assert_eq!(issuer_trusted(&result).0, "passed");

    // Signed by an issuer nobody registered: refused, with the reason.
    let outsider = outside_issuer(33);
    let credential = employment_signed_by(&outsider, Utc::now()).await;
    let result = platform.verify_credential(&credential).await.unwrap();
    assert_eq!(result["verified"], false);
    let (outcome, detail) = issuer_trusted(&result);
    assert_eq!(outcome, "failed");
    assert!(detail.contains("not in the trust registry"), "{detail}");
    assert!(result["problemDetails"]
        .to_string()
        .contains("issuer-not-trusted"));
    assert_eq!(
        result["results"]["proof"][0]["verified"], true,
        "only trust failed"
    );

    // Registered, but for another type: still refused.
    let token = tests::register_issuer(
        &platform.registry_url,
        OPERATOR_TOKEN,
        outsider.did(),
        "R0A",
        &sample_trust_name("R0A"),
        &["RoleCredential"],
    )
    .await
    .unwrap();
    assert!(!token.is_empty());
    let result = verified_within_a_second(&platform, &credential, true).await;
    let (outcome, detail) = issuer_trusted(&result);
    assert_eq!(outcome, "failed");
    assert!(
        detail.contains("not authorised to issue EmploymentCredential"),
        "{detail}"
    );
}

#[tokio::test]
async fn what_was_issued_before_a_suspension_stays_trusted_and_removal_ends_all_trust() {
    let platform = Platform::start().await.unwrap();
    let issued = platform
        .issue_person("P0001", None, "eddsa-rdfc-2022")
        .await
        .unwrap();
    let before = &issued[0];
    let path = format!("/issuers/{}", did_path_segment(&platform.issuer_did));
    let (status, body) = call(
        &platform,
        Method::POST,
        &format!("{path}/suspend"),
        Some(OPERATOR_TOKEN),
        Some(json!({"reason": "investigation"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // Suspended: it cannot issue, and what it issued before still verifies (BR-26a asks
    // whether it was trusted *when it issued*).
    let response = platform
        .admin_post(
            "/admin/people/P0002/credentials",
            &json!({"cryptosuite": "eddsa-rdfc-2022"}),
        )
        .await
        .unwrap();
    assert!(!response.status().is_success(), "a suspended issuer issued");
    let result = verified_within_a_second(&platform, before, true).await;
    assert_eq!(result["verified"], true, "{result:#}");

    // A credential signed after the suspension (here by an issuer that is suspended in
    // the same way) is refused even though its issuer is listed.
    let late = outside_issuer(34);
    tests::register_issuer(
        &platform.registry_url,
        OPERATOR_TOKEN,
        late.did(),
        "RTH",
        &sample_trust_name("RTH"),
        &["EmploymentCredential"],
    )
    .await
    .unwrap();
    let (status, _) = call(
        &platform,
        Method::POST,
        &format!("/issuers/{}/suspend", late.did()),
        Some(OPERATOR_TOKEN),
        Some(json!({"reason": "investigation"})),
    )
    .await;
    assert_eq!(status, 200);
    let signed_later =
        employment_signed_by(&late, Utc::now() + chrono::TimeDelta::seconds(5)).await;
    let result = verified_within_a_second(&platform, &signed_later, true).await;
    assert_eq!(result["verified"], false);
    assert!(
        issuer_trusted(&result).1.contains("not authorised"),
        "{result:#}"
    );

    // Removed: nothing it ever issued is trusted.
    let (status, _) = call(
        &platform,
        Method::POST,
        &format!("{path}/remove"),
        Some(OPERATOR_TOKEN),
        Some(json!({"reason": "key compromise"})),
    )
    .await;
    assert_eq!(status, 200);
    let result = verified_within_a_second(&platform, before, false).await;
    assert_eq!(result["verified"], false);
    assert!(issuer_trusted(&result).1.contains("removed"), "{result:#}");
}

/// Serves whatever document the test puts in the slot at `/trust-list`.
async fn serve_document() -> (String, Arc<Mutex<Value>>) {
    let slot = Arc::new(Mutex::new(Value::Null));
    let served = Arc::clone(&slot);
    let router = axum::Router::new().route(
        "/trust-list",
        axum::routing::get(move || {
            let served = Arc::clone(&served);
            async move {
                let document = served.lock().unwrap().clone();
                if document.is_null() {
                    (axum::http::StatusCode::NOT_FOUND, String::new())
                } else {
                    (axum::http::StatusCode::OK, document.to_string())
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let host = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (host, slot)
}

#[tokio::test]
async fn the_trust_list_is_signed_and_a_tampered_or_missing_one_is_not_used() {
    let platform = Platform::start().await.unwrap();
    let response = platform
        .http
        .get(format!("{}/trust-list", platform.registry_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/vc");
    assert!(response.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age="));
    let list: Value = response.json().await.unwrap();
    let registry_document = platform
        .get_json(&format!("{}/.well-known/did.json", platform.registry_url))
        .await
        .unwrap();
    let registry_did = registry_document["id"].as_str().unwrap().to_owned();
    assert_eq!(list["issuer"], registry_did.as_str());
    assert!(list["credentialSubject"]["ttl"].as_u64().is_some());
    let ours = &list["credentialSubject"]["trustedIssuers"][0];
    assert_eq!(ours["id"], platform.issuer_did.as_str());
    assert_eq!(ours["odsCode"], "RJ1");
    assert_eq!(ours["issuerStatus"], "active");
    assert_eq!(
        ours["authorisations"][0]["credentialTypes"]
            .as_array()
            .unwrap()
            .len(),
        7
    );
    assert!(
        !list.to_string().contains("statusListIndex"),
        "nothing about status entries"
    );

    // It verifies with the registry's DID document, and not once changed.
    let pinned = PinnedDidDocuments::new().with(registry_document).unwrap();
    let dids = ResolvedDids::resolve_all(&pinned, [registry_did.as_str()]).await;
    let clock = credentials::SystemClock;
    let env = VerificationEnvironment::new(&dids, &clock);
    assert!(credentials::verify_credential(&list, &env)
        .await
        .unwrap()
        .verified());
    let mut tampered = list.clone();
    tampered["credentialSubject"]["trustedIssuers"][0]["id"] = "did:web:evil.example".into();
    let verdict = credentials::verify_credential(&tampered, &env)
        .await
        .unwrap();
    assert!(matches!(
        verdict.outcome_of(CheckName::Proof),
        Some(Outcome::Failed(_))
    ));

    // A verifier reading the list from elsewhere: the real list works, a tampered one, one
    // signed by another key, or none at all leave issuer trust "could not check".
    let (host, slot) = serve_document().await;
    let verifier = verifier::build(&verifier::VerifierSettings {
        plain_http_hosts: vec![
            host.clone(),
            platform
                .registry_url
                .trim_start_matches("http://")
                .to_owned(),
            platform.issuer_url.trim_start_matches("http://").to_owned(),
        ],
        trust_list_url: Some(format!("http://{host}/trust-list")),
        trust_list_issuer: Some(registry_did.clone()),
        ..verifier::VerifierSettings::default()
    })
    .unwrap();
    let issued = platform
        .issue_person("P0001", None, "eddsa-rdfc-2022")
        .await
        .unwrap();
    let check =
        |verdict: &credentials::Verdict| verdict.outcome_of(CheckName::IssuerTrusted).cloned();

    *slot.lock().unwrap() = list.clone();
    let verdict = verifier.verify_credential(&issued[0]).await.unwrap();
    assert_eq!(check(&verdict), Some(Outcome::Passed), "{verdict:#?}");

    let mut forged_by_other = list.clone();
    forged_by_other.as_object_mut().unwrap().remove("proof");
    let other = outside_issuer(35);
    forged_by_other["issuer"] = other.did().into();
    let forged_by_other = sign_credential(
        &forged_by_other,
        &other,
        Cryptosuite::EddsaRdfc2022,
        &ProofRequest::default(),
    )
    .await
    .unwrap();
    for (name, document, expected) in [
        ("tampered", tampered, "does not verify"),
        (
            "signed by another",
            forged_by_other,
            "not issued by the registry",
        ),
        ("missing", Value::Null, "404"),
    ] {
        *slot.lock().unwrap() = document;
        verifier.trust_list_fetcher().unwrap().forget();
        let verdict = verifier.verify_credential(&issued[0]).await.unwrap();
        assert!(!verdict.verified(), "{name}");
        match check(&verdict) {
            Some(Outcome::CouldNotCheck(detail)) => {
                assert!(detail.contains(expected), "{name}: {detail}")
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_change_feed_drops_the_cached_trust_list() {
    // Cached for an hour unless told otherwise.
    let platform = Platform::start_with(Vec::new(), |settings| {
        settings.trust_list_max_staleness_seconds = 3600;
    })
    .await
    .unwrap();
    let issuer = outside_issuer(36);
    tests::register_issuer(
        &platform.registry_url,
        OPERATOR_TOKEN,
        issuer.did(),
        "RR8",
        &sample_trust_name("RR8"),
        &["EmploymentCredential"],
    )
    .await
    .unwrap();
    let credential = employment_signed_by(&issuer, Utc::now()).await;

    // A second verifier without the feed shows the cache holds: it keeps trusting.
    let registry_host = platform
        .registry_url
        .trim_start_matches("http://")
        .to_owned();
    let without_feed = verifier::build(&verifier::VerifierSettings {
        plain_http_hosts: vec![registry_host.clone()],
        trust_list_url: Some(format!("{}/trust-list", platform.registry_url)),
        trust_list_max_staleness_seconds: 3600,
        ..verifier::VerifierSettings::default()
    })
    .unwrap();
    let result = verified_within_a_second(&platform, &credential, true).await;
    assert_eq!(result["verified"], true, "{result:#}");
    assert_eq!(
        without_feed
            .verify_credential(&credential)
            .await
            .unwrap()
            .outcome_of(CheckName::IssuerTrusted),
        Some(&Outcome::Passed)
    );

    // Listen to the feed as a verifier does.
    let mut feed = platform
        .http
        .get(format!("{}/events", platform.registry_url))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (status, _) = call(
        &platform,
        Method::POST,
        &format!("/issuers/{}/remove", issuer.did()),
        Some(OPERATOR_TOKEN),
        Some(json!({"reason": "key compromise"})),
    )
    .await;
    assert_eq!(status, 200);

    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(2);
    while !seen.contains("\n\n") && Instant::now() < deadline {
        if let Ok(Ok(Some(chunk))) =
            tokio::time::timeout(Duration::from_millis(500), feed.chunk()).await
        {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
    assert!(seen.contains("event: trust-list-change"), "{seen}");
    assert!(seen.contains("/trust-list"), "{seen}");
    assert!(
        !seen.contains(issuer.did()),
        "the feed names the list, not the issuer: {seen}"
    );

    let result = verified_within_a_second(&platform, &credential, false).await;
    assert_eq!(
        result["verified"], false,
        "the feed dropped the cached list"
    );
    assert!(issuer_trusted(&result).1.contains("removed"));
    assert_eq!(
        without_feed
            .verify_credential(&credential)
            .await
            .unwrap()
            .outcome_of(CheckName::IssuerTrusted),
        Some(&Outcome::Passed),
        "without the feed the cached list is used until its ttl"
    );
}

/// The registry's trust list, fetched, checked against the registry's DID document and
/// read: what a wallet deciding whom to present to would hold.
async fn verified_trust_list(platform: &Platform) -> credentials::trust_list::TrustList {
    let list = platform
        .get_json(&format!("{}/trust-list", platform.registry_url))
        .await
        .unwrap();
    let registry_document = platform
        .get_json(&format!("{}/.well-known/did.json", platform.registry_url))
        .await
        .unwrap();
    let registry_did = registry_document["id"].as_str().unwrap().to_owned();
    assert_eq!(list["issuer"], registry_did.as_str());
    let pinned = PinnedDidDocuments::new().with(registry_document).unwrap();
    let dids = ResolvedDids::resolve_all(&pinned, [registry_did.as_str()]).await;
    let clock = credentials::SystemClock;
    let verdict =
        credentials::verify_credential(&list, &VerificationEnvironment::new(&dids, &clock))
            .await
            .unwrap();
    assert!(verdict.verified(), "{verdict:#?}");
    credentials::trust_list::TrustList::from_credential(&list).unwrap()
}

#[tokio::test]
async fn the_operator_manages_verifiers_and_wallets_read_their_trust_from_the_signed_list() {
    use credentials::trust_list::VerifierTrust;

    let platform = Platform::start().await.unwrap();
    let issuer_token = platform.issuer_registry_token.clone();
    let desk = "did:web:onboarding.rth.example.nhs.uk";
    let path = format!("/verifiers/{}", did_path_segment(desk));
    let registration = |did: &str, ods: &str, name: &str, reason: &str| json!({"did": did, "odsCode": ods, "name": name, "reason": reason});
    let good = registration(desk, "RTH", "Oxford onboarding", "new desk");
    let reason = |r: &str| Some(json!({"reason": r}));
    let trust_now =
        |list: &credentials::trust_list::TrustList| list.verifier_trust(desk, Utc::now());
    assert_eq!(
        trust_now(&verified_trust_list(&platform).await),
        VerifierTrust::Unknown
    );

    // 401 without a token or with an unknown one; 403 with an issuer's token.
    for (method, route, body) in [
        (Method::GET, "/verifiers".to_owned(), None),
        (Method::POST, "/verifiers".to_owned(), Some(good.clone())),
        (Method::GET, path.clone(), None),
        (Method::POST, format!("{path}/suspend"), reason("x")),
        (Method::POST, format!("{path}/reinstate"), reason("x")),
        (Method::POST, format!("{path}/remove"), reason("x")),
    ] {
        let (status, problem) = call(&platform, method.clone(), &route, None, body.clone()).await;
        assert_eq!(status, 401, "{method} {route}: {problem}");
        assert_eq!(problem["status"], 401);
        let (status, _) = call(
            &platform,
            method.clone(),
            &route,
            Some("not-a-token-at-all"),
            body.clone(),
        )
        .await;
        assert_eq!(status, 401, "{method} {route}");
        let (status, problem) =
            call(&platform, method.clone(), &route, Some(&issuer_token), body).await;
        assert_eq!(
            status, 403,
            "{method} {route} with an issuer token: {problem}"
        );
    }

    // Bad input: a problem with a reason, and nothing changes.
    let audit_before = audit_len(&platform).await;
    let mut unknown_field = good.clone();
    unknown_field["token"] = "please".into();
    let mut no_name = good.clone();
    no_name.as_object_mut().unwrap().remove("name");
    for (name, body) in [
        (
            "not a DID",
            registration(
                "https://onboarding.rth.example",
                "RTH",
                "Oxford onboarding",
                "r",
            ),
        ),
        (
            "DID with a fragment",
            registration("did:web:onboarding.rth.example#key-1", "RTH", "Oxford", "r"),
        ),
        (
            "bad ODS code",
            registration(desk, "rth!", "Oxford onboarding", "r"),
        ),
        ("empty name", registration(desk, "RTH", " ", "r")),
        (
            "empty reason",
            registration(desk, "RTH", "Oxford onboarding", ""),
        ),
        ("no name", no_name),
        ("unknown field", unknown_field),
        ("not an object", json!(["did:web:onboarding.rth.example"])),
    ] {
        let response = platform
            .http
            .post(format!("{}/verifiers", platform.registry_url))
            .bearer_auth(OPERATOR_TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{name}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{name}"
        );
        let problem: Value = response.json().await.unwrap();
        assert!(
            problem["type"].is_string() && problem["detail"].is_string(),
            "{name}: {problem}"
        );
    }
    for (route, body) in [
        (format!("{path}/suspend"), reason("not registered yet")),
        (format!("{path}/remove"), reason("not registered yet")),
    ] {
        let (status, _) = call(&platform, Method::POST, &route, Some(OPERATOR_TOKEN), body).await;
        assert_eq!(status, 404, "{route}");
    }
    let (status, _) = call(&platform, Method::GET, &path, Some(OPERATOR_TOKEN), None).await;
    assert_eq!(status, 404);
    assert_eq!(
        audit_len(&platform).await,
        audit_before,
        "refusals change nothing"
    );
    assert!(verified_trust_list(&platform).await.verifiers.is_empty());

    // Registration (through the harness, as other tests do it): no token comes back, the
    // signed list names it, and the wallet's decision is "trusted, for Oxford onboarding".
    tests::register_verifier(
        &platform.registry_url,
        OPERATOR_TOKEN,
        desk,
        "RTH",
        "Oxford onboarding",
    )
    .await
    .unwrap();
    let (status, shown) = call(&platform, Method::GET, &path, Some(OPERATOR_TOKEN), None).await;
    assert_eq!(status, 200);
    assert_eq!(shown["verifier"]["status"], "active");
    assert_eq!(shown["verifier"]["odsCode"], "RTH");
    assert!(shown.get("token").is_none() && shown["verifier"].get("tokenSha256").is_none());
    let (_, all) = call(
        &platform,
        Method::GET,
        "/verifiers",
        Some(OPERATOR_TOKEN),
        None,
    )
    .await;
    assert_eq!(all["verifiers"].as_array().unwrap().len(), 1, "{all}");
    let list = verified_trust_list(&platform).await;
    assert_eq!(
        trust_now(&list),
        VerifierTrust::Trusted {
            name: "Oxford onboarding".into(),
            ods_code: "RTH".into()
        }
    );
    assert!(list.issuer(desk).is_none(), "a verifier is not an issuer");
    // The platform's verifier reads the list with verifiers in it for the issuer check.
    let issued = platform
        .issue_person("P0001", None, "eddsa-rdfc-2022")
        .await
        .unwrap();
    let result = verified_within_a_second(&platform, &issued[0], true).await;
    assert_eq!(result["verified"], true, "{result:#}");
    assert_eq!(issuer_trusted(&result).0, "passed", "{result:#}");
    let (status, _) = call(
        &platform,
        Method::POST,
        "/verifiers",
        Some(OPERATOR_TOKEN),
        Some(registration(desk, "RTH", "Oxford again", "again")),
    )
    .await;
    assert_eq!(status, 409, "registered twice");

    // Listen to the feed as a wallet or verifier would, then suspend.
    let mut feed = platform
        .http
        .get(format!("{}/events", platform.registry_url))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (status, _) = call(
        &platform,
        Method::POST,
        &format!("{path}/suspend"),
        Some(OPERATOR_TOKEN),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 400, "a reason is required");
    let (status, body) = call(
        &platform,
        Method::POST,
        &format!("{path}/suspend"),
        Some(OPERATOR_TOKEN),
        reason("phishing report"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["verifier"]["status"], "suspended");
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(2);
    while !seen.contains("\n\n") && Instant::now() < deadline {
        if let Ok(Ok(Some(chunk))) =
            tokio::time::timeout(Duration::from_millis(500), feed.chunk()).await
        {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
    assert!(seen.contains("event: trust-list-change"), "{seen}");
    assert!(
        !seen.contains(desk),
        "the feed names the list, not the verifier: {seen}"
    );
    assert_eq!(
        trust_now(&verified_trust_list(&platform).await),
        VerifierTrust::Suspended
    );
    let (status, _) = call(
        &platform,
        Method::POST,
        &format!("{path}/suspend"),
        Some(OPERATOR_TOKEN),
        reason("again"),
    )
    .await;
    assert_eq!(status, 409);

    let (status, _) = call(
        &platform,
        Method::POST,
        &format!("{path}/reinstate"),
        Some(OPERATOR_TOKEN),
        reason("report was mistaken"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(matches!(
        trust_now(&verified_trust_list(&platform).await),
        VerifierTrust::Trusted { .. }
    ));

    // Removal is final: the list says removed, and nothing brings it back.
    let (status, body) = call(
        &platform,
        Method::POST,
        &format!("{path}/remove"),
        Some(OPERATOR_TOKEN),
        reason("desk closed"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["verifier"]["endedAt"].is_string());
    assert_eq!(
        trust_now(&verified_trust_list(&platform).await),
        VerifierTrust::Removed
    );
    let audit_before = audit_len(&platform).await;
    for (route, body) in [
        (format!("{path}/reinstate"), reason("undo")),
        (format!("{path}/suspend"), reason("undo")),
        (format!("{path}/remove"), reason("again")),
        ("/verifiers".to_owned(), Some(good.clone())),
    ] {
        let (status, problem) =
            call(&platform, Method::POST, &route, Some(OPERATOR_TOKEN), body).await;
        assert_eq!(status, 409, "{route}: {problem}");
    }
    assert_eq!(audit_len(&platform).await, audit_before);
    assert_eq!(
        trust_now(&verified_trust_list(&platform).await),
        VerifierTrust::Removed
    );

    let (_, audit) = call(&platform, Method::GET, "/audit", Some(OPERATOR_TOKEN), None).await;
    let changes: Vec<String> = audit["audit"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["verifier"] == desk)
        .map(|e| {
            format!(
                "{} ({})",
                e["action"].as_str().unwrap(),
                e["reason"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            "register-verifier (registered by the test harness)",
            "suspend-verifier (phishing report)",
            "reinstate-verifier (report was mistaken)",
            "remove-verifier (desk closed)",
        ]
    );
}
