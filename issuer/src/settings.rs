use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use service_kit::TlsFiles;

/// The issuer's settings, from `issuer.toml` and `PASSPORT_ISSUER_*` variables. The
/// defaults are what `passport up` runs with.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerSettings {
    pub listen: SocketAddr,
    /// The URL the world reaches this service at (behind a TLS-terminating proxy, the
    /// proxy's). Every URL the issuer writes into a credential or document starts here,
    /// and its did:web is derived from it.
    pub public_base_url: String,
    pub data_dir: PathBuf,
    /// The ODS code of the organisation this issuer issues for (BR-6: one DID, one ODS code).
    pub organisation_ods: String,
    /// The RBAC and organisation catalogue (an NRD extract) that records are checked against.
    pub rbac_catalogue: PathBuf,
    /// The bearer token for admin and VC API issue endpoints. Required.
    pub api_token: Option<String>,
    /// Accept only synthetic records (flagged fictional, `QQ` NI numbers), so that real
    /// personal data cannot enter a demonstration deployment. Set false for live data.
    pub synthetic_data_only: bool,
    /// The trust registry that allocates every credential's revocation and suspension
    /// entries (BR-23). Without one, credentials carry no status.
    pub registry_url: Option<String>,
    /// This issuer's bearer token at the registry.
    pub registry_token: Option<String>,
    pub tls: Option<TlsFiles>,
    /// OpenID4VCI: how long a credential offer (its pre-authorized code and PIN) lasts.
    pub offer_ttl_seconds: u64,
    /// OpenID4VCI: wrong PINs allowed before an offer is locked.
    pub offer_pin_attempts: u32,
    /// OpenID4VCI: how long an access token from `/token` lasts.
    pub access_token_ttl_seconds: u64,
    /// OpenID4VCI: how long a `c_nonce` from `/nonce` lasts.
    pub nonce_ttl_seconds: u64,
}

impl Default for IssuerSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8401)),
            public_base_url: "http://127.0.0.1:8401".into(),
            data_dir: PathBuf::from("data/issuer"),
            organisation_ods: "RJ1".into(),
            rbac_catalogue: PathBuf::from("../shared/sample-data/rbac-roles.json"),
            api_token: None,
            synthetic_data_only: true,
            registry_url: None,
            registry_token: None,
            tls: None,
            offer_ttl_seconds: 900,
            offer_pin_attempts: 3,
            access_token_ttl_seconds: 600,
            nonce_ttl_seconds: 300,
        }
    }
}
