//! The verifier service: W3C VC API `/credentials/verify` and `/presentations/verify`.
//! For presentations it checks what ssi leaves to the caller: challenge, domain, every
//! embedded credential, and that the holder is the subject of each credential.
//! With a `data_dir` it is also an OpenID4VP 1.0 verifier with a did:web of its own:
//! officers start requests from DCQL templates (`oid4vp`, `dcql`, `presentations`), wallets
//! answer by `direct_post`, and the same checks apply to what they present.
//!
//! Architecture invariant: the verifier's signing key is made in its store on first start
//! and never logged, returned or exported; it signs request objects only.
//!
//! Architecture invariant: the verdict is a pure function of (document, DID snapshot,
//! clock); DID documents are fetched before verification starts, never during it.
//! Architecture invariant: the verifier trusts nothing it did not check; a check it could
//! not make is reported as such, never as passed.

pub mod access;
pub mod api;
pub mod api_onboarding;
pub mod console;
pub mod dcql;
pub mod feed;
pub mod oid4vp;
pub mod onboarding;
pub mod policy;
pub mod presentations;
pub mod qr;
pub mod request_store;
pub mod resolver;
pub mod service;
pub mod settings;
pub mod status;
pub mod trust;
pub mod vc_api;

use std::sync::Arc;
use std::time::Duration;

use credentials::did::{ChainedResolver, DidResolver};
use credentials::SystemClock;

pub use service::Verifier;
pub use settings::VerifierSettings;

/// Builds the verifier from its settings: pinned DID documents first, then did:web over HTTP(S).
pub fn build(settings: &VerifierSettings) -> Result<Arc<Verifier>, String> {
    let mut resolvers: Vec<Arc<dyn DidResolver>> = Vec::new();
    if let Some(folder) = &settings.pinned_did_documents {
        resolvers.push(Arc::new(resolver::pinned_from_folder(folder)?));
    }
    let http = resolver::HttpDidWebResolver::new(
        settings.plain_http_hosts.clone(),
        Duration::from_secs(settings.did_cache_seconds),
    )
    .map_err(|e| format!("HTTP client: {e}"))?;
    resolvers.push(Arc::new(http));
    let status_lists = status::StatusListFetcher::new(
        settings.plain_http_hosts.clone(),
        Duration::from_secs(settings.status_max_staleness_seconds),
    )
    .map_err(|e| format!("HTTP client: {e}"))?;
    let mut verifier = Verifier::new(
        Arc::new(ChainedResolver(resolvers)),
        status_lists,
        Arc::new(SystemClock),
        settings.public_base_url.trim_end_matches('/').to_owned(),
    );
    if let Some(url) = &settings.trust_list_url {
        verifier = verifier.with_trust_list(trust::TrustListFetcher::new(
            url,
            settings.trust_list_issuer.clone(),
            settings.plain_http_hosts.clone(),
            Duration::from_secs(settings.trust_list_max_staleness_seconds),
        )?);
    }
    if let Some(dir) = &settings.data_dir {
        let oid = presentations::Oid4vp::open(settings, dir)?;
        if let Some(policy) = &settings.policy_file {
            let catalogue_path = settings
                .rbac_catalogue
                .as_ref()
                .ok_or("policy_file needs rbac_catalogue (the RBAC catalogue)")?;
            let text = std::fs::read_to_string(catalogue_path)
                .map_err(|e| format!("{}: {e}", catalogue_path.display()))?;
            let catalogue = credentials::rbac::RbacCatalogue::from_json_str(&text)
                .map_err(|e| format!("{}: {e}", catalogue_path.display()))?;
            verifier = verifier.with_onboarding(
                onboarding::Onboarding::open(
                    policy,
                    catalogue,
                    &oid,
                    settings.hr_token.as_deref(),
                )?
                .keeping_evidence_for(settings.onboarding_evidence_days)?,
            );
            let accounts = service_kit::console::ConsoleAccounts::open(oid.database())
                .map_err(|e| e.to_string())?;
            verifier = verifier.with_console(accounts);
        }
        verifier = verifier.with_oid4vp(oid);
    } else if settings.policy_file.is_some() {
        return Err("policy_file needs data_dir (onboarding records are kept there)".into());
    }
    let verifier = Arc::new(verifier);
    if !settings.status_change_feeds.is_empty() {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err("following change feeds needs a tokio runtime".into());
        }
        for feed in &settings.status_change_feeds {
            feed::follow(Arc::clone(&verifier), feed.clone());
        }
    }
    Ok(verifier)
}
