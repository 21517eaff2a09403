//! Onboarding at the receiving trust (RTH, verifier/policies/RTH.toml): the officer starts
//! an onboarding for a post, the new starter's wallet answers the QR code, the checklist is
//! judged per requirement, and HR accepts or bypasses; the grants are exported and every
//! step is audited.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use tests::{Platform, HR_TOKEN, OFFICER_TOKEN};

const OFFICER: &str = "555000000001";
const HR_USER: &str = "555000000002";

async fn call(
    platform: &Platform,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let url = format!("{}{path}", platform.verifier_url);
    let mut request = match method {
        "POST" => platform.http.post(&url),
        _ => platform.http.get(&url),
    };
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn start(platform: &Platform, person: &str, position: &str, staff_group: &str) -> Value {
    let (status, started) = call(
        platform,
        "POST",
        "/onboardings",
        Some(OFFICER_TOKEN),
        Some(json!({
            "person": person, "position": position, "staff_group": staff_group,
            "employment_type": "permanent", "by": OFFICER,
        })),
    )
    .await;
    assert_eq!(status, 201, "{started:#}");
    started
}

/// The new starter collects their credentials (SD-JWT VCs) and answers the onboarding's
/// QR code with everything it asks that they hold.
async fn new_starter_presents(platform: &Platform, person_id: &str, started: &Value) {
    let link = started["request"]["openid4vp_uri"].as_str().unwrap();
    new_starter_answers(platform, person_id, link).await;
}

/// The new starter collects their credentials (SD-JWT VCs) and answers a presentation
/// request's link (what its QR code carries) with everything it asks that they hold.
pub async fn new_starter_answers(platform: &Platform, person_id: &str, link: &str) {
    let dir = tempfile::tempdir().unwrap();
    let wallet = crate::wallet::wallet(&dir);
    let response = platform
        .admin_post(
            &format!("/admin/people/{person_id}/offers"),
            &json!({"formats": ["dc+sd-jwt"]}),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let offer: Value = response.json().await.unwrap();
    wallet
        .accept_offer(
            offer["offer_uri"].as_str().unwrap(),
            offer["tx_code"].as_str(),
        )
        .await
        .unwrap();
    let request = wallet.read_request(link).await.unwrap();
    let chosen: BTreeMap<String, String> = request
        .candidates
        .iter()
        .filter_map(|(query, c)| c.first().map(|c| (query.clone(), c.credential_id.clone())))
        .collect();
    assert!(
        chosen.contains_key("identity_sd_jwt"),
        "{:?}",
        request.candidates
    );
    wallet.answer(&request, &chosen).await.unwrap();
}

fn requirement<'a>(onboarding: &'a Value, name: &str) -> &'a Value {
    onboarding["decision"]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["requirement"] == name)
        .unwrap_or_else(|| panic!("no {name} in {onboarding:#}"))
}

/// A synthetic doctor like P0001 but with every check and training subject in date.
fn a_doctor_with_everything_in_date() -> Value {
    let people = tests::sample_people();
    let mut doctor = people["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["person_id"] == "P0001")
        .unwrap()
        .clone();
    let recently = (chrono::Utc::now() - chrono::Duration::days(30))
        .date_naive()
        .to_string();
    doctor["person_id"] = json!("P0901");
    doctor["uuid"] = json!("900000000901");
    doctor["esr_employee_number"] = json!("90000901");
    doctor["ni_number"] = json!("QQ900901A");
    doctor["email"] = json!("everything.indate@nhs.net");
    doctor["given_name"] = json!("Evie");
    doctor["family_name"] = json!("Indate");
    doctor["middle_names"] = Value::Null;
    doctor["assignments"][0]["assignment_number"] = json!("90000901");
    doctor["assignments"][0]["position_number"] = json!("9000901");
    doctor["rbac_role_assignments"][0]["person_roleid"] = json!("900000000911");
    doctor["cstf_training"] = json!([
        "Equality, diversity and human rights",
        "Fire safety",
        "Health, safety and welfare",
        "Information governance and data security",
        "Infection prevention and control",
        "Moving and handling",
        "Resuscitation",
        "Safeguarding adults",
        "Safeguarding children",
    ]
    .iter()
    .map(|subject| json!({"subject": subject, "completed_on": recently, "refresher_years": 1}))
    .collect::<Vec<_>>());
    doctor
}

#[tokio::test]
async fn a_new_starter_with_everything_in_date_is_accepted_and_their_grants_recorded() {
    let platform = Platform::start().await.unwrap();
    let response = platform
        .admin_post(
            "/admin/people",
            &json!({"people": [a_doctor_with_everything_in_date()]}),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    let (status, choices) = call(
        &platform,
        "GET",
        "/onboarding/choices",
        Some(OFFICER_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(choices["organisation"], "RTH");
    assert!(choices["positions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["id"].as_str().unwrap().starts_with("RTH-")));

    let started = start(&platform, "Evie Indate", "RTH-ACP-01", "Medical and Dental").await;
    assert_eq!(started["status"], "awaiting_presentation");
    assert_eq!(started["position_name"], "Consultant Physician");
    assert_eq!(
        started["checklist"]["rules"],
        json!([
            "Everyone",
            "Patient-facing clinical staff",
            "Doctors and dentists"
        ])
    );
    let id = started["id"].as_str().unwrap().to_owned();

    new_starter_presents(&platform, "P0901", &started).await;
    let (status, judged) = call(
        &platform,
        "GET",
        &format!("/onboardings/{id}"),
        Some(OFFICER_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(judged["status"], "awaiting_hr", "{judged:#}");
    assert_eq!(judged["decision"]["overall"], "complete", "{judged:#}");
    assert_eq!(judged["presented_by"], "Evie Indate (900000000901)");
    assert_eq!(
        judged["decision"]["requirements"].as_array().unwrap().len(),
        8
    );
    assert_eq!(requirement(&judged, "registration")["state"], "met");

    // The officer may not decide; HR may, once.
    let accept = json!({"by": HR_USER});
    let (status, _) = call(
        &platform,
        "POST",
        &format!("/onboardings/{id}/accept"),
        Some(OFFICER_TOKEN),
        Some(accept.clone()),
    )
    .await;
    assert_eq!(status, 403);
    let (status, accepted) = call(
        &platform,
        "POST",
        &format!("/onboardings/{id}/accept"),
        Some(HR_TOKEN),
        Some(accept.clone()),
    )
    .await;
    assert_eq!(status, 200, "{accepted:#}");
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["hr"]["by"], HR_USER);
    let (status, again) = call(
        &platform,
        "POST",
        &format!("/onboardings/{id}/accept"),
        Some(HR_TOKEN),
        Some(accept),
    )
    .await;
    assert_eq!(status, 409, "{again:#}");

    let (status, grants) = call(
        &platform,
        "GET",
        &format!("/onboardings/{id}/grants"),
        Some(HR_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let granted: Vec<(&str, &str)> = grants["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["system"].as_str().unwrap(), g["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        granted,
        [
            ("Electronic patient record (EPR)", "Doctor"),
            ("Electronic prescribing (EPMA)", "Independent prescriber"),
            ("Electronic prescribing (EPMA)", "Prepare prescriptions"),
            ("Patient administration system (PAS)", "Amend demographics"),
        ]
    );
    let response = platform
        .http
        .get(format!("{}/grants.csv", platform.verifier_url))
        .bearer_auth(HR_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(
        lines[0].starts_with("onboarding,person,presented_by,organisation,position,system,role")
    );
    assert!(lines[1].contains("Evie Indate,Evie Indate (900000000901),RTH,RTH-ACP-01,Electronic patient record (EPR),Doctor"));

    let (_, audit) = call(
        &platform,
        "GET",
        &format!("/onboarding-audit?onboarding={id}"),
        Some(HR_TOKEN),
        None,
    )
    .await;
    let actions: Vec<(&str, &str)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("onboarding_started", OFFICER),
            ("presentation_received", "wallet"),
            ("accepted", HR_USER),
        ]
    );
}

#[tokio::test]
async fn an_incomplete_checklist_cannot_be_accepted_but_hr_can_bypass_it_with_a_reason() {
    let platform = Platform::start().await.unwrap();
    // P0001's training is mostly missing or lapsed in the sample data.
    let started = start(
        &platform,
        "Amara Notreal",
        "RTH-ACP-01",
        "Medical and Dental",
    )
    .await;
    let id = started["id"].as_str().unwrap().to_owned();
    new_starter_presents(&platform, "P0001", &started).await;
    let (_, judged) = call(
        &platform,
        "GET",
        &format!("/onboardings/{id}"),
        Some(OFFICER_TOKEN),
        None,
    )
    .await;
    assert_eq!(judged["decision"]["overall"], "incomplete", "{judged:#}");
    let training = requirement(&judged, "training");
    assert_eq!(training["state"], "unmet");
    assert!(
        training["reason"].as_str().unwrap().contains("Fire safety"),
        "{training:#}"
    );
    assert_eq!(requirement(&judged, "identity")["state"], "met");

    let (status, refused) = call(
        &platform,
        "POST",
        &format!("/onboardings/{id}/accept"),
        Some(HR_TOKEN),
        Some(json!({"by": HR_USER})),
    )
    .await;
    assert_eq!(status, 409);
    assert!(
        refused["detail"].as_str().unwrap().contains("incomplete"),
        "{refused:#}"
    );
    let (status, refused) = call(
        &platform,
        "POST",
        &format!("/onboardings/{id}/bypass"),
        Some(HR_TOKEN),
        Some(json!({"by": HR_USER, "justification": "ok"})),
    )
    .await;
    assert_eq!(status, 400);
    assert!(refused["detail"]
        .as_str()
        .unwrap()
        .contains("justification"));
    let (status, _) = call(&platform, "POST", &format!("/onboardings/{id}/bypass"), Some(HR_TOKEN), Some(json!({"by": "nobody", "justification": "Training seen on the lead employer's system."}))).await;
    assert_eq!(status, 400);
    let (_, unchanged) = call(
        &platform,
        "GET",
        &format!("/onboardings/{id}"),
        Some(HR_TOKEN),
        None,
    )
    .await;
    assert_eq!(unchanged["status"], "awaiting_hr");

    let reason = "Training certificates seen on the lead employer's learning system on the day.";
    let (status, bypassed) = call(
        &platform,
        "POST",
        &format!("/onboardings/{id}/bypass"),
        Some(HR_TOKEN),
        Some(json!({"by": HR_USER, "justification": reason})),
    )
    .await;
    assert_eq!(status, 200, "{bypassed:#}");
    assert_eq!(bypassed["status"], "bypassed");
    assert_eq!(bypassed["hr"]["justification"], reason);
    assert_eq!(bypassed["hr"]["grants"].as_array().unwrap().len(), 4);

    let (_, audit) = call(&platform, "GET", "/onboarding-audit", Some(HR_TOKEN), None).await;
    let entries = audit["entries"].as_array().unwrap();
    let last = entries.last().unwrap();
    assert_eq!(last["action"], "bypassed");
    assert!(last["detail"].as_str().unwrap().contains(reason));
    // BR-34: the log says what happened, never what a check contained.
    let text = audit.to_string();
    for private in [
        "enhanced_with_barred_lists",
        "cleared",
        "exposure",
        "4095647",
    ] {
        assert!(!text.contains(private), "the audit log holds {private}");
    }

    // Retention: the reasons stay while the trust keeps them (90 days here), then go; the
    // outcome of each requirement, the grants, HR's justification and the audit stay.
    let (_, before) = call(
        &platform,
        "GET",
        &format!("/onboardings/{id}"),
        Some(HR_TOKEN),
        None,
    )
    .await;
    assert!(before["decision"]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| !r["reason"].as_str().unwrap().is_empty()));
    let now = chrono::Utc::now();
    assert_eq!(
        platform
            .verifier
            .remove_old_evidence(now + chrono::Duration::days(89))
            .unwrap(),
        0
    );
    let later = now + chrono::Duration::days(91);
    assert_eq!(platform.verifier.remove_old_evidence(later).unwrap(), 1);
    assert_eq!(
        platform.verifier.remove_old_evidence(later).unwrap(),
        0,
        "once"
    );
    let (_, after) = call(
        &platform,
        "GET",
        &format!("/onboardings/{id}"),
        Some(HR_TOKEN),
        None,
    )
    .await;
    let requirements = after["decision"]["requirements"].as_array().unwrap();
    assert_eq!(
        requirements.len(),
        before["decision"]["requirements"].as_array().unwrap().len()
    );
    assert!(requirements
        .iter()
        .all(|r| r["reason"] == "" && r["state"].is_string()));
    assert_eq!(after["decision"]["notes"], json!([]));
    assert!(after["evidence_removed_at"].is_string());
    assert_eq!(
        after["hr"], before["hr"],
        "the decision and its grants stay"
    );
    let (_, audit) = call(&platform, "GET", "/onboarding-audit", Some(HR_TOKEN), None).await;
    let last = audit["entries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["action"].as_str(), last["actor"].as_str()),
        (Some("evidence_removed"), Some("retention"))
    );
    let (status, grants) = call(
        &platform,
        "GET",
        &format!("/onboardings/{id}/grants"),
        Some(HR_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(grants["grants"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn onboarding_refuses_bad_starts_and_callers_and_changes_nothing() {
    let platform = Platform::start().await.unwrap();
    let good = json!({
        "person": "Amara Notreal", "position": "RTH-ACP-04", "staff_group": "Nursing and Midwifery Registered",
        "employment_type": "temporary_mover", "by": OFFICER,
    });
    let with = |key: &str, value: Value| {
        let mut body = good.clone();
        body[key] = value;
        body
    };
    for (body, problem) in [
        (
            with("position", json!("RJ1-ACP-04")),
            "not one of RTH's access control positions",
        ),
        (
            with("position", json!("RTH-ACP-99")),
            "not one of RTH's access control positions",
        ),
        (
            with("staff_group", json!("Wizards")),
            "not an ESR staff group",
        ),
        (
            with("employment_type", json!("forever")),
            "employment_type: unknown variant",
        ),
        (with("by", json!("officer")), "Care Identity UUID"),
        (
            with("person", json!("  ")),
            "person must name the new starter",
        ),
        (with("colour", json!("red")), "unknown field `colour`"),
    ] {
        let (status, refused) = call(
            &platform,
            "POST",
            "/onboardings",
            Some(OFFICER_TOKEN),
            Some(body),
        )
        .await;
        assert_eq!(status, 400, "{refused:#}");
        assert!(
            refused["detail"].as_str().unwrap().contains(problem),
            "{problem}: {refused:#}"
        );
    }
    for token in [None, Some("not-a-token-at-all-0123456789")] {
        let (status, _) = call(&platform, "POST", "/onboardings", token, Some(good.clone())).await;
        assert_eq!(status, 401);
        let (status, _) = call(&platform, "GET", "/onboardings", token, None).await;
        assert_eq!(status, 401);
    }
    let (status, _) = call(&platform, "GET", "/grants.csv", Some(OFFICER_TOKEN), None).await;
    assert_eq!(status, 403, "the export is HR's");
    let (status, _) = call(
        &platform,
        "GET",
        "/onboardings/no-such-onboarding",
        Some(OFFICER_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (_, listed) = call(&platform, "GET", "/onboardings", Some(OFFICER_TOKEN), None).await;
    assert_eq!(listed["onboardings"], json!([]), "nothing was started");
    let (_, audit) = call(&platform, "GET", "/onboarding-audit", Some(HR_TOKEN), None).await;
    assert_eq!(audit["entries"], json!([]));
    let (status, refused) = call(
        &platform,
        "GET",
        "/onboarding-audit?colour=red",
        Some(HR_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("unknown field `colour`"),
        "{refused:#}"
    );

    // A good start is listed, and waits for the wallet.
    let started = start(
        &platform,
        "Amara Notreal",
        "RTH-ACP-04",
        "Nursing and Midwifery Registered",
    )
    .await;
    let (_, listed) = call(&platform, "GET", "/onboardings", Some(OFFICER_TOKEN), None).await;
    assert_eq!(listed["onboardings"][0]["id"], started["id"]);
    assert_eq!(listed["onboardings"][0]["status"], "awaiting_presentation");
    let (status, refused) = call(
        &platform,
        "POST",
        &format!("/onboardings/{}/accept", started["id"].as_str().unwrap()),
        Some(HR_TOKEN),
        Some(json!({"by": HR_USER})),
    )
    .await;
    assert_eq!(status, 409);
    assert!(refused["detail"]
        .as_str()
        .unwrap()
        .contains("nothing has been presented"));
}
