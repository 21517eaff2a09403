//! Load tool, on loopback: how long from an acknowledged LEAVER event at the issuer to a
//! verifier (subscribed to the registry's change feed) refusing that person's credential.
//! One thousand synthetic people are put in post and given an employment credential; each
//! then leaves, one after another, and the verifier is asked about the credential until it
//! refuses it. Reports p50, p90, p99 and max to stdout and `target/bench-leaver.json`.
//!
//! Run with `cargo bench -p tests --bench leaver_to_verifier` (scripts/bench runs it).
//! `LEAVER_EVENTS=200` runs a shorter round.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use tests::{sample_people, Platform, TOKEN};

#[tokio::main]
async fn main() -> Result<()> {
    let count: usize = std::env::var("LEAVER_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let platform = Platform::start().await?;
    let people = synthetic_people(count)?;
    let response = platform
        .admin_post("/admin/people", &json!({ "people": people }))
        .await?;
    if response.status() != 200 {
        let text = response.text().await?;
        bail!("import: {}", text.chars().take(600).collect::<String>());
    }

    eprintln!("issuing {count} employment credentials…");
    let mut credentials = Vec::with_capacity(count);
    for person in &people {
        let id = person["person_id"].as_str().context("person_id")?;
        let response = platform
            .admin_post(
                &format!("/admin/people/{id}/credentials"),
                &json!({"types": ["EmploymentCredential"]}),
            )
            .await?;
        if response.status() != 201 {
            bail!("issue {id}: {}", response.text().await?);
        }
        let body: Value = response.json().await?;
        credentials.push(body["verifiableCredentials"][0].clone());
    }
    // Warm: the verifier has fetched the list and the DID documents before the clock runs.
    for credential in credentials.iter().take(3) {
        let verdict = platform.verify_credential(credential).await?;
        if verdict["verified"] != true {
            bail!("a fresh credential did not verify: {verdict}");
        }
    }

    eprintln!("{count} leavers…");
    let mut latencies = Vec::with_capacity(count);
    let mut checks = 0usize;
    for (n, (person, credential)) in people.iter().zip(&credentials).enumerate() {
        let event = json!({
            "event_id": format!("EVT-BENCH-{n:05}"),
            "event_type": "LEAVER",
            "occurred_at": "2025-10-01T09:00:00Z",
            "org_ods": "RJ1",
            "person_id": person["person_id"],
            "assignment_number": person["assignments"][0]["assignment_number"],
            "payload": {"leaving_date": "2025-09-30", "reason": "resignation", "staying_in_nhs": true},
        });
        let response = platform
            .http
            .post(format!("{}/esr/events", platform.issuer_url))
            .bearer_auth(TOKEN)
            .json(&event)
            .send()
            .await?;
        if response.status() != 200 {
            bail!("LEAVER {n}: {}", response.text().await?);
        }
        let acknowledged = Instant::now();
        loop {
            checks += 1;
            let verdict = platform.verify_credential(credential).await?;
            if verdict["verified"] == false {
                break;
            }
            if acknowledged.elapsed() > Duration::from_secs(10) {
                bail!("the verifier still accepts leaver {n}'s credential after 10 s");
            }
        }
        latencies.push(acknowledged.elapsed());
    }

    latencies.sort();
    let at = |q: f64| {
        let index = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies[index].as_secs_f64() * 1000.0
    };
    let report = json!({
        "events": count,
        "verifier_checks": checks,
        "p50_ms": round(at(0.50)),
        "p90_ms": round(at(0.90)),
        "p99_ms": round(at(0.99)),
        "max_ms": round(at(1.0)),
        "target_ms": 1000,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    std::fs::create_dir_all("../target").ok();
    let out =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-leaver.json");
    std::fs::write(out, serde_json::to_string_pretty(&report)?)?;
    Ok(())
}

fn round(ms: f64) -> f64 {
    (ms * 10.0).round() / 10.0
}

/// Copies of the sample's P0001 (a consultant at RJ1) with their own identifiers.
fn synthetic_people(count: usize) -> Result<Vec<Value>> {
    let sample = sample_people();
    let template = sample["people"]
        .as_array()
        .and_then(|people| people.iter().find(|p| p["person_id"] == "P0001"))
        .context("P0001 in the sample")?
        .clone();
    Ok((0..count)
        .map(|i| {
            let mut person = template.clone();
            let employee = format!("5{i:07}");
            person["person_id"] = json!(format!("B{i:05}"));
            person["uuid"] = json!(format!("7{i:011}"));
            person["esr_employee_number"] = json!(employee);
            person["ni_number"] = json!(format!("QQ{:06}A", i));
            person["email"] = json!(format!("bench.person{i}@nhs.net"));
            person["assignments"][0]["assignment_number"] = json!(employee);
            person["rbac_role_assignments"][0]["person_roleid"] = json!(format!("6{i:011}"));
            person["professional_registration"]["number"] = json!(format!("8{i:06}"));
            person
        })
        .collect())
}
