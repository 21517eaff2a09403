use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use service_kit::TlsFiles;

/// The verifier's settings, from `verifier.toml` and `PASSPORT_VERIFIER_*` variables.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifierSettings {
    pub listen: SocketAddr,
    /// The URL the world reaches this service at; also the default expected `domain`.
    pub public_base_url: String,
    /// Hosts (`host:port`, or `host:*` for any port) whose DID documents and status lists
    /// may be fetched over plain HTTP: loopback development only. Everything else is
    /// fetched over HTTPS.
    pub plain_http_hosts: Vec<String>,
    /// A folder of DID documents (`*.json`) to use instead of fetching: for air-gapped
    /// sites and tests. A pinned document wins over a fetched one.
    pub pinned_did_documents: Option<PathBuf>,
    /// How long a fetched DID document is reused, in seconds.
    pub did_cache_seconds: u64,
    /// The longest a status list is reused, whatever its `ttl` says; past it the list is
    /// fetched again, and if it cannot be, status is "could not check" (fail closed).
    pub status_max_staleness_seconds: u64,
    /// Trust registries' change feeds (`…/events`): on each event the changed list is
    /// dropped from the cache, so a revocation is seen at once rather than after its `ttl`.
    pub status_change_feeds: Vec<String>,
    /// The trust registry's signed trust list (`…/trust-list`). When set, every credential's
    /// issuer must have been authorised for its type when it issued (BR-26a); when not, that
    /// check is reported as not applicable. The registry's change feed (in
    /// `status_change_feeds`) also drops the cached list when it changes.
    pub trust_list_url: Option<String>,
    /// The DID that must have signed the trust list. Default: the did:web of
    /// `trust_list_url` without its `/trust-list`.
    pub trust_list_issuer: Option<String>,
    /// The longest the trust list is reused, whatever its `ttl` says; past it, if it cannot
    /// be fetched again, issuer trust is "could not check" (fail closed).
    pub trust_list_max_staleness_seconds: u64,
    pub tls: Option<TlsFiles>,
    /// Where the verifier keeps its signing key (made on first start, never leaving it) and
    /// its OpenID4VP presentation requests. Unset: no OpenID4VP, no did:web of its own.
    pub data_dir: Option<PathBuf>,
    /// The bearer token of onboarding officers, for starting presentation requests and
    /// reading their results (at least 16 characters). Unset: those endpoints refuse all.
    pub officer_token: Option<String>,
    /// Presentation request templates (JSON: `{"<name>": {"description", "dcql_query"}}`)
    /// in place of the built-in ones (`new-starter`, `right-to-work`, `registration-check`,
    /// `role-check`).
    pub templates_file: Option<PathBuf>,
    /// How long a wallet has to answer a presentation request (at most an hour).
    pub request_lifetime_seconds: u64,
    /// How long a request and its result are kept after it was answered or expired (at
    /// most 30 days): results hold personal data, so they are not kept for ever.
    pub result_retention_seconds: u64,
    /// The receiving trust's onboarding policy (TOML: checklists, acceptance windows, local
    /// grants). Unset: no onboarding. Needs `data_dir` and `rbac_catalogue`.
    pub policy_file: Option<PathBuf>,
    /// The RBAC and organisation catalogue the policy and the trust's positions come from.
    pub rbac_catalogue: Option<PathBuf>,
    /// The bearer token of HR users, who accept or bypass onboarding checklists (at least 16
    /// characters). Unset: nobody may.
    pub hr_token: Option<String>,
    /// Days after HR's decision that an onboarding keeps the checklist's reasons and notes
    /// (they can quote a registration number or a DBS check). The record, its grants and
    /// its audit entries stay; only that evidence goes (1 to 3650).
    pub onboarding_evidence_days: u64,
}

impl Default for VerifierSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8403)),
            public_base_url: "http://127.0.0.1:8403".into(),
            plain_http_hosts: vec!["127.0.0.1:8401".into(), "localhost:8401".into()],
            pinned_did_documents: None,
            did_cache_seconds: 300,
            status_max_staleness_seconds: 300,
            status_change_feeds: Vec::new(),
            trust_list_url: None,
            trust_list_issuer: None,
            trust_list_max_staleness_seconds: 300,
            tls: None,
            data_dir: None,
            officer_token: None,
            templates_file: None,
            request_lifetime_seconds: 600,
            result_retention_seconds: 86_400,
            policy_file: None,
            rbac_catalogue: None,
            hr_token: None,
            onboarding_evidence_days: 90,
        }
    }
}
