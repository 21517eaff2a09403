//! Fetching status list credentials, with a cache that honours each list's `ttl` but
//! never keeps a list past the configured maximum staleness (then it fails closed). A
//! cached list remembers that its proof verified, so a status check costs a lookup, not a
//! canonicalisation and a signature check of the whole list each time.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use credentials::status_list::StatusProblem;
use serde_json::Value;

/// A status list credential for 131,072 entries is a few kilobytes; a megabyte is plenty.
const MAX_LIST_BYTES: usize = 1024 * 1024;

struct CachedList {
    fetched: Instant,
    keep_for: Duration,
    list: Value,
    proof_verified: bool,
}

/// A status list credential as fetched or cached. `proof_verified`: this very list has
/// already passed `verify_credential`; only its validity period needs checking again.
#[derive(Clone, Debug)]
pub struct FetchedList {
    pub list: Value,
    pub proof_verified: bool,
}

pub struct StatusListFetcher {
    client: reqwest::Client,
    plain_http_hosts: HashSet<String>,
    max_staleness: Duration,
    cache: Mutex<HashMap<String, CachedList>>,
    /// Status List Tokens (`statuslist+jwt`) for SD-JWT VCs, kept as fetched.
    tokens: Mutex<HashMap<String, (Instant, Duration, String)>>,
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
            tokens: Mutex::new(HashMap::new()),
        })
    }

    /// Forgets a list, so the next verification fetches it afresh (e.g. on a change event).
    pub fn forget(&self, url: &str) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(url);
        }
        if let Ok(mut tokens) = self.tokens.lock() {
            tokens.remove(url);
        }
    }

    /// Forgets every list (after a gap in a change feed, when events may have been missed).
    pub fn forget_all(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.clear();
        }
        if let Ok(mut tokens) = self.tokens.lock() {
            tokens.clear();
        }
    }

    fn cached(&self, url: &str) -> Option<FetchedList> {
        let cache = self.cache.lock().ok()?;
        let cached = cache.get(url)?;
        (cached.fetched.elapsed() < cached.keep_for).then(|| FetchedList {
            list: cached.list.clone(),
            proof_verified: cached.proof_verified,
        })
    }

    /// Records that `list`, as fetched from `url`, verified as a credential. Ignored when
    /// the cache holds something else for `url` by now (fetched again, or forgotten).
    pub fn mark_verified(&self, url: &str, list: &Value) {
        if let Ok(mut cache) = self.cache.lock() {
            if let Some(cached) = cache.get_mut(url).filter(|c| c.list == *list) {
                cached.proof_verified = true;
            }
        }
    }

    /// A Status List Token (IETF Token Status List, for SD-JWT VCs), fetched as
    /// `application/statuslist+jwt` and cached for its `ttl` (seconds) within the maximum
    /// staleness. Returned unread: the caller checks its signature and subject.
    pub async fn fetch_token(&self, url: &str) -> Result<String, StatusProblem> {
        if let Some(token) = self.tokens.lock().ok().and_then(|tokens| {
            let (fetched, keep_for, token) = tokens.get(url)?;
            (fetched.elapsed() < *keep_for).then(|| token.clone())
        }) {
            return Ok(token);
        }
        let bytes = self.get(url, "application/statuslist+jwt").await?;
        let token = String::from_utf8(bytes)
            .map_err(|_| StatusProblem::Malformed("the status list token is not text".into()))?
            .trim()
            .to_owned();
        let ttl = token
            .split('.')
            .nth(1)
            .and_then(|payload| {
                use base64::Engine as _;
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(payload)
                    .ok()
            })
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .and_then(|payload| payload.get("ttl").and_then(Value::as_u64))
            .map(Duration::from_secs)
            .unwrap_or(self.max_staleness);
        if let Ok(mut tokens) = self.tokens.lock() {
            tokens.insert(
                url.to_owned(),
                (Instant::now(), ttl.min(self.max_staleness), token.clone()),
            );
        }
        Ok(token)
    }

    async fn get(&self, url: &str, accept: &str) -> Result<Vec<u8>, StatusProblem> {
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
            .header("accept", accept)
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
                "the status list is too large".into(),
            ));
        }
        Ok(bytes.to_vec())
    }

    /// The list at `url`, from the cache while it is fresh, and whether it was verified.
    pub async fn fetch(&self, url: &str) -> Result<FetchedList, StatusProblem> {
        if let Some(fetched) = self.cached(url) {
            return Ok(fetched);
        }
        let bytes = self
            .get(
                url,
                "application/vc, application/vc+ld+json, application/json;q=0.9, */*;q=0.1",
            )
            .await?;
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
                CachedList {
                    fetched: Instant::now(),
                    keep_for: ttl.min(self.max_staleness),
                    list: list.clone(),
                    proof_verified: false,
                },
            );
        }
        Ok(FetchedList {
            list,
            proof_verified: false,
        })
    }
}
