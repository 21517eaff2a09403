//! ESR lifecycle events end to end: one issuer per trust (RJ1, RTH, RR8, R0A), one
//! registry, one verifier. Every sample event is replayed through `POST /esr/events` and
//! checked against its expected outcome and effects, and the effects are checked where
//! they matter: at the verifier.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};
use tests::{shared_dir, Platform, TOKEN};

use crate::journeys::holder;

/// The Care Identity UUID of the RA who decides in these tests (synthetic).
const RA: &str = "900000000001";

/// The platform, its verifier also fetching from the other trusts' issuers on loopback.
async fn platform() -> Platform {
    Platform::start_trusting_plain_http(vec!["127.0.0.1:*".into()])
        .await
        .unwrap()
}

struct Trusts {
    urls: BTreeMap<String, String>,
}

impl Trusts {
    async fn start(platform: &Platform) -> Self {
        let mut urls = BTreeMap::new();
        urls.insert("RJ1".to_owned(), platform.issuer_url.clone());
        for ods in ["RTH", "RR8", "R0A"] {
            let node = platform.add_issuer(ods).await.unwrap();
            urls.insert(ods.to_owned(), node.url);
        }
        Self { urls }
    }

    /// The issuer an event goes to: its trust's, or RJ1's when the ODS code is no trust's.
    fn for_event(&self, event: &Value) -> &str {
        let ods = event["org_ods"].as_str().unwrap_or_default();
        self.urls.get(ods).unwrap_or(&self.urls["RJ1"])
    }
}

fn sample_events() -> Vec<Value> {
    std::fs::read_to_string(shared_dir().join("sample-data/esr-events.jsonl"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

async fn post_event(platform: &Platform, issuer: &str, event: &Value) -> (u16, Value) {
    let response = platform
        .http
        .post(format!("{issuer}/esr/events"))
        .bearer_auth(TOKEN)
        .json(event)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn get(platform: &Platform, url: String) -> Value {
    platform
        .http
        .get(url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn post(platform: &Platform, url: String, body: Value) -> (u16, Value) {
    let response = platform
        .http
        .post(url)
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn ledger(platform: &Platform, issuer: &str, person: &str) -> Vec<Value> {
    get(
        platform,
        format!("{issuer}/admin/people/{person}/credentials"),
    )
    .await["credentials"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The credential with this id from a person's ledger at an issuer.
async fn credential(platform: &Platform, issuer: &str, person: &str, id: &str) -> Value {
    ledger(platform, issuer, person)
        .await
        .into_iter()
        .find(|e| e["credential_id"] == id)
        .map(|e| e["credential"].clone())
        .unwrap_or_else(|| panic!("{id} is not in {person}'s ledger"))
}

/// The verifier's verdict, once the change feed has had up to a second to deliver.
async fn verdict_settles(platform: &Platform, credential: &Value, expected: bool) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        let result = platform.verify_credential(credential).await.unwrap();
        if result["verified"] == expected || std::time::Instant::now() > deadline {
            return result;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// Where the sample's expected effects contradict a business rule given the record the
/// sample itself holds, the rule decides; these are the effects the rule gives instead.
/// - EVT-0011: the leaver stays in the NHS, so BR-18 keeps what is about the person
///   (identity, checks, registration); what is about the post (employment, role) is revoked.
/// - EVT-0014 and EVT-0019: the person already holds the ACP they "change" to, with the
///   same title, so BR-16's same-ACP clause applies: no role credential is touched. (P0015
///   is a nurse, so BR-10 gives no prescriber credential without a recorded qualification.)
fn rule_over_sample(event_id: &str) -> Option<Vec<&'static str>> {
    match event_id {
        "EVT-0011" => Some(vec![
            "revoke:all_credentials_issued_by_org(except_portable:BR-18)",
            "retain:portable_credentials",
            "end:rbac_roles_at_org",
            "smartcard_retained_if_staying_in_healthcare",
        ]),
        "EVT-0014" | "EVT-0019" => Some(vec!["no_change_to_role_credential"]),
        _ => None,
    }
}

/// The reason code each deliberately malformed sample event must be refused with.
fn expected_reason(event_id: &str) -> &'static str {
    match event_id {
        "EVT-0026" => "unknown_person",
        "EVT-0027" => "unknown_access_control_position",
        "EVT-0028" => "invalid_email",
        "EVT-0029" => "invalid_ods_code",
        "EVT-0030" => "invalid_timestamp",
        other => panic!("{other} is not one of the malformed sample events"),
    }
}

#[tokio::test]
async fn every_sample_esr_event_has_its_expected_outcome_and_effects() {
    let platform = platform().await;
    let trusts = Trusts::start(&platform).await;
    let events = sample_events();
    assert_eq!(events.len(), 30);
    let wallet = holder(41);

    // Everyone in post whom an event names first holds their credentials, as in life.
    let mut held: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for event in &events {
        let person = event["person_id"].as_str().unwrap();
        let Some(issuer) = trusts.urls.get(event["org_ods"].as_str().unwrap()) else {
            continue;
        };
        if held.contains_key(person) || person == "P9999" {
            continue;
        }
        let record = get(&platform, format!("{issuer}/admin/people/{person}")).await;
        if record["status"] != "active" {
            continue;
        }
        let response = platform
            .admin_post_to(
                issuer,
                &format!("/admin/people/{person}/credentials"),
                &json!({"holder": wallet.did()}),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{person}");
        let body: Value = response.json().await.unwrap();
        held.insert(
            person.to_owned(),
            body["verifiableCredentials"].as_array().unwrap().clone(),
        );
    }

    for event in &events {
        let id = event["event_id"].as_str().unwrap();
        let expected = &event["expected"];
        let issuer = trusts.for_event(event);
        let person = event["person_id"].as_str().unwrap();
        let before = platform
            .http
            .get(format!("{issuer}/admin/people/{person}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let (status, reply) = post_event(&platform, issuer, event).await;

        if expected["outcome"] == "rejected" {
            assert_eq!(status, 422, "{id}: {reply:#}");
            assert_eq!(reply["reason_code"], expected_reason(id), "{id}: {reply:#}");
            assert_eq!(reply["event_id"], id);
            let after = platform
                .http
                .get(format!("{issuer}/admin/people/{person}"))
                .bearer_auth(TOKEN)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert_eq!(before, after, "{id}: a refused event changes nothing");
            let log = get(&platform, format!("{issuer}/esr/events")).await;
            assert!(
                !log.to_string().contains(&format!("\"{id}\"")),
                "{id}: a refused event is not logged as applied"
            );
            continue;
        }

        assert_eq!(status, 200, "{id}: {reply:#}");
        assert_eq!(reply["outcome"], expected["outcome"], "{id}");
        assert_eq!(reply["duplicate"], false);
        let mut effects = strings(&reply["effects"]);
        // A new starter's credentials come when the RA accepts the create-user request (BR-15).
        if event["event_type"] == "NEW_STARTER" {
            let request = reply["ra_request"].as_str().unwrap();
            assert!(
                reply["credentials"]["issued"]
                    .as_array()
                    .unwrap()
                    .is_empty(),
                "{id}: nothing before the RA"
            );
            let (status, decided) = post(
                &platform,
                format!("{issuer}/ra/requests/{request}/accept"),
                json!({"decided_by": RA, "holder": wallet.did()}),
            )
            .await;
            assert_eq!(status, 200, "{id}: {decided:#}");
            effects.extend(strings(&decided["effects"]));
            for issued in strings(&decided["credentials"]["issued"]) {
                let credential = credential(&platform, issuer, person, &issued).await;
                assert_eq!(
                    platform.verify_credential(&credential).await.unwrap()["verified"],
                    true,
                    "{id}: {issued}"
                );
            }
        }
        let wanted: Vec<String> = match rule_over_sample(id) {
            Some(rule) => rule.into_iter().map(str::to_owned).collect(),
            None => strings(&expected["effects"]),
        };
        for effect in &wanted {
            assert!(
                effects.contains(effect),
                "{id}: expected effect {effect}, got {effects:?}"
            );
        }

        // The effects, as a verifier sees them.
        for revoked in strings(&reply["credentials"]["revoked"]) {
            let credential = credential(&platform, issuer, person, &revoked).await;
            let result = verdict_settles(&platform, &credential, false).await;
            assert_eq!(result["verified"], false, "{id}: {revoked} must be revoked");
            assert!(
                result["problemDetails"].to_string().contains("revoked"),
                "{id}: {result:#}"
            );
        }
        for suspended in strings(&reply["credentials"]["suspended"]) {
            let credential = credential(&platform, issuer, person, &suspended).await;
            let result = verdict_settles(&platform, &credential, false).await;
            assert!(
                result["problemDetails"].to_string().contains("suspended"),
                "{id}: {result:#}"
            );
        }
        for reinstated in strings(&reply["credentials"]["reinstated"]) {
            let credential = credential(&platform, issuer, person, &reinstated).await;
            assert_eq!(
                verdict_settles(&platform, &credential, true).await["verified"],
                true,
                "{id}"
            );
        }
        for issued in strings(&reply["credentials"]["issued"]) {
            let credential = credential(&platform, issuer, person, &issued).await;
            assert_eq!(
                platform.verify_credential(&credential).await.unwrap()["verified"],
                true,
                "{id}: {issued}"
            );
        }
    }

    // Specific outcomes worth naming.
    let rth = &trusts.urls["RTH"];
    let rj1 = &trusts.urls["RJ1"];
    let r0a = &trusts.urls["R0A"];
    // EVT-0011: P0012 left RTH staying in the NHS: employment and role revoked, checks kept.
    let states = |entries: Vec<Value>| -> BTreeMap<String, BTreeSet<String>> {
        let mut by_type: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for e in entries {
            by_type
                .entry(e["credential_type"].as_str().unwrap().to_owned())
                .or_default()
                .insert(e["state"].as_str().unwrap().to_owned());
        }
        by_type
    };
    let p0012 = states(ledger(&platform, rth, "P0012").await);
    assert_eq!(
        p0012["EmploymentCredential"],
        BTreeSet::from(["revoked".to_owned()])
    );
    assert_eq!(
        p0012["RoleCredential"],
        BTreeSet::from(["revoked".to_owned()])
    );
    assert_eq!(
        p0012["EmploymentChecksCredential"],
        BTreeSet::from(["active".to_owned()])
    );
    // EVT-0004: P0002's old role is revoked and the new one active: never both valid.
    let p0002 = ledger(&platform, rj1, "P0002").await;
    let roles: Vec<(&str, &str)> = p0002
        .iter()
        .filter(|e| e["credential_type"] == "RoleCredential")
        .map(|e| {
            (
                e["state"].as_str().unwrap(),
                e["credential"]["credentialSubject"]["grantedVia"]
                    .as_str()
                    .unwrap_or("?"),
            )
        })
        .collect();
    assert_eq!(
        roles.iter().filter(|(s, _)| *s == "active").count(),
        1,
        "{roles:?}"
    );
    assert!(roles.contains(&("active", "RJ1-ACP-01")), "{roles:?}");
    assert!(roles.contains(&("revoked", "RJ1-ACP-02")), "{roles:?}");
    // EVT-0020 then EVT-0023: a suspended leaver's credentials end revoked, not suspended.
    let p0038 = states(ledger(&platform, r0a, "P0038").await);
    assert!(
        p0038
            .values()
            .all(|s| s == &BTreeSet::from(["revoked".to_owned()])),
        "{p0038:?}"
    );
    // EVT-0021: P0005's primary post keeps its credentials.
    let p0005 = ledger(&platform, rj1, "P0005").await;
    let bank: Vec<&Value> = p0005
        .iter()
        .filter(|e| e["assignment_number"] == "35370946-2")
        .collect();
    assert!(!bank.is_empty() && bank.iter().all(|e| e["state"] == "revoked"));
    assert!(p0005
        .iter()
        .filter(|e| e["assignment_number"] == "35370946")
        .all(|e| e["state"] == "active"));
    // EVT-0008 and EVT-0009: the CIS profile takes only the allowed domain.
    assert_eq!(
        get(&platform, format!("{rj1}/admin/people/P0006")).await["email"],
        "priya.sampleton@nhs.net"
    );
    assert_eq!(
        get(&platform, format!("{rj1}/admin/people/P0007")).await["email"],
        "gethin.fauxley7@nhs.net"
    );
}

#[tokio::test]
async fn replaying_events_is_idempotent_and_order_is_enforced() {
    let platform = platform().await;
    let rj1 = platform.issuer_url.clone();
    let rj1_events: Vec<Value> = sample_events()
        .into_iter()
        .filter(|e| e["org_ods"] == "RJ1")
        .collect();
    let batch: String = rj1_events.iter().map(|e| format!("{e}\n")).collect();
    let send_batch = || async {
        let response = platform
            .http
            .post(format!("{rj1}/esr/events"))
            .bearer_auth(TOKEN)
            .header("content-type", "application/jsonl")
            .body(batch.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.unwrap()
    };
    let first = send_batch().await;
    let applied = first["summary"]["accepted"].as_u64().unwrap();
    assert!(applied >= 5, "{first:#}");
    assert_eq!(
        first["summary"]["rejected"], 1,
        "EVT-0030's timestamp: {first:#}"
    );
    let log_after_first = get(&platform, format!("{rj1}/esr/events")).await;
    let people_after_first = get(&platform, format!("{rj1}/admin/people")).await;

    let second = send_batch().await;
    assert_eq!(
        second["summary"]["duplicate"].as_u64().unwrap(),
        applied,
        "{second:#}"
    );
    assert_eq!(second["summary"]["accepted"], 0);
    assert!(second["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["result"] == "duplicate")
        .all(|l| l["reason_code"] == "duplicate_event"));
    assert_eq!(
        get(&platform, format!("{rj1}/esr/events")).await,
        log_after_first,
        "a replay changes nothing"
    );
    assert_eq!(
        get(&platform, format!("{rj1}/admin/people")).await,
        people_after_first
    );

    // One event delivered again on its own: reported as a duplicate, with what it did first.
    let repeat = rj1_events
        .iter()
        .find(|e| e["event_id"] == "EVT-0004")
        .unwrap();
    let (status, problem) = post_event(&platform, &rj1, repeat).await;
    assert_eq!(status, 409, "{problem:#}");
    assert_eq!(problem["reason_code"], "duplicate_event");
    assert_eq!(problem["applied"]["outcome"], "accepted");
    assert_eq!(problem["applied"]["duplicate"], true);
    assert_eq!(
        get(&platform, format!("{rj1}/esr/events")).await,
        log_after_first
    );

    // The same id with other content is a different event: refused.
    let mut reused = rj1_events
        .iter()
        .find(|e| e["event_id"] == "EVT-0008")
        .unwrap()
        .clone();
    reused["payload"]["new"] = json!("someone.else@nhs.net");
    let (status, problem) = post_event(&platform, &rj1, &reused).await;
    assert_eq!(status, 409, "{problem:#}");
    assert_eq!(problem["reason_code"], "event_id_reused");

    // An older event for a person arriving after a newer one is reported, not applied (BR-22).
    let mut late = rj1_events
        .iter()
        .find(|e| e["event_id"] == "EVT-0008")
        .unwrap()
        .clone();
    late["event_id"] = json!("EVT-LATE-1");
    late["occurred_at"] = json!("2025-09-01T00:00:00Z");
    late["payload"]["new"] = json!("older.address@nhs.net");
    let (status, problem) = post_event(&platform, &rj1, &late).await;
    assert_eq!(status, 409, "{problem:#}");
    assert_eq!(problem["reason_code"], "out_of_order");
    assert_eq!(
        get(&platform, format!("{rj1}/admin/people/P0006")).await["email"],
        "priya.sampleton@nhs.net"
    );

    // A batch is applied in occurred_at order, whatever order its lines come in.
    let mut newer = late.clone();
    newer["event_id"] = json!("EVT-B");
    newer["occurred_at"] = json!("2025-10-02T00:00:00Z");
    newer["payload"]["new"] = json!("second@nhs.net");
    let mut older = late.clone();
    older["event_id"] = json!("EVT-A");
    older["occurred_at"] = json!("2025-10-01T00:00:00Z");
    older["payload"]["new"] = json!("first@nhs.net");
    let response = platform
        .http
        .post(format!("{rj1}/esr/events"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/x-ndjson")
        .body(format!("{newer}\n{older}\nnot json\n"))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["summary"]["accepted"], 2, "{body:#}");
    assert_eq!(body["results"][2]["reason_code"], "malformed_event");
    assert_eq!(
        get(&platform, format!("{rj1}/admin/people/P0006")).await["email"],
        "second@nhs.net"
    );
}

#[tokio::test]
async fn the_ra_grants_or_refuses_a_name_change() {
    let platform = platform().await;
    let rth = platform.add_issuer("RTH").await.unwrap().url;
    let wallet = holder(42);
    let issued = platform
        .admin_post_to(
            &rth,
            "/admin/people/P0014/credentials",
            &json!({"holder": wallet.did()}),
        )
        .await
        .unwrap();
    assert_eq!(issued.status(), 201);
    let old_identity: Value = issued.json::<Value>().await.unwrap()["verifiableCredentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"][1] == "CareIdentityCredential")
        .unwrap()
        .clone();
    let event = sample_events()
        .into_iter()
        .find(|e| e["event_id"] == "EVT-0005")
        .unwrap();
    let (status, reply) = post_event(&platform, &rth, &event).await;
    assert_eq!(status, 200);
    assert_eq!(reply["outcome"], "accepted_pending_manual_grant");
    // Held: the record and the credentials keep the old name until an RA grants it.
    assert_eq!(
        get(&platform, format!("{rth}/admin/people/P0014")).await["family_name"],
        "Syntheson"
    );
    assert_eq!(
        platform.verify_credential(&old_identity).await.unwrap()["verified"],
        true
    );
    let pending = get(&platform, format!("{rth}/ra/requests?state=pending")).await;
    let request = pending["requests"][0]["request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(pending["requests"][0]["request"]["new"], "Newsurname");

    // Refusing needs a reason and an RA; accepting twice is refused.
    let (status, _) = post(
        &platform,
        format!("{rth}/ra/requests/{request}/reject"),
        json!({"decided_by": RA}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = post(
        &platform,
        format!("{rth}/ra/requests/{request}/accept"),
        json!({"decided_by": "nobody"}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, granted) = post(
        &platform,
        format!("{rth}/ra/requests/{request}/accept"),
        json!({"decided_by": RA}),
    )
    .await;
    assert_eq!(status, 200, "{granted:#}");
    assert_eq!(granted["state"], "accepted");
    assert_eq!(granted["decided_by"], RA);
    let (status, _) = post(
        &platform,
        format!("{rth}/ra/requests/{request}/accept"),
        json!({"decided_by": RA}),
    )
    .await;
    assert_eq!(status, 409);

    assert_eq!(
        get(&platform, format!("{rth}/admin/people/P0014")).await["family_name"],
        "Newsurname"
    );
    let result = verdict_settles(&platform, &old_identity, false).await;
    assert!(
        result["problemDetails"].to_string().contains("revoked"),
        "{result:#}"
    );
    let new_id = strings(&granted["credentials"]["issued"]);
    assert_eq!(new_id.len(), 1, "{granted:#}");
    let renewed = credential(&platform, &rth, "P0014", &new_id[0]).await;
    assert_eq!(renewed["credentialSubject"]["familyName"], "Newsurname");
    assert_eq!(
        renewed["credentialSubject"]["id"],
        wallet.did(),
        "reissued to the same wallet"
    );
    assert_eq!(
        platform.verify_credential(&renewed).await.unwrap()["verified"],
        true
    );

    // A refused name change leaves everything as it was.
    let rr8 = platform.add_issuer("RR8").await.unwrap().url;
    let event = sample_events()
        .into_iter()
        .find(|e| e["event_id"] == "EVT-0006")
        .unwrap();
    let (_, reply) = post_event(&platform, &rr8, &event).await;
    let request = reply["ra_request"].as_str().unwrap().to_owned();
    let (status, refused) = post(
        &platform,
        format!("{rr8}/ra/requests/{request}/reject"),
        json!({"decided_by": RA, "reason": "deed poll not seen"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(refused["state"], "rejected");
    assert_eq!(refused["reason"], "deed poll not seen");
    assert_eq!(
        get(&platform, format!("{rr8}/admin/people/P0023")).await["given_name"],
        "Wendell"
    );
}

#[tokio::test]
async fn events_need_the_token_and_the_right_organisation() {
    let platform = platform().await;
    let event = sample_events()
        .into_iter()
        .find(|e| e["event_id"] == "EVT-0010")
        .unwrap();
    let response = platform
        .http
        .post(format!("{}/esr/events", platform.issuer_url))
        .json(&event)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    // An RTH event at RJ1's issuer: not this organisation's to apply.
    let (status, problem) = post_event(&platform, &platform.issuer_url, &event).await;
    assert_eq!(status, 422);
    assert_eq!(problem["reason_code"], "wrong_organisation");
    let response = platform
        .http
        .post(format!("{}/esr/events", platform.issuer_url))
        .bearer_auth(TOKEN)
        .header("content-type", "text/plain")
        .body(event.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let (status, problem) =
        post_event(&platform, &platform.issuer_url, &json!({"event_id": 7})).await;
    assert_eq!(status, 422);
    assert_eq!(problem["reason_code"], "malformed_event");
}

/// A LEAVER for P0003 at RJ1 (assignment 34309697) on `leaving_date`, sent now.
fn future_leaver(event_id: &str, leaving_date: chrono::NaiveDate, assignment: &str) -> Value {
    json!({
        "event_id": event_id,
        "event_type": "LEAVER",
        "occurred_at": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "org_ods": "RJ1",
        "person_id": "P0003",
        "assignment_number": assignment,
        "payload": {
            "leaving_date": leaving_date.to_string(),
            "reason": "resignation",
            "staying_in_nhs": true
        }
    })
}

#[tokio::test]
async fn a_leaver_sent_ahead_of_the_leaving_date_keeps_access_until_that_date() {
    let platform = platform().await;
    let rj1 = platform.issuer_url.clone();
    let issued = platform
        .admin_post_to(
            &rj1,
            "/admin/people/P0003/credentials",
            &json!({"holder": holder(43).did()}),
        )
        .await
        .unwrap();
    assert_eq!(issued.status(), 201);
    let employment: Value = issued.json::<Value>().await.unwrap()["verifiableCredentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"][1] == "EmploymentCredential")
        .unwrap()
        .clone();
    let today = chrono::Utc::now().date_naive();
    let leaving = today + chrono::Duration::days(30);

    // Checked on arrival: one that does not fit the record is refused at once.
    let (status, problem) = post_event(
        &platform,
        &rj1,
        &future_leaver("EVT-AHEAD-BAD", leaving, "99999999"),
    )
    .await;
    assert_eq!(status, 422, "{problem:#}");
    assert_eq!(problem["reason_code"], "unknown_assignment");

    let leaver = future_leaver("EVT-AHEAD-1", leaving, "34309697");
    let (status, reply) = post_event(&platform, &rj1, &leaver).await;
    assert_eq!(status, 200, "{reply:#}");
    assert_eq!(reply["outcome"], "scheduled");
    assert_eq!(
        reply["effects"],
        json!([format!("scheduled_for:{leaving}")])
    );
    assert_eq!(reply["credentials"]["revoked"], json!([]));
    let (status, again) = post_event(&platform, &rj1, &leaver).await;
    assert_eq!(status, 409, "a second delivery is a duplicate: {again:#}");
    assert_eq!(again["applied"]["outcome"], "scheduled");
    // ESR corrects the leaving date: the newer leaver replaces the held one.
    let corrected = leaving + chrono::Duration::days(1);
    let (_, second) = post_event(
        &platform,
        &rj1,
        &future_leaver("EVT-AHEAD-2", corrected, "34309697"),
    )
    .await;
    assert_eq!(second["outcome"], "scheduled", "{second:#}");
    let log = get(&platform, format!("{rj1}/esr/events?person_id=P0003")).await;
    let first = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event_id"] == "EVT-AHEAD-1")
        .unwrap()
        .clone();
    assert_eq!(first["outcome"], "not_applied", "{first:#}");
    assert_eq!(
        first["effects"],
        json!(["not_applied:superseded: by EVT-AHEAD-2"])
    );

    // Before the date: nothing is due, the person still works here and their credential verifies.
    for before in [today, leaving] {
        let run = platform.issuer.apply_due_events(before).await.unwrap();
        assert!(run.done.is_empty() && run.failed.is_empty(), "{run:?}");
    }
    let person = get(&platform, format!("{rj1}/admin/people/P0003")).await;
    assert_eq!(person["assignments"][0]["status"], "active");
    // The RA sees what is coming on the person's page.
    crate::console::add_account(
        platform.issuer.console().unwrap(),
        "rita.ra",
        "555000000031",
        &["ra"],
    );
    let mut ra = crate::console::Browser::at(&rj1);
    ra.sign_in("rita.ra", "a long console password").await;
    let page = ra.get("/console/people/P0003").await;
    assert!(
        page.body.contains("Changes waiting for their date"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains(&corrected.format("%d %b %Y").to_string()));
    assert!(page.body.contains("EVT-AHEAD-2") && !page.body.contains("EVT-AHEAD-1"));
    assert_eq!(
        platform.verify_credential(&employment).await.unwrap()["verified"],
        true
    );

    // On its date it is carried out, checked again against the record as it stands.
    let run = platform.issuer.apply_due_events(corrected).await.unwrap();
    assert!(run.failed.is_empty(), "{run:?}");
    let outcomes: Vec<(String, issuer::events::EventOutcome)> = run
        .done
        .iter()
        .map(|record| (record.event_id.clone(), record.outcome))
        .collect();
    assert_eq!(
        outcomes,
        vec![(
            "EVT-AHEAD-2".to_owned(),
            issuer::events::EventOutcome::Accepted
        )]
    );
    assert!(
        !run.done[0].credentials.revoked.is_empty(),
        "{:?}",
        run.done[0]
    );
    let result = verdict_settles(&platform, &employment, false).await;
    assert!(
        result["problemDetails"].to_string().contains("revoked"),
        "{result:#}"
    );
    let page = ra.get("/console/people/P0003").await;
    assert!(
        !page.body.contains("Changes waiting for their date"),
        "nothing held any more"
    );
    let run = platform
        .issuer
        .apply_due_events(corrected + chrono::Duration::days(5))
        .await
        .unwrap();
    assert!(run.done.is_empty(), "each is carried out once: {run:?}");

    // A suspension sent ahead, lifted before it begins, never begins.
    let event = |id: &str, kind: &str, payload: Value| {
        json!({
            "event_id": id,
            "event_type": kind,
            "occurred_at": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "org_ods": "RJ1",
            "person_id": "P0004",
            "assignment_number": "31312423",
            "payload": payload,
        })
    };
    let starts = today + chrono::Duration::days(10);
    let (status, held) = post_event(
        &platform,
        &rj1,
        &event(
            "EVT-AHEAD-SUSP",
            "SUSPENSION",
            json!({"reason_category": "investigation", "from": starts.to_string()}),
        ),
    )
    .await;
    assert_eq!(
        (status, held["outcome"].as_str()),
        (200, Some("scheduled")),
        "{held:#}"
    );
    let (status, lifted) = post_event(
        &platform,
        &rj1,
        &event("EVT-AHEAD-LIFT", "SUSPENSION_LIFTED", json!({})),
    )
    .await;
    assert_eq!(status, 200, "{lifted:#}");
    assert_eq!(lifted["effects"], json!(["cancelled_held:EVT-AHEAD-SUSP"]));
    let run = platform.issuer.apply_due_events(starts).await.unwrap();
    assert!(run.done.is_empty(), "{run:?}");
    let person = get(&platform, format!("{rj1}/admin/people/P0004")).await;
    assert_eq!(person["assignments"][0]["status"], "active");
}

#[tokio::test]
async fn a_held_job_change_the_registry_refuses_stays_held_and_is_carried_out_at_the_next_run() {
    let platform = platform().await;
    let rj1 = platform.issuer_url.clone();
    let issued = platform
        .admin_post_to(
            &rj1,
            "/admin/people/P0002/credentials",
            &json!({"holder": holder(44).did()}),
        )
        .await
        .unwrap();
    assert_eq!(issued.status(), 201);
    let today = chrono::Utc::now().date_naive();
    let effective = today + chrono::Duration::days(7);
    let mut change = sample_events()
        .into_iter()
        .find(|e| e["event_id"] == "EVT-0004")
        .unwrap();
    change["event_id"] = json!("EVT-AHEAD-JOB");
    change["occurred_at"] = json!(chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string());
    change["payload"]["effective_date"] = json!(effective.to_string());
    let (status, reply) = post_event(&platform, &rj1, &change).await;
    assert_eq!(
        (status, reply["outcome"].as_str()),
        (200, Some("scheduled")),
        "{reply:#}"
    );

    // The registry suspends the issuer: it may no longer allocate status entries, so the
    // new role credential cannot be issued on the day.
    let operator = |action: &'static str| {
        let url = format!(
            "{}/issuers/{}/{action}",
            platform.registry_url,
            tests::did_path_segment(&platform.issuer_did)
        );
        let http = platform.http.clone();
        async move {
            let response = http
                .post(url)
                .bearer_auth(tests::OPERATOR_TOKEN)
                .json(&json!({"reason": "a test of held events"}))
                .send()
                .await
                .unwrap();
            assert!(
                response.status().is_success(),
                "{action}: {}",
                response.status()
            );
        }
    };
    operator("suspend").await;
    let run = platform.issuer.apply_due_events(effective).await.unwrap();
    assert!(run.done.is_empty(), "{run:?}");
    assert_eq!(run.failed.len(), 1, "{run:?}");
    assert_eq!(run.failed[0].0, "P0002");
    let log = get(&platform, format!("{rj1}/esr/events?person_id=P0002")).await;
    let held = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event_id"] == "EVT-AHEAD-JOB")
        .unwrap()
        .clone();
    assert_eq!(held["outcome"], "scheduled", "still held: {held:#}");
    assert_eq!(
        get(&platform, format!("{rj1}/admin/people/P0002")).await["assignments"][0]
            ["access_control_position"],
        "RJ1-ACP-02",
        "the record is as it was"
    );

    // Reinstated, the next run carries it out.
    operator("reinstate").await;
    let run = platform.issuer.apply_due_events(effective).await.unwrap();
    assert!(run.failed.is_empty(), "{run:?}");
    assert_eq!(run.done.len(), 1, "{run:?}");
    assert_eq!(run.done[0].outcome, issuer::events::EventOutcome::Accepted);
    assert!(
        !run.done[0].credentials.issued.is_empty(),
        "{:?}",
        run.done[0]
    );
    assert_eq!(
        get(&platform, format!("{rj1}/admin/people/P0002")).await["assignments"][0]
            ["access_control_position"],
        "RJ1-ACP-01"
    );
}
