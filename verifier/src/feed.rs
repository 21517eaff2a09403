//! Following a trust registry's change feed (Server-Sent Events): each `status-change`
//! event names a status list that changed, and that list is dropped from the cache so the
//! next verification fetches it afresh; a `trust-list-change` event drops the cached trust
//! list. Whenever the feed is (re)connected, every cache is dropped, since events may have
//! been missed while it was down.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::service::Verifier;

/// Follows one feed until the process ends, reconnecting after a second on any failure.
pub fn follow(verifier: Arc<Verifier>, feed_url: String) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // No overall timeout: the response is a stream that stays open.
        let client = match reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
        {
            Ok(client) => client,
            Err(error) => {
                tracing::error!(%error, "cannot build the change feed client");
                return;
            }
        };
        loop {
            match client
                .get(&feed_url)
                .header("accept", "text/event-stream")
                .send()
                .await
            {
                Ok(mut response) if response.status().is_success() => {
                    forget_everything(&verifier);
                    let mut buffer = String::new();
                    while let Ok(Some(chunk)) = response.chunk().await {
                        buffer.push_str(&String::from_utf8_lossy(&chunk));
                        while let Some(end) = buffer.find("\n\n") {
                            let block: String = buffer.drain(..end + 2).collect();
                            apply(&verifier, &block);
                        }
                    }
                }
                Ok(response) => {
                    tracing::warn!(status = %response.status(), feed = %feed_url, "change feed refused")
                }
                Err(error) => tracing::warn!(%error, feed = %feed_url, "change feed unreachable"),
            }
            forget_everything(&verifier);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
}

fn forget_everything(verifier: &Verifier) {
    verifier.status_list_fetcher().forget_all();
    if let Some(trust_list) = verifier.trust_list_fetcher() {
        trust_list.forget();
    }
}

fn apply(verifier: &Verifier, block: &str) {
    let mut event = "message";
    let mut data = String::new();
    for line in block.lines() {
        if let Some(name) = line.strip_prefix("event:") {
            event = name.trim();
        } else if let Some(value) = line.strip_prefix("data:") {
            data.push_str(value.trim());
        }
    }
    match event {
        "status-change" => match serde_json::from_str::<Value>(&data).ok().and_then(|v| {
            v.get("statusListCredential")
                .and_then(Value::as_str)
                .map(str::to_owned)
        }) {
            Some(url) => verifier.status_list_fetcher().forget(&url),
            None => verifier.status_list_fetcher().forget_all(),
        },
        "trust-list-change" => {
            if let Some(trust_list) = verifier.trust_list_fetcher() {
                trust_list.forget();
            }
        }
        "resync" => forget_everything(verifier),
        _ => {}
    }
}
