//! Fetching status list credentials, with a cache that honours each list's `ttl` but
//! never keeps a list past the configured maximum staleness (then it fails closed).

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use credentials::status_list::StatusProblem;
use serde_json::Value;

/// A status list credential for 131,072 entries is a few kilobytes; a megabyte is plenty.
const MAX_LIST_BYTES: usize = 1024 * 1024;

pub struct StatusListFetcher {
    client: reqwest::Client,
    plain_http_hosts: HashSet<String>,
    max_staleness: Duration,
    cache: Mutex<HashMap<String, (Instant, Duration, Value)>>,
}

impl StatusListFetcher {
    pub fn new(
        plain_http_hosts: impl IntoIterator<Item = String>,
        max_staleness: Duration,
    ) -> Result<Self, reqwest::Error> {
        let client = crate::resolver::fetch_client()?;
        Ok(Self {
            client,
            plain_http_hosts: plain_http_hosts.into_iter().collect(),
            max_staleness,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Forgets a list, so the next verification fetches it afresh (e.g. on a change event).
    pub fn forget(&self, url: &str) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(url);
        }
    }

    /// Forgets every list (after a gap in a change feed, when events may have been missed).
    pub fn forget_all(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.clear();
        }
    }

    fn cached(&self, url: &str) -> Option<Value> {
        let cache = self.cache.lock().ok()?;
        let (fetched, keep_for, list) = cache.get(url)?;
        (fetched.elapsed() < *keep_for).then(|| list.clone())
    }

    pub async fn fetch(&self, url: &str) -> Result<Value, StatusProblem> {
        if let Some(list) = self.cached(url) {
            return Ok(list);
        }
        let allowed = match url.split_once("://") {
            Some(("https", _)) => true,
            Some(("http", rest)) => crate::resolver::plain_http_allowed(
                &self.plain_http_hosts,
                rest.split('/').next().unwrap_or_default(),
            ),
            _ => false,
        };
        if !allowed {
            return Err(StatusProblem::Retrieval(format!(
                "{url} is not an HTTPS URL"
            )));
        }
        let response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| StatusProblem::Retrieval(e.to_string()))?;
        if !response.status().is_success() {
            return Err(StatusProblem::Retrieval(format!(
                "{url} answered {}",
                response.status()
            )));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| StatusProblem::Retrieval(e.to_string()))?;
        if bytes.len() > MAX_LIST_BYTES {
            return Err(StatusProblem::Malformed(
                "the status list credential is too large".into(),
            ));
        }
        let list: Value =
            serde_json::from_slice(&bytes).map_err(|e| StatusProblem::Malformed(e.to_string()))?;
        let ttl = list
            .pointer("/credentialSubject/ttl")
            .and_then(Value::as_u64)
            .map(Duration::from_millis)
            .unwrap_or(self.max_staleness);
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(
                url.to_owned(),
                (Instant::now(), ttl.min(self.max_staleness), list.clone()),
            );
        }
        Ok(list)
    }
}
