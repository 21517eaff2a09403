//! `passport up` and the single-service commands: load settings, build each service from
//! its library, bind, serve. Nothing here decides anything about credentials.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::Args;
use issuer::IssuerSettings;
use service_kit::Listener;
use trust_registry::RegistrySettings;
use verifier::VerifierSettings;

#[derive(Args)]
pub struct UpArgs {
    /// Where the embedded stores live.
    #[arg(long, default_value = "data")]
    data: PathBuf,
    /// The sample ESR extract and RBAC catalogue (../shared/sample-data beside the project).
    #[arg(long, default_value = "../shared/sample-data")]
    sample_data: PathBuf,
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    #[arg(long, default_value_t = 8401)]
    issuer_port: u16,
    #[arg(long, default_value_t = 8402)]
    registry_port: u16,
    #[arg(long, default_value_t = 8403)]
    verifier_port: u16,
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

/// The development token: made once, kept in `<data>/dev-token`, readable only by its owner.
fn development_token(data: &Path, name: &str) -> Result<String> {
    let path = data.join(name);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if !existing.trim().is_empty() {
            return Ok(existing.trim().to_owned());
        }
    }
    let mut bytes = [0u8; 24];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    let token = hex::encode(bytes);
    std::fs::write(&path, &token).with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(token)
}

pub async fn run(args: UpArgs) -> Result<()> {
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("cannot create {}", args.data.display()))?;
    let catalogue = args.sample_data.join("rbac-roles.json");
    let people = args.sample_data.join("esr-people.json");
    if !catalogue.exists() || !people.exists() {
        bail!(
            "the sample data is not at {} (pass --sample-data DIR)",
            args.sample_data.display()
        );
    }
    let token = development_token(&args.data, "dev-token")?;

    let issuer_listener = Listener::bind(SocketAddr::new(args.host, args.issuer_port), None)
        .context("cannot listen for the issuer")?;
    let verifier_listener = Listener::bind(SocketAddr::new(args.host, args.verifier_port), None)
        .context("cannot listen for the verifier")?;
    let registry_listener = Listener::bind(SocketAddr::new(args.host, args.registry_port), None)
        .context("cannot listen for the trust registry")?;
    let issuer_address = issuer_listener.local_addr()?;
    let registry_address = registry_listener.local_addr()?;
    let verifier_address = verifier_listener.local_addr()?;

    let issuer_settings = IssuerSettings {
        listen: issuer_address,
        public_base_url: format!("http://{issuer_address}"),
        data_dir: args.data.join("issuer"),
        rbac_catalogue: catalogue.clone(),
        api_token: Some(token.clone()),
        registry_url: Some(format!("http://{registry_address}")),
        ..IssuerSettings::default()
    };
    let issuer_did = credentials::did::did_web_for_base_url(&issuer_settings.public_base_url)?;
    let registry_settings = RegistrySettings {
        listen: registry_address,
        public_base_url: format!("http://{registry_address}"),
        data_dir: args.data.join("trust-registry"),
        ttl_seconds: 60,
        operator_token: Some(token.clone()),
        ..RegistrySettings::default()
    };
    let (registry, registry_router) = trust_registry::build(&registry_settings)?;
    let registry_did = registry.did().to_owned();
    let registry_task = tokio::spawn(registry_listener.serve(registry_router, shutdown_signal()));
    // The operator (this development token) registers the local issuer for every catalogue
    // type; the issuer then talks to the registry with the token that registration gave it.
    let ods = issuer_settings.organisation_ods.clone();
    let types: Vec<&str> = credentials::CredentialKind::ALL
        .iter()
        .map(|k| k.type_name())
        .collect();
    let registration = serde_json::json!({
        "did": issuer_did,
        "odsCode": ods,
        "name": organisation_name(&issuer_settings.rbac_catalogue, &ods),
        "credentialTypes": types,
        "reason": "passport up: the local development issuer",
    });
    let issuer_registry_token = crate::registry_cmd::ensure_registered(
        &format!("http://{registry_address}"),
        &token,
        registration,
        &args.data.join("issuer-registry-token"),
    )
    .await
    .context("cannot register the local issuer at the trust registry")?;
    let issuer_settings = IssuerSettings {
        registry_token: Some(issuer_registry_token),
        ..issuer_settings
    };
    let (issuer, issuer_router) = issuer::build(&issuer_settings)?;
    if issuer.person_count()? == 0 {
        let extract: serde_json::Value = serde_json::from_slice(&std::fs::read(&people)?)?;
        let report = issuer.import_people(&extract, false)?;
        println!(
            "Imported {} sample people from {}",
            report.imported,
            people.display()
        );
        for warning in &report.warnings {
            let note = &warning.warning;
            println!(
                "  note: {} {}: {} [{}]",
                warning.person_id,
                note.field,
                note.problem,
                note.rule.unwrap_or("-")
            );
        }
    }

    let verifier_settings = VerifierSettings {
        listen: verifier_address,
        public_base_url: format!("http://{verifier_address}"),
        plain_http_hosts: vec![issuer_address.to_string(), registry_address.to_string()],
        status_change_feeds: vec![format!("http://{registry_address}/events")],
        trust_list_url: Some(format!("http://{registry_address}/trust-list")),
        // OpenID4VP: the verifier's key and requests; the dev token is the officer's too.
        data_dir: Some(args.data.join("verifier")),
        officer_token: Some(token.clone()),
        // Onboarding at a receiving trust: the sample policy (RTH) on first start, then the
        // operator's copy; the dev token is the HR users' too.
        policy_file: Some(onboarding_policy(&args.data)?),
        rbac_catalogue: Some(catalogue.clone()),
        hr_token: Some(token.clone()),
        ..VerifierSettings::default()
    };
    let verifier = verifier::build(&verifier_settings).map_err(anyhow::Error::msg)?;
    // Wallets present only to verifiers in the trust list (BR-30: NHS verifiers), so the
    // operator registers the onboarding desk of the receiving trust its policy names, under
    // the verifier's own did:web (the one its OpenID4VP client_id names).
    let verifier_did = credentials::did::did_web_for_base_url(&verifier_settings.public_base_url)?;
    let receiving = verifier
        .onboarding()
        .map(|o| o.policy().organisation.to_string())
        .unwrap_or_else(|| ods.clone());
    let verifier_registration = serde_json::json!({
        "did": verifier_did,
        "odsCode": receiving,
        "name": format!("{} onboarding", organisation_name(&issuer_settings.rbac_catalogue, &receiving)),
        "reason": "passport up: the local onboarding verifier",
    });
    crate::registry_cmd::ensure_verifier_registered(
        &format!("http://{registry_address}"),
        &token,
        verifier_registration,
    )
    .await
    .context("cannot register the local verifier at the trust registry")?;

    println!("NHS Staff Passport is running.");
    println!(
        "  issuer    http://{issuer_address}   (DID {})",
        issuer.did()
    );
    println!("  registry  http://{registry_address}   (DID {registry_did})");
    println!("  verifier  http://{verifier_address}   (DID {verifier_did})");
    println!(
        "  API token {token}   (also in {})",
        args.data.join("dev-token").display()
    );
    if let Some(accounts) = issuer.console() {
        let roles = [
            issuer::console::ADMIN,
            issuer::console::RA,
            issuer::console::AUDITOR,
        ];
        if let Some((name, password)) = accounts
            .ensure_first_administrator(&roles, chrono::Utc::now())
            .map_err(anyhow::Error::msg)?
        {
            remember_console_password(&args.data, "RA", &name, &password)?;
        }
        println!(
            "  RA console          http://{issuer_address}/   (sign in as in {})",
            args.data.join("console-passwords").display()
        );
    }
    if let Some(accounts) = verifier.console() {
        let roles = [
            verifier::console::ADMIN,
            verifier::console::OFFICER,
            verifier::console::HR,
        ];
        if let Some((name, password)) = accounts
            .ensure_first_administrator(&roles, chrono::Utc::now())
            .map_err(anyhow::Error::msg)?
        {
            remember_console_password(&args.data, "onboarding", &name, &password)?;
        }
        println!(
            "  onboarding console  http://{verifier_address}/   (sign in as in {})",
            args.data.join("console-passwords").display()
        );
    }
    let operator_roles = [
        trust_registry::console::ADMIN,
        trust_registry::console::OPERATOR,
        trust_registry::console::AUDITOR,
    ];
    if let Some((name, password)) = registry
        .console()
        .ensure_first_administrator(&operator_roles, chrono::Utc::now())
        .map_err(anyhow::Error::msg)?
    {
        remember_console_password(&args.data, "operator", &name, &password)?;
    }
    println!(
        "  operator console    http://{registry_address}/   (sign in as in {})",
        args.data.join("console-passwords").display()
    );
    if let Some(onboarding) = verifier.onboarding() {
        println!(
            "  onboarding at {} (receiving trust), policy {}",
            onboarding.policy().organisation,
            args.data.join("onboarding-policy.toml").display()
        );
    }
    println!("Try: passport issue --person P0001 --out out && passport verify out/employment.json");
    println!("Stop with Ctrl-C.");

    issuer::spawn_event_scheduler(Arc::clone(&issuer), issuer::HELD_EVENTS_CHECK);
    let issuer_task = tokio::spawn(issuer_listener.serve(issuer_router, shutdown_signal()));
    let verifier_task =
        tokio::spawn(verifier_listener.serve(verifier::api::router(verifier), shutdown_signal()));
    let (a, b, c) = tokio::join!(issuer_task, registry_task, verifier_task);
    a??;
    b??;
    c??;
    Ok(())
}

/// A console's first administrator, made on first start: its password is shown nowhere
/// else, so it is kept for the developer in `<data>/console-passwords`, readable only by
/// its owner (as the dev token is).
fn remember_console_password(data: &Path, console: &str, name: &str, password: &str) -> Result<()> {
    use std::io::Write;
    let path = data.join("console-passwords");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    writeln!(
        file,
        "{console} console: username {name}, password {password}"
    )?;
    file.sync_all()?;
    Ok(())
}

/// The receiving trust's onboarding policy: `<data>/onboarding-policy.toml`, written from
/// the sample (verifier/policies/RTH.toml) on first start and the operator's to edit after.
fn onboarding_policy(data: &Path) -> Result<PathBuf> {
    let path = data.join("onboarding-policy.toml");
    if !path.exists() {
        std::fs::write(&path, include_str!("../../verifier/policies/RTH.toml"))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(path)
}

/// The organisation's name from the RBAC catalogue's `trusts`, for the trust list.
fn organisation_name(catalogue: &Path, ods: &str) -> String {
    std::fs::read_to_string(catalogue)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|catalogue| {
            catalogue["trusts"].as_array().and_then(|trusts| {
                trusts
                    .iter()
                    .find(|t| t["ods"] == ods)
                    .and_then(|t| t["name"].as_str().map(str::to_owned))
            })
        })
        .unwrap_or_else(|| format!("Organisation {ods}"))
}

pub async fn run_issuer_alone(config: Option<PathBuf>) -> Result<()> {
    let settings: IssuerSettings =
        service_kit::settings::load(config.as_deref(), "PASSPORT_ISSUER_")?;
    let (issuer, router) = issuer::build(&settings)?;
    let listener =
        Listener::bind(settings.listen, settings.tls.clone()).context("cannot listen")?;
    issuer::spawn_event_scheduler(Arc::clone(&issuer), issuer::HELD_EVENTS_CHECK);
    println!(
        "issuer on {}://{} as {}",
        listener.scheme(),
        listener.local_addr()?,
        issuer.did()
    );
    listener.serve(router, shutdown_signal()).await?;
    Ok(())
}

pub async fn run_registry_alone(config: Option<PathBuf>) -> Result<()> {
    let settings: RegistrySettings =
        service_kit::settings::load(config.as_deref(), "PASSPORT_REGISTRY_")?;
    let (registry, router) = trust_registry::build(&settings)?;
    let listener =
        Listener::bind(settings.listen, settings.tls.clone()).context("cannot listen")?;
    println!(
        "trust registry on {}://{} as {}",
        listener.scheme(),
        listener.local_addr()?,
        registry.did()
    );
    listener.serve(router, shutdown_signal()).await?;
    Ok(())
}

pub async fn run_verifier_alone(config: Option<PathBuf>) -> Result<()> {
    let settings: VerifierSettings =
        service_kit::settings::load(config.as_deref(), "PASSPORT_VERIFIER_")?;
    let verifier = verifier::build(&settings).map_err(anyhow::Error::msg)?;
    let listener =
        Listener::bind(settings.listen, settings.tls.clone()).context("cannot listen")?;
    println!(
        "verifier on {}://{}",
        listener.scheme(),
        listener.local_addr()?
    );
    listener
        .serve(
            verifier::api::router(Arc::clone(&verifier)),
            shutdown_signal(),
        )
        .await?;
    Ok(())
}
