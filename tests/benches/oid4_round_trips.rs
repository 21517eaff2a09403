//! Load tool, on loopback: the two round trips of the journey on the phone, with our
//! wallet (wallet-core) against the running issuer, registry and verifier in one process.
//!
//! - offer → credential: the RA posts an offer for a person (`POST
//!   /admin/people/{id}/offers`), the wallet accepts it with the PIN (metadata, token,
//!   nonce, credential endpoint per offered configuration, each credential checked and
//!   sealed in the wallet). Timed for `ldp_vc` only, `dc+sd-jwt` only and both formats.
//! - request → result: the onboarding officer starts a request (`POST
//!   /presentation-requests`), the wallet reads it (`read_request`: the signed request
//!   object, the verifier's did:web key, the DCQL match) and answers it (`answer`:
//!   presentations signed through the key store, `direct_post`), then the officer fetches
//!   the verified result. Timed for the new-starter template answered with SD-JWT VCs
//!   (four credentials) and right-to-work answered with a Data Integrity VP.
//!
//! Reports p50, p90, p99 and max to stdout and `target/bench-round-trips.json`.
//! Run with `cargo bench -p tests --bench oid4_round_trips` (scripts/bench runs it);
//! `OFFERS=20 REQUESTS=20` runs a shorter round.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use tests::{Platform, OFFICER_TOKEN};
use wallet_core::{Wallet, WalletOptions};

/// Rounds run before the clock starts: connections open, caches filled, as in a service
/// that has been up for a while.
const WARM_UP: usize = 5;

#[tokio::main]
async fn main() -> Result<()> {
    let count = |name: &str, default: usize| -> usize {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let offers = count("OFFERS", 100);
    let requests = count("REQUESTS", 200);
    let platform = Platform::start().await?;
    let dir = tempfile::tempdir()?;
    let wallet = Wallet::open(
        dir.path(),
        "a long wallet passphrase",
        WalletOptions {
            allow_loopback_http: true,
            ..Default::default()
        },
    )?;

    let mut report = serde_json::Map::new();
    for (name, body) in [
        ("offer_to_credential_ldp_vc", json!({"formats": ["ldp_vc"]})),
        (
            "offer_to_credential_dc_sd_jwt",
            json!({"formats": ["dc+sd-jwt"]}),
        ),
        ("offer_to_credential_both_formats", json!({})),
    ] {
        eprintln!("{name}: {offers} offers…");
        let mut latencies = Vec::with_capacity(offers);
        let mut received = 0;
        for n in 0..WARM_UP + offers {
            let started = Instant::now();
            let credentials = offer_and_accept(&platform, &wallet, &body).await?;
            let elapsed = started.elapsed();
            if n >= WARM_UP {
                latencies.push(elapsed);
                received = credentials.len();
            }
            // The wallet keeps a person's credentials, not a hundred copies: deleting them
            // keeps each round's work (the store it writes to) that of a real wallet.
            for credential in &credentials {
                wallet.delete_credential(credential)?;
            }
        }
        let mut summary = summarise(latencies);
        summary.insert("credentials_per_offer".into(), json!(received));
        report.insert(name.into(), Value::Object(summary));
    }

    // The wallet the officer's requests are answered from: one person's credentials.
    offer_and_accept(&platform, &wallet, &json!({})).await?;
    for (name, template, suffix) in [
        (
            "request_to_result_new_starter_sd_jwt",
            "new-starter",
            "_sd_jwt",
        ),
        (
            "request_to_result_right_to_work_ldp_vc",
            "right-to-work",
            "_ldp",
        ),
    ] {
        eprintln!("{name}: {requests} requests…");
        let mut latencies = Vec::with_capacity(requests);
        let mut presented = 0;
        for n in 0..WARM_UP + requests {
            let started = Instant::now();
            let answered = request_answer_result(&platform, &wallet, template, suffix).await?;
            let elapsed = started.elapsed();
            if n >= WARM_UP {
                latencies.push(elapsed);
                presented = answered;
            }
        }
        let mut summary = summarise(latencies);
        summary.insert("credentials_presented".into(), json!(presented));
        report.insert(name.into(), Value::Object(summary));
    }

    let report = Value::Object(report);
    println!("{}", serde_json::to_string_pretty(&report)?);
    let out = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/bench-round-trips.json");
    std::fs::write(out, serde_json::to_string_pretty(&report)?)?;
    Ok(())
}

/// The RA's offer for P0001, accepted with its PIN; the ids of what the wallet stored.
async fn offer_and_accept(
    platform: &Platform,
    wallet: &Wallet,
    body: &Value,
) -> Result<Vec<String>> {
    let response = platform
        .admin_post("/admin/people/P0001/offers", body)
        .await?;
    if response.status() != 201 {
        bail!("offer: {}", response.text().await?);
    }
    let offer: Value = response.json().await?;
    let link = offer["offer_uri"].as_str().context("offer_uri")?;
    let pin = offer["tx_code"].as_str().context("tx_code")?;
    let received = wallet.accept_offer(link, Some(pin)).await?;
    if received.is_empty() {
        bail!("an accepted offer brought no credential");
    }
    Ok(received.into_iter().map(|c| c.id).collect())
}

/// One request from the officer, answered by the wallet with the credentials whose query
/// ids end in `suffix`, and the officer's verified result; how many credentials went.
async fn request_answer_result(
    platform: &Platform,
    wallet: &Wallet,
    template: &str,
    suffix: &str,
) -> Result<usize> {
    let response = platform
        .http
        .post(format!("{}/presentation-requests", platform.verifier_url))
        .bearer_auth(OFFICER_TOKEN)
        .json(&json!({"template": template}))
        .send()
        .await?;
    if response.status() != 201 {
        bail!("presentation request: {}", response.text().await?);
    }
    let created: Value = response.json().await?;
    let link = created["openid4vp_uri"].as_str().context("openid4vp_uri")?;
    let request = wallet.read_request(link).await?;
    let chosen: BTreeMap<String, String> = request
        .candidates
        .iter()
        .filter(|(query, _)| query.ends_with(suffix))
        .filter_map(|(query, c)| c.first().map(|c| (query.clone(), c.credential_id.clone())))
        .collect();
    if chosen.is_empty() {
        bail!("nothing in the wallet answers {template}");
    }
    wallet.answer(&request, &chosen).await?;
    let result: Value = platform
        .http
        .get(created["result_url"].as_str().context("result_url")?)
        .bearer_auth(OFFICER_TOKEN)
        .send()
        .await?
        .json()
        .await?;
    if result["result"]["verified"] != true {
        bail!("the officer's result is not verified: {result}");
    }
    Ok(chosen.len())
}

fn summarise(mut latencies: Vec<Duration>) -> serde_json::Map<String, Value> {
    latencies.sort();
    let at = |q: f64| {
        let index = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        let ms = latencies[index].as_secs_f64() * 1000.0;
        json!((ms * 10.0).round() / 10.0)
    };
    let mut summary = serde_json::Map::new();
    summary.insert("rounds".into(), json!(latencies.len()));
    summary.insert("p50_ms".into(), at(0.50));
    summary.insert("p90_ms".into(), at(0.90));
    summary.insert("p99_ms".into(), at(0.99));
    summary.insert("max_ms".into(), at(1.0));
    summary
}
