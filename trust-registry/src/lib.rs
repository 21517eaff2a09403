//! The trust registry, run by the trust-framework operator: trusted issuers (which DID, for
//! which organisation, may issue which credential types, over which intervals) and trusted
//! verifiers (which DIDs wallets may present to) published as a signed trust list; W3C Bitstring Status Lists for revocation and suspension; who
//! may change which status; the audit log; and the change feed.
//!
//! Architecture invariant: a status change or registration change and its audit entry are
//! one transaction, flushed before success is answered.
//! Architecture invariant: an issuer's token is stored only as its SHA-256; authorisation
//! intervals are ended, never rewritten or deleted.
//! Architecture invariant: nothing public (lists, trust list, feed) says which status
//! index belongs to which credential or issuer.
//! Architecture invariant: revocation is never undone (BR-19); suspension is.

pub mod api;
pub mod console;
pub mod error;
pub mod registry;
pub mod settings;
pub mod store;
pub mod trusted_issuers;
pub mod trusted_verifiers;

use std::sync::Arc;

use axum::Router;
use credentials::SystemClock;
use service_kit::BearerToken;

pub use error::{RegistryError, Result};
pub use registry::Registry;
pub use settings::RegistrySettings;

/// Builds the registry's router from its settings: opens the store, loads or creates the
/// signing key. Returns the registry's state too (its DID, the operator console's accounts).
pub fn build(settings: &RegistrySettings) -> Result<(Arc<api::AppState>, Router)> {
    let operator = settings
        .operator_token
        .as_deref()
        .filter(|t| t.len() >= 16)
        .ok_or_else(|| {
            RegistryError::Settings("operator_token must be set, at least 16 characters".into())
        })?;
    if let Some((did, _)) = settings
        .issuer_tokens
        .iter()
        .find(|(_, token)| token.len() < 16 || token.as_str() == operator)
    {
        return Err(RegistryError::Settings(format!(
            "the token of {did} must be its own, at least 16 characters"
        )));
    }
    std::fs::create_dir_all(&settings.data_dir).map_err(|e| RegistryError::Store(e.to_string()))?;
    let store = Arc::new(store::RegistryStore::open(
        &settings.data_dir,
        settings.list_size,
    )?);
    let store_db = store.database();
    let registry = Registry::new(
        store,
        &settings.public_base_url,
        Arc::new(SystemClock),
        settings.ttl_seconds * 1000,
    )?;
    let console = service_kit::console::ConsoleAccounts::open(store_db)
        .map_err(|e| RegistryError::Store(e.to_string()))?;
    let state = api::AppState {
        registry,
        operator: BearerToken::new(operator),
        issuers: settings
            .issuer_tokens
            .iter()
            .map(|(did, token)| (did.clone(), BearerToken::new(token)))
            .collect(),
        ttl_seconds: settings.ttl_seconds,
        console,
        console_over_https: settings.tls.is_some()
            || settings.public_base_url.starts_with("https://"),
    };
    let state = Arc::new(state);
    Ok((Arc::clone(&state), api::router(state)))
}
