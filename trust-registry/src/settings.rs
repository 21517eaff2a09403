use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use service_kit::TlsFiles;

/// The trust registry's settings, from `trust-registry.toml` and `PASSPORT_REGISTRY_*`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrySettings {
    pub listen: SocketAddr,
    /// Used in its did:web and in every status list URL it hands out.
    pub public_base_url: String,
    pub data_dir: PathBuf,
    /// Entries per status list (at least 131,072).
    pub list_size: usize,
    /// How long verifiers may reuse a list before fetching it again (`ttl`, and HTTP caching).
    pub ttl_seconds: u64,
    /// The trust-framework operator's bearer token. Required.
    pub operator_token: Option<String>,
    /// Static issuer tokens by DID, for deployments that provision issuers by
    /// configuration. Prefer registering issuers (`POST /issuers`), which also puts them on
    /// the trust list; an issuer known only from here can allocate status entries but is
    /// not trusted by verifiers that check the trust list. Either way an issuer changes
    /// only its own credentials' status.
    pub issuer_tokens: BTreeMap<String, String>,
    pub tls: Option<TlsFiles>,
}

impl Default for RegistrySettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8402)),
            public_base_url: "http://127.0.0.1:8402".into(),
            data_dir: PathBuf::from("data/trust-registry"),
            list_size: credentials::status_list::MINIMUM_ENTRIES,
            ttl_seconds: 60,
            operator_token: None,
            issuer_tokens: BTreeMap::new(),
            tls: None,
        }
    }
}
