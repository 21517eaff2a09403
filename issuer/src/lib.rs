//! The issuer service: imports people from ESR extracts (checked against BR-1…BR-11),
//! issues their NHS credentials from the record, and signs credentials through the W3C
//! VC API (`eddsa-rdfc-2022` by default, `eddsa-jcs-2022` at an instance of its own).
//!
//! Architecture invariant: the issuer's private key is generated in, and never leaves,
//! its store; it is never logged or returned.
//! Architecture invariant: every issuance is recorded and flushed before success is
//! answered.

pub mod api;
pub mod api_oid4vci;
pub mod console;
pub mod error;
pub mod esr;
pub mod events;
pub mod issuance;
pub mod lifecycle;
pub mod offers;
pub mod oid4vci;
pub mod qr;
pub mod service;
pub mod settings;
pub mod status;
pub mod store;

use std::sync::Arc;

use axum::Router;
use credentials::SystemClock;
use service_kit::BearerToken;

pub use error::{IssuerError, Result};
pub use service::Issuer;
pub use settings::IssuerSettings;

/// Builds the issuer and its router from settings: opens the store, loads the RBAC
/// catalogue, loads or creates the signing key.
pub fn build(settings: &IssuerSettings) -> Result<(Arc<Issuer>, Router)> {
    let token = settings
        .api_token
        .as_deref()
        .filter(|t| t.len() >= 16)
        .ok_or_else(|| {
            IssuerError::Settings("api_token must be set, at least 16 characters".into())
        })?;
    let catalogue_text = std::fs::read_to_string(&settings.rbac_catalogue).map_err(|e| {
        IssuerError::Settings(format!(
            "cannot read {}: {e}",
            settings.rbac_catalogue.display()
        ))
    })?;
    let catalogue = credentials::rbac::RbacCatalogue::from_json_str(&catalogue_text)
        .map_err(|e| IssuerError::Settings(e.to_string()))?;
    std::fs::create_dir_all(&settings.data_dir).map_err(|e| IssuerError::Store(e.to_string()))?;
    let store = store::SledStore::open(&settings.data_dir)?;
    let console = service_kit::console::ConsoleAccounts::open(store.database())
        .map_err(|e| IssuerError::Store(e.to_string()))?;
    let mut issuer = Issuer::new(
        Arc::new(store),
        Arc::new(catalogue),
        &settings.organisation_ods,
        settings.public_base_url.trim_end_matches('/'),
        Arc::new(SystemClock),
    )?
    .with_import_policy(esr::ImportPolicy {
        synthetic_data_only: settings.synthetic_data_only,
    })
    .with_oid4vci_settings(oid4vci_settings(settings)?)
    .with_console(console);
    match (&settings.registry_url, &settings.registry_token) {
        (Some(url), Some(token)) => {
            issuer =
                issuer.with_status_allocator(Arc::new(status::RegistryClient::new(url, token)?));
        }
        (None, None) => {}
        _ => {
            return Err(IssuerError::Settings(
                "registry_url and registry_token go together".into(),
            ))
        }
    }
    let issuer = Arc::new(issuer);
    let router = api::router(Arc::clone(&issuer), BearerToken::new(token));
    Ok((issuer, router))
}

/// How often held ESR events are looked at: their dates are days, so a few minutes late
/// at most is on the day.
pub const HELD_EVENTS_CHECK: std::time::Duration = std::time::Duration::from_secs(300);

/// Carries out held ESR events when their date comes (a future leaving date, a job
/// change's or a suspension's effective date): at once, then every `every`. A run the
/// registry refuses is tried again at the next.
pub fn spawn_event_scheduler(
    issuer: Arc<Issuer>,
    every: std::time::Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            ticks.tick().await;
            let today = issuer.clock.now().date_naive();
            match issuer.apply_due_events(today).await {
                Ok(run) => {
                    if !run.done.is_empty() {
                        tracing::info!(
                            events = run.done.len(),
                            "held ESR events carried out on their date"
                        );
                    }
                    if !run.failed.is_empty() {
                        tracing::warn!(
                            people = run.failed.len(),
                            "held ESR events wait for the next run"
                        );
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "held ESR events wait for the next run");
                }
            }
        }
    })
}

fn oid4vci_settings(settings: &IssuerSettings) -> Result<offers::Oid4vciSettings> {
    let seconds = |name: &str, value: u64| {
        i64::try_from(value)
            .ok()
            .filter(|s| (1..=86_400 * 30).contains(s))
            .map(chrono::Duration::seconds)
            .ok_or_else(|| {
                IssuerError::Settings(format!("{name} must be between 1 and 2592000 seconds"))
            })
    };
    if !(1..=10).contains(&settings.offer_pin_attempts) {
        return Err(IssuerError::Settings(
            "offer_pin_attempts must be between 1 and 10".into(),
        ));
    }
    Ok(offers::Oid4vciSettings {
        offer_ttl: seconds("offer_ttl_seconds", settings.offer_ttl_seconds)?,
        max_pin_attempts: settings.offer_pin_attempts,
        access_token_ttl: seconds(
            "access_token_ttl_seconds",
            settings.access_token_ttl_seconds,
        )?,
        nonce_ttl: seconds("nonce_ttl_seconds", settings.nonce_ttl_seconds)?,
    })
}
