//! The wallet's main calls timed from Rust through the same `PassportWallet` object the
//! apps use, against a running `passport up`; `mobile-bindings/python/bench_calls.py`
//! times the same calls from Python through the wheel, so the two differ only by the
//! foreign-function boundary and the language. Run by `scripts/bench-bindings`.
//!
//! Usage: call_times <issuer-url> <verifier-url> <registry-url> <token> <rounds>

// The wallet's futures nest deeply (OpenID4VCI inside uniffi's async wrappers); laying
// them out inside one `main` needs more than the default query depth.
#![recursion_limit = "256"]

use std::collections::HashMap;
use std::time::Instant;

use passport_wallet::{PassportWallet, WalletConfig};
use serde_json::{json, Value};

async fn post(client: &reqwest::Client, url: &str, token: &str, body: Value) -> Value {
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("the platform answers");
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    response.json().await.expect("JSON")
}

fn median_ms(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, issuer, verifier, registry, token, rounds] = args.as_slice() else {
        panic!("usage: call_times <issuer> <verifier> <registry> <token> <rounds>");
    };
    let rounds: usize = rounds.parse().expect("rounds is a number");
    let folder = tempfile::tempdir().expect("a temporary folder");
    let client = reqwest::Client::new();

    let started = Instant::now();
    let wallet = PassportWallet::open(
        WalletConfig {
            directory: folder.path().display().to_string(),
            passphrase: "a long passphrase for the benchmark".into(),
            trust_list_url: Some(format!("{registry}/trust-list")),
            registry_did: None,
            allow_loopback_http: true,
        },
        None,
    )
    .expect("the wallet opens");
    let mut times: HashMap<&str, Vec<f64>> = HashMap::new();
    times
        .entry("open")
        .or_default()
        .push(started.elapsed().as_secs_f64() * 1000.0);

    for _ in 0..rounds {
        let offer = post(
            &client,
            &format!("{issuer}/admin/people/P0001/offers"),
            token,
            json!({"formats": ["dc+sd-jwt"], "types": ["CareIdentityCredential"]}),
        )
        .await;
        let link = offer["offer_uri"].as_str().expect("offer_uri").to_owned();
        let pin = offer["tx_code"].as_str().map(str::to_owned);
        let started = Instant::now();
        wallet.accept_offer(link, pin).await.expect("accepted");
        times
            .entry("accept_offer")
            .or_default()
            .push(started.elapsed().as_secs_f64() * 1000.0);

        let created = post(
            &client,
            &format!("{verifier}/presentation-requests"),
            token,
            json!({"template": "right-to-work"}),
        )
        .await;
        let link = created["openid4vp_uri"].as_str().expect("link").to_owned();
        let started = Instant::now();
        let request = wallet.read_request(link).await.expect("read");
        let chosen = request
            .requested()
            .into_iter()
            .filter_map(|q| Some((q.query_id, q.candidates.first()?.credential_id.clone())))
            .collect();
        wallet.answer(request, chosen).await.expect("answered");
        times
            .entry("read_request_and_answer")
            .or_default()
            .push(started.elapsed().as_secs_f64() * 1000.0);

        let started = Instant::now();
        wallet.credentials().expect("listed");
        times
            .entry("credentials")
            .or_default()
            .push(started.elapsed().as_secs_f64() * 1000.0);

        let started = Instant::now();
        wallet.refresh_statuses().await.expect("refreshed");
        times
            .entry("refresh_statuses")
            .or_default()
            .push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let medians: serde_json::Map<String, Value> = times
        .iter_mut()
        .map(|(name, samples)| ((*name).to_owned(), json!(median_ms(samples))))
        .collect();
    println!(
        "{}",
        json!({"language": "rust", "rounds": rounds, "median_ms": medians})
    );
}
