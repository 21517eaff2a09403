//! The trust registry's list of trusted issuers: fetched, verified as a credential signed
//! by the registry's DID (and by no other), parsed, and cached for its `ttl` but never past
//! the configured maximum staleness. Past it, if the list cannot be fetched again, issuer
//! trust is "could not check" (fail closed). A change-feed event drops the cache at once.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use credentials::did::{did_web_for_base_url, DidResolver};
use credentials::trust_list::{verify_trust_list, TrustList};
use credentials::Clock;
use serde_json::Value;

/// Generous for a few hundred organisations; larger is refused rather than read.
const MAX_TRUST_LIST_BYTES: usize = 4 * 1024 * 1024;

pub struct TrustListFetcher {
    url: String,
    registry_did: String,
    client: reqwest::Client,
    plain_http_hosts: HashSet<String>,
    max_staleness: Duration,
    cache: Mutex<Option<(Instant, Duration, TrustList)>>,
}

impl TrustListFetcher {
    /// `registry_did` is the only signer accepted; by default the did:web of the URL
    /// without its `/trust-list` (where the registry serves it).
    pub fn new(
        url: &str,
        registry_did: Option<String>,
        plain_http_hosts: impl IntoIterator<Item = String>,
        max_staleness: Duration,
    ) -> Result<Self, String> {
        let registry_did = match registry_did {
            Some(did) => did,
            None => {
                let base = url.strip_suffix("/trust-list").ok_or_else(|| {
                    "trust_list_issuer must be set when trust_list_url does not end in /trust-list"
                        .to_owned()
                })?;
                did_web_for_base_url(base).map_err(|e| format!("trust_list_url: {e}"))?
            }
        };
        let client = crate::resolver::fetch_client().map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Self {
            url: url.to_owned(),
            registry_did,
            client,
            plain_http_hosts: plain_http_hosts.into_iter().collect(),
            max_staleness,
            cache: Mutex::new(None),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn registry_did(&self) -> &str {
        &self.registry_did
    }

    /// Drops the cached list, so the next verification fetches it afresh.
    pub fn forget(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            *cache = None;
        }
    }

    fn cached(&self) -> Option<TrustList> {
        let cache = self.cache.lock().ok()?;
        let (fetched, keep_for, list) = cache.as_ref()?;
        (fetched.elapsed() < *keep_for).then(|| list.clone())
    }

    /// The current trust list, verified; or why there is none to be had.
    pub async fn current(
        &self,
        resolver: &dyn DidResolver,
        clock: &dyn Clock,
    ) -> Result<TrustList, String> {
        if let Some(list) = self.cached() {
            return Ok(list);
        }
        let document = self.fetch().await?;
        let list = self.verified(&document, resolver, clock).await?;
        let ttl = list
            .ttl_millis
            .map(Duration::from_millis)
            .unwrap_or(self.max_staleness)
            .min(self.max_staleness);
        if let Ok(mut cache) = self.cache.lock() {
            *cache = Some((Instant::now(), ttl, list.clone()));
        }
        Ok(list)
    }

    async fn fetch(&self) -> Result<Value, String> {
        let allowed = match self.url.split_once("://") {
            Some(("https", _)) => true,
            Some(("http", rest)) => self
                .plain_http_hosts
                .contains(rest.split('/').next().unwrap_or_default()),
            _ => false,
        };
        if !allowed {
            return Err(format!("{} is not an HTTPS URL", self.url));
        }
        let response = self
            .client
            .get(&self.url)
            .send()
            .await
            .map_err(|e| format!("{} could not be fetched: {e}", self.url))?;
        if !response.status().is_success() {
            return Err(format!("{} answered {}", self.url, response.status()));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| format!("{} could not be read: {e}", self.url))?;
        if bytes.len() > MAX_TRUST_LIST_BYTES {
            return Err("the trust list is too large".into());
        }
        serde_json::from_slice(&bytes).map_err(|e| format!("the trust list is not JSON: {e}"))
    }

    async fn verified(
        &self,
        document: &Value,
        resolver: &dyn DidResolver,
        clock: &dyn Clock,
    ) -> Result<TrustList, String> {
        verify_trust_list(document, &self.registry_did, resolver, clock).await
    }
}
