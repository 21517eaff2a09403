//! did:web resolution over HTTP(S), with a small cache. The verification itself never
//! fetches: documents are resolved into a snapshot before it starts.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use credentials::did::{did_web_document_location, DidResolutionError, DidResolver, ResolveFuture};
use credentials::PinnedDidDocuments;
use serde_json::Value;

/// A DID document is small; anything larger is refused rather than read.
const MAX_DID_DOCUMENT_BYTES: usize = 64 * 1024;

/// Whether `host` (`name:port`) may be fetched over plain HTTP: listed as it is, or its
/// name listed with any port (`127.0.0.1:*`, for loopback deployments whose ports vary).
pub fn plain_http_allowed(allowed: &HashSet<String>, host: &str) -> bool {
    allowed.contains(host)
        || host
            .rsplit_once(':')
            .is_some_and(|(name, _)| allowed.contains(&format!("{name}:*")))
}

pub struct HttpDidWebResolver {
    client: reqwest::Client,
    plain_http_hosts: HashSet<String>,
    cache: Mutex<HashMap<String, (Instant, Value)>>,
    cache_for: Duration,
}

impl HttpDidWebResolver {
    pub fn new(
        plain_http_hosts: impl IntoIterator<Item = String>,
        cache_for: Duration,
    ) -> Result<Self, reqwest::Error> {
        let client = fetch_client()?;
        Ok(Self {
            client,
            plain_http_hosts: plain_http_hosts.into_iter().collect(),
            cache: Mutex::new(HashMap::new()),
            cache_for,
        })
    }

    fn cached(&self, did: &str) -> Option<Value> {
        let cache = self.cache.lock().ok()?;
        let (at, document) = cache.get(did)?;
        (at.elapsed() < self.cache_for).then(|| document.clone())
    }

    async fn fetch(&self, did: &str) -> Result<Value, DidResolutionError> {
        if let Some(document) = self.cached(did) {
            return Ok(document);
        }
        let location = did_web_document_location(did)
            .map_err(|e| DidResolutionError::InvalidDocument(e.to_string()))?;
        let host = location.split('/').next().unwrap_or_default();
        let scheme = if plain_http_allowed(&self.plain_http_hosts, host) {
            "http"
        } else {
            "https"
        };
        let url = format!("{scheme}://{location}");
        let response = self
            .client
            .get(&url)
            .send()
            .await
            .map_err(|e| DidResolutionError::Unreachable(e.to_string()))?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Err(DidResolutionError::NotFound);
        }
        if !response.status().is_success() {
            return Err(DidResolutionError::Unreachable(format!(
                "{url} answered {}",
                response.status()
            )));
        }
        if response
            .content_length()
            .is_some_and(|n| n as usize > MAX_DID_DOCUMENT_BYTES)
        {
            return Err(DidResolutionError::InvalidDocument(
                "DID document is too large".into(),
            ));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| DidResolutionError::Unreachable(e.to_string()))?;
        if bytes.len() > MAX_DID_DOCUMENT_BYTES {
            return Err(DidResolutionError::InvalidDocument(
                "DID document is too large".into(),
            ));
        }
        let document: Value = serde_json::from_slice(&bytes)
            .map_err(|e| DidResolutionError::InvalidDocument(e.to_string()))?;
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(did.to_owned(), (Instant::now(), document.clone()));
        }
        Ok(document)
    }
}

impl DidResolver for HttpDidWebResolver {
    fn resolve<'a>(&'a self, did: &'a str) -> ResolveFuture<'a> {
        Box::pin(async move {
            if !did.starts_with("did:web:") {
                return Err(DidResolutionError::UnsupportedMethod(
                    did.split(':').take(2).collect::<Vec<_>>().join(":"),
                ));
            }
            self.fetch(did).await
        })
    }
}

/// The client for fetching DID documents and status lists: short timeout, and no
/// redirects, so a document is only ever taken from the URL it is named by.
pub fn fetch_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// Reads every `*.json` in a folder as a DID document to pin.
pub fn pinned_from_folder(folder: &Path) -> Result<PinnedDidDocuments, String> {
    let mut pinned = PinnedDidDocuments::new();
    let entries = std::fs::read_dir(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let document: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        pinned
            .pin(document)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(pinned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_for_listed_hosts_or_listed_names_with_any_port() {
        let allowed: HashSet<String> =
            ["127.0.0.1:8401".to_owned(), "localhost:*".to_owned()].into();
        assert!(plain_http_allowed(&allowed, "127.0.0.1:8401"));
        assert!(!plain_http_allowed(&allowed, "127.0.0.1:8402"));
        assert!(plain_http_allowed(&allowed, "localhost:9999"));
        assert!(!plain_http_allowed(&allowed, "localhost"));
        assert!(!plain_http_allowed(&allowed, "evil.example:8401"));
        assert!(!plain_http_allowed(&allowed, "localhost.evil.example:80"));
    }
}
