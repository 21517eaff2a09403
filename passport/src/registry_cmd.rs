//! `passport registry`: with `--config` (or nothing) it runs the trust registry service;
//! with a subcommand it is the operator's client of a running registry: trusted issuers
//! (`issuers list|show|register|update|suspend|reinstate|remove|rotate-token`), trusted
//! verifiers (`verifiers list|show|register|suspend|reinstate|remove`), credential status
//! (`revoke|suspend|reinstate --credential ID --reason …`) and the audit log. Plain HTTP;
//! every rule is the registry's.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use clap::{Args, Subcommand};
use serde_json::{json, Value};

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RegistryArgs {
    /// Run the trust registry from this TOML settings file (and PASSPORT_REGISTRY_* variables).
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<OperatorCommand>,
}

/// How to reach the registry as its operator.
#[derive(Args, Clone)]
pub struct RegistryConnection {
    #[arg(
        long,
        global = true,
        env = "PASSPORT_URL_REGISTRY",
        default_value = "http://127.0.0.1:8402"
    )]
    registry_url: String,
    /// The operator's token (default: read from ./data/dev-token, written by `passport up`).
    #[arg(long, global = true, env = "PASSPORT_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[arg(long, global = true, default_value = "data/dev-token")]
    token_file: PathBuf,
}

#[derive(Subcommand)]
enum OperatorCommand {
    /// Trusted issuers: who may issue which credential types.
    Issuers {
        #[command(subcommand)]
        command: IssuersCommand,
        #[command(flatten)]
        registry: RegistryConnection,
    },
    /// Trusted verifiers: who wallets may present to.
    Verifiers {
        #[command(subcommand)]
        command: VerifiersCommand,
        #[command(flatten)]
        registry: RegistryConnection,
    },
    /// Revoke a credential (permanent).
    Revoke(StatusArgs),
    /// Suspend a credential (reversible).
    Suspend(StatusArgs),
    /// Lift a credential's suspension.
    Reinstate(StatusArgs),
    /// Print the audit log: every status and registration change.
    Audit {
        /// Print the raw JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        registry: RegistryConnection,
    },
}

#[derive(Args)]
struct StatusArgs {
    /// The credential's id (`urn:uuid:…`).
    #[arg(long)]
    credential: String,
    /// Why: kept in the audit log.
    #[arg(long)]
    reason: String,
    #[command(flatten)]
    registry: RegistryConnection,
}

#[derive(Subcommand)]
enum IssuersCommand {
    /// List every registered issuer.
    List,
    /// Show one issuer, with its authorisation history.
    Show { did: String },
    /// Register an issuer; prints its bearer token once (or writes it to --token-out).
    Register {
        #[arg(long)]
        did: String,
        /// The organisation's ODS code.
        #[arg(long)]
        ods: String,
        /// The organisation's name.
        #[arg(long)]
        name: String,
        /// Catalogue credential types, comma-separated (e.g. EmploymentCredential,RoleCredential).
        #[arg(long, value_delimiter = ',', required = true)]
        types: Vec<String>,
        /// When the authorisation starts (ISO 8601; default now).
        #[arg(long)]
        valid_from: Option<String>,
        /// When it ends (ISO 8601; default open-ended).
        #[arg(long)]
        valid_until: Option<String>,
        #[arg(long)]
        reason: String,
        /// Write the token to this file (owner-only) instead of printing it.
        #[arg(long)]
        token_out: Option<PathBuf>,
    },
    /// Change an issuer's organisation details, types or end of authorisation.
    Update {
        did: String,
        #[arg(long)]
        ods: Option<String>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_delimiter = ',')]
        types: Option<Vec<String>>,
        #[arg(long)]
        valid_until: Option<String>,
        #[arg(long)]
        reason: String,
    },
    /// Suspend an issuer: it issues nothing until reinstated; what it issued stays trusted.
    Suspend {
        did: String,
        #[arg(long)]
        reason: String,
    },
    /// Reinstate a suspended issuer.
    Reinstate {
        did: String,
        #[arg(long)]
        reason: String,
    },
    /// Remove an issuer for good: its token stops working and nothing it issued is trusted.
    Remove {
        did: String,
        #[arg(long)]
        reason: String,
    },
    /// Give an issuer a new token (the old one stops working).
    RotateToken {
        did: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        token_out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum VerifiersCommand {
    /// List every registered verifier.
    List,
    /// Show one verifier.
    Show { did: String },
    /// Register a verifier wallets may present to (it gets no token: it writes nothing).
    Register {
        /// The verifier's DID (the one its OpenID4VP client_id names).
        #[arg(long)]
        did: String,
        /// The ODS code of the organisation it asks on behalf of.
        #[arg(long)]
        ods: String,
        /// What wallets show the holder, e.g. "Guy's and St Thomas' onboarding".
        #[arg(long)]
        name: String,
        #[arg(long)]
        reason: String,
    },
    /// Suspend a verifier: wallets refuse to present to it until it is reinstated.
    Suspend {
        did: String,
        #[arg(long)]
        reason: String,
    },
    /// Reinstate a suspended verifier.
    Reinstate {
        did: String,
        #[arg(long)]
        reason: String,
    },
    /// Remove a verifier for good: wallets refuse it and it cannot be registered again.
    Remove {
        did: String,
        #[arg(long)]
        reason: String,
    },
}

impl RegistryConnection {
    fn token(&self) -> Result<String> {
        match &self.token {
            Some(token) => Ok(token.clone()),
            None => std::fs::read_to_string(&self.token_file)
                .map(|t| t.trim().to_owned())
                .with_context(|| {
                    format!(
                        "no --token given and {} cannot be read (is `passport up` running here?)",
                        self.token_file.display()
                    )
                }),
        }
    }
}

/// A registry client for one operator token.
pub struct RegistryClient {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl RegistryClient {
    pub fn new(registry_url: &str, operator_token: &str) -> Self {
        Self {
            base: registry_url.trim_end_matches('/').to_owned(),
            token: operator_token.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// `/issuers/{did}`: a did:web DID carries `%`, which must reach the registry intact.
    fn issuer_path(did: &str) -> String {
        format!("/issuers/{}", did.replace('%', "%25"))
    }

    /// `/verifiers/{did}`, escaped as [`Self::issuer_path`] is.
    fn verifier_path(did: &str) -> String {
        format!("/verifiers/{}", did.replace('%', "%25"))
    }

    /// The verifier's registration, or `None` if the registry does not know it.
    pub async fn verifier(&self, did: &str) -> Result<Option<Value>> {
        let (status, body) = self
            .send(reqwest::Method::GET, &Self::verifier_path(did), None)
            .await?;
        match status {
            reqwest::StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => Ok(Some(body["verifier"].clone())),
            s => Err(problem(s, &body)),
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(reqwest::StatusCode, Value)> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("the registry at {} is not reachable", self.base))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// The answer's body, or the registry's problem as an error.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let (status, body) = self.send(method, path, body).await?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(problem(status, &body))
        }
    }

    /// Registers an issuer; returns its token.
    pub async fn register(&self, registration: Value) -> Result<String> {
        let body = self
            .call(reqwest::Method::POST, "/issuers", Some(registration))
            .await?;
        token_of(&body)
    }

    /// The issuer's registration, or `None` if the registry does not know it.
    pub async fn issuer(&self, did: &str) -> Result<Option<Value>> {
        let (status, body) = self
            .send(reqwest::Method::GET, &Self::issuer_path(did), None)
            .await?;
        match status {
            reqwest::StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => Ok(Some(body["issuer"].clone())),
            s => Err(problem(s, &body)),
        }
    }

    pub async fn rotate_token(&self, did: &str, reason: &str) -> Result<String> {
        let body = self
            .call(
                reqwest::Method::POST,
                &format!("{}/token", Self::issuer_path(did)),
                Some(json!({"reason": reason})),
            )
            .await?;
        token_of(&body)
    }
}

fn token_of(body: &Value) -> Result<String> {
    body["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("the registry answered without a token"))
}

fn problem(status: reqwest::StatusCode, body: &Value) -> anyhow::Error {
    let detail = body
        .get("detail")
        .and_then(Value::as_str)
        .unwrap_or("no detail");
    anyhow!("{status}: {detail}")
}

/// Writes a secret readable only by its owner.
pub fn write_secret(path: &Path, secret: &str) -> Result<()> {
    std::fs::write(path, secret).with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

fn print_issuer(issuer: &Value) {
    println!(
        "{}  {}  {}  {}",
        issuer["did"].as_str().unwrap_or("?"),
        issuer["odsCode"].as_str().unwrap_or("?"),
        issuer["status"].as_str().unwrap_or("?"),
        issuer["name"].as_str().unwrap_or("?"),
    );
    for authorisation in issuer["authorisations"].as_array().into_iter().flatten() {
        let types: Vec<&str> = authorisation["credentialTypes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let end = authorisation["endedAt"]
            .as_str()
            .map(|e| format!("ended {e}"))
            .or_else(|| {
                authorisation["authorisedUntil"]
                    .as_str()
                    .map(|u| format!("until {u}"))
            })
            .unwrap_or_else(|| "open".into());
        println!(
            "    from {}  {}  {}",
            authorisation["authorisedFrom"].as_str().unwrap_or("?"),
            end,
            types.join(",")
        );
    }
}

fn hand_over_token(token: &str, token_out: Option<&Path>) -> Result<()> {
    match token_out {
        Some(path) => {
            write_secret(path, token)?;
            println!(
                "token written to {} (it is not shown again)",
                path.display()
            );
        }
        None => println!("token (shown once, keep it safe): {token}"),
    }
    Ok(())
}

/// Runs `passport registry …`.
pub async fn run(args: RegistryArgs) -> Result<i32> {
    let Some(command) = args.command else {
        return crate::up::run_registry_alone(args.config).await.map(|_| 0);
    };
    match command {
        OperatorCommand::Issuers { command, registry } => issuers(command, &registry).await,
        OperatorCommand::Verifiers { command, registry } => verifiers(command, &registry).await,
        OperatorCommand::Revoke(status) => change_status("revoke", status).await,
        OperatorCommand::Suspend(status) => change_status("suspend", status).await,
        OperatorCommand::Reinstate(status) => change_status("reinstate", status).await,
        OperatorCommand::Audit { json, registry } => {
            let client = RegistryClient::new(&registry.registry_url, &registry.token()?);
            let body = client.call(reqwest::Method::GET, "/audit", None).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&body)?);
                return Ok(0);
            }
            for entry in body["audit"].as_array().into_iter().flatten() {
                let subject = entry["credential_id"]
                    .as_str()
                    .or_else(|| entry["issuer"].as_str())
                    .or_else(|| entry["verifier"].as_str())
                    .unwrap_or("?");
                println!(
                    "{:>6}  {}  {}  {}  {}  {}",
                    entry["sequence"],
                    entry["at"].as_str().unwrap_or("?"),
                    entry["actor"].as_str().unwrap_or("?"),
                    entry["action"].as_str().unwrap_or("?"),
                    subject,
                    entry["reason"].as_str().unwrap_or("-"),
                );
            }
            Ok(0)
        }
    }
}

async fn change_status(action: &str, status: StatusArgs) -> Result<i32> {
    let client = RegistryClient::new(&status.registry.registry_url, &status.registry.token()?);
    let body = client
        .call(
            reqwest::Method::POST,
            "/status-changes",
            Some(json!({"credentialId": status.credential, "action": action, "reason": status.reason})),
        )
        .await?;
    if body["changed"] == true {
        println!("{action}: done ({})", status.credential);
    } else {
        println!("{action}: nothing to change, the credential already had that status");
    }
    Ok(0)
}

async fn issuers(command: IssuersCommand, registry: &RegistryConnection) -> Result<i32> {
    let client = RegistryClient::new(&registry.registry_url, &registry.token()?);
    let lifecycle = |did: &str, action: &str, reason: &str| {
        (
            format!("{}/{action}", RegistryClient::issuer_path(did)),
            json!({"reason": reason}),
        )
    };
    match command {
        IssuersCommand::List => {
            let body = client.call(reqwest::Method::GET, "/issuers", None).await?;
            for issuer in body["issuers"].as_array().into_iter().flatten() {
                print_issuer(issuer);
            }
        }
        IssuersCommand::Show { did } => match client.issuer(&did).await? {
            Some(issuer) => print_issuer(&issuer),
            None => return Err(anyhow!("no registered issuer {did}")),
        },
        IssuersCommand::Register {
            did,
            ods,
            name,
            types,
            valid_from,
            valid_until,
            reason,
            token_out,
        } => {
            let mut registration = json!({
                "did": did, "odsCode": ods, "name": name, "credentialTypes": types, "reason": reason,
            });
            if let Some(from) = valid_from {
                registration["validFrom"] = from.into();
            }
            if let Some(until) = valid_until {
                registration["validUntil"] = until.into();
            }
            let token = client.register(registration).await?;
            println!("registered {did}");
            hand_over_token(&token, token_out.as_deref())?;
        }
        IssuersCommand::Update {
            did,
            ods,
            name,
            types,
            valid_until,
            reason,
        } => {
            let mut update = json!({"reason": reason});
            if let Some(ods) = ods {
                update["odsCode"] = ods.into();
            }
            if let Some(name) = name {
                update["name"] = name.into();
            }
            if let Some(types) = types {
                update["credentialTypes"] = types.into();
            }
            if let Some(until) = valid_until {
                update["validUntil"] = until.into();
            }
            let body = client
                .call(
                    reqwest::Method::PATCH,
                    &RegistryClient::issuer_path(&did),
                    Some(update),
                )
                .await?;
            print_issuer(&body["issuer"]);
        }
        IssuersCommand::Suspend { did, reason } => {
            let (path, body) = lifecycle(&did, "suspend", &reason);
            let body = client
                .call(reqwest::Method::POST, &path, Some(body))
                .await?;
            print_issuer(&body["issuer"]);
        }
        IssuersCommand::Reinstate { did, reason } => {
            let (path, body) = lifecycle(&did, "reinstate", &reason);
            let body = client
                .call(reqwest::Method::POST, &path, Some(body))
                .await?;
            print_issuer(&body["issuer"]);
        }
        IssuersCommand::Remove { did, reason } => {
            let (path, body) = lifecycle(&did, "remove", &reason);
            let body = client
                .call(reqwest::Method::POST, &path, Some(body))
                .await?;
            print_issuer(&body["issuer"]);
        }
        IssuersCommand::RotateToken {
            did,
            reason,
            token_out,
        } => {
            let token = client.rotate_token(&did, &reason).await?;
            hand_over_token(&token, token_out.as_deref())?;
        }
    }
    Ok(0)
}

fn print_verifier(verifier: &Value) {
    let ended = verifier["endedAt"]
        .as_str()
        .map(|e| format!("  ended {e}"))
        .unwrap_or_default();
    println!(
        "{}  {}  {}  {}  (registered {}{ended})",
        verifier["did"].as_str().unwrap_or("?"),
        verifier["odsCode"].as_str().unwrap_or("?"),
        verifier["status"].as_str().unwrap_or("?"),
        verifier["name"].as_str().unwrap_or("?"),
        verifier["registeredAt"].as_str().unwrap_or("?"),
    );
}

async fn verifiers(command: VerifiersCommand, registry: &RegistryConnection) -> Result<i32> {
    let client = RegistryClient::new(&registry.registry_url, &registry.token()?);
    let (did, action, reason) = match command {
        VerifiersCommand::List => {
            let body = client
                .call(reqwest::Method::GET, "/verifiers", None)
                .await?;
            for verifier in body["verifiers"].as_array().into_iter().flatten() {
                print_verifier(verifier);
            }
            return Ok(0);
        }
        VerifiersCommand::Show { did } => {
            match client.verifier(&did).await? {
                Some(verifier) => print_verifier(&verifier),
                None => return Err(anyhow!("no registered verifier {did}")),
            }
            return Ok(0);
        }
        VerifiersCommand::Register {
            did,
            ods,
            name,
            reason,
        } => {
            let body = client
                .call(
                    reqwest::Method::POST,
                    "/verifiers",
                    Some(json!({"did": did, "odsCode": ods, "name": name, "reason": reason})),
                )
                .await?;
            println!("registered verifier {did}");
            print_verifier(&body["verifier"]);
            return Ok(0);
        }
        VerifiersCommand::Suspend { did, reason } => (did, "suspend", reason),
        VerifiersCommand::Reinstate { did, reason } => (did, "reinstate", reason),
        VerifiersCommand::Remove { did, reason } => (did, "remove", reason),
    };
    let body = client
        .call(
            reqwest::Method::POST,
            &format!("{}/{action}", RegistryClient::verifier_path(&did)),
            Some(json!({"reason": reason})),
        )
        .await?;
    print_verifier(&body["verifier"]);
    Ok(0)
}

/// The local verifier's registration for `passport up`: registered on first start, left
/// as it is after that (an operator's suspension or removal is not undone by a restart).
pub async fn ensure_verifier_registered(
    registry_url: &str,
    operator_token: &str,
    registration: Value,
) -> Result<()> {
    let client = RegistryClient::new(registry_url, operator_token);
    let did = registration["did"]
        .as_str()
        .ok_or_else(|| anyhow!("registration without a DID"))?
        .to_owned();
    match client.verifier(&did).await? {
        None => {
            client
                .call(reqwest::Method::POST, "/verifiers", Some(registration))
                .await?;
        }
        Some(verifier) if verifier["status"] != "active" => println!(
            "  note: the local verifier is {} at the registry; wallets will not present to it",
            verifier["status"].as_str().unwrap_or("?")
        ),
        Some(_) => {}
    }
    Ok(())
}

/// The local issuer's registration for `passport up`: registered on first start (its token
/// kept in `token_file`), reused while that file exists, given a new token if it was lost.
pub async fn ensure_registered(
    registry_url: &str,
    operator_token: &str,
    registration: Value,
    token_file: &Path,
) -> Result<String> {
    let client = RegistryClient::new(registry_url, operator_token);
    let did = registration["did"]
        .as_str()
        .ok_or_else(|| anyhow!("registration without a DID"))?
        .to_owned();
    let saved = std::fs::read_to_string(token_file)
        .ok()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    let token = match (client.issuer(&did).await?, saved) {
        (None, _) => client.register(registration).await?,
        (Some(issuer), Some(saved)) => {
            if issuer["status"] != "active" {
                println!(
                    "  note: the local issuer is {} at the registry; it cannot issue",
                    issuer["status"].as_str().unwrap_or("?")
                );
            }
            return Ok(saved);
        }
        (Some(_), None) => {
            client
                .rotate_token(
                    &did,
                    "passport up: the local issuer's token file was missing",
                )
                .await?
        }
    };
    write_secret(token_file, &token)?;
    Ok(token)
}
