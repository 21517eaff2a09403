//! Harness for the end-to-end tests: starts the real services on `127.0.0.1:0`, each on
//! its own embedded store in a temporary folder, and talks to them over HTTP.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;

use anyhow::{bail, Context, Result};
use issuer::IssuerSettings;
use serde_json::{json, Value};
use service_kit::Listener;
use tokio::io::AsyncWriteExt;
use verifier::VerifierSettings;

pub fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

pub fn sample_people() -> Value {
    let path = shared_dir().join("sample-data/esr-people.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("sample people"))
        .expect("sample people parse")
}

pub const TOKEN: &str = "test-token-0123456789abcdef";
/// The trust-framework operator's token at the registry.
pub const OPERATOR_TOKEN: &str = "operator-token-0123456789abcdef";
/// The verifier's onboarding officers' token (OpenID4VP presentation requests).
pub const OFFICER_TOKEN: &str = "officer-token-0123456789abcdef";
/// The bearer token of the verifier's HR users (onboarding decisions).
pub const HR_TOKEN: &str = "hr-users-token-0123456789abcdef";

/// A DID as one path segment of a registry URL (`/issuers/{did}`): did:web DIDs carry `%`.
pub fn did_path_segment(did: &str) -> String {
    did.replace('%', "%25")
}

/// The organisation name the sample RBAC catalogue gives an ODS code.
pub fn sample_trust_name(ods_code: &str) -> String {
    let path = shared_dir().join("sample-data/rbac-roles.json");
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|catalogue| {
            catalogue["trusts"].as_array().and_then(|trusts| {
                trusts
                    .iter()
                    .find(|t| t["ods"] == ods_code)
                    .and_then(|t| t["name"].as_str().map(str::to_owned))
            })
        })
        .unwrap_or_else(|| format!("Organisation {ods_code}"))
}

/// The issuer and the verifier, running.
pub struct Platform {
    pub issuer_url: String,
    pub registry_url: String,
    pub verifier_url: String,
    pub issuer_did: String,
    /// The issuer's bearer token at the registry, from its registration.
    pub issuer_registry_token: String,
    pub http: reqwest::Client,
    /// The running verifier, for what has no HTTP API (its console accounts).
    pub verifier: std::sync::Arc<verifier::Verifier>,
    /// The running issuer, for its RA console's accounts.
    pub issuer: std::sync::Arc<issuer::Issuer>,
    _data: tempfile::TempDir,
    stop: Vec<tokio::sync::oneshot::Sender<()>>,
    /// Services started after the platform (other trusts' issuers).
    extra_stops: std::sync::Mutex<Vec<tokio::sync::oneshot::Sender<()>>>,
}

impl Drop for Platform {
    fn drop(&mut self) {
        for stop in self.stop.drain(..) {
            let _ = stop.send(());
        }
        if let Ok(mut extra) = self.extra_stops.lock() {
            for stop in extra.drain(..) {
                let _ = stop.send(());
            }
        }
    }
}

fn spawn(listener: Listener, router: axum::Router) -> tokio::sync::oneshot::Sender<()> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(listener.serve(router, async move {
        let _ = stopped.await;
    }));
    stop
}

impl Platform {
    /// Starts both services and imports the sample people.
    pub async fn start() -> Result<Self> {
        Self::start_trusting_plain_http(Vec::new()).await
    }

    /// As [`Platform::start`], and the verifier may also fetch from these loopback hosts
    /// over plain HTTP (e.g. a status list server a test runs).
    pub async fn start_trusting_plain_http(extra_hosts: Vec<String>) -> Result<Self> {
        Self::start_with(extra_hosts, |_| {}).await
    }

    /// As [`Platform::start_trusting_plain_http`], with the verifier's settings adjusted
    /// last (e.g. a short trust list staleness).
    pub async fn start_with(
        extra_hosts: Vec<String>,
        adjust_verifier: impl FnOnce(&mut VerifierSettings),
    ) -> Result<Self> {
        Self::start_configured(extra_hosts, |_| {}, adjust_verifier).await
    }

    /// As [`Platform::start_with`], with the issuer's settings adjusted too (e.g. short
    /// offer and access token lifetimes).
    pub async fn start_configured(
        extra_hosts: Vec<String>,
        adjust_issuer: impl FnOnce(&mut IssuerSettings),
        adjust_verifier: impl FnOnce(&mut VerifierSettings),
    ) -> Result<Self> {
        let data = tempfile::tempdir()?;
        let issuer_listener = Listener::bind(SocketAddr::from(([127, 0, 0, 1], 0)), None)?;
        let verifier_listener = Listener::bind(SocketAddr::from(([127, 0, 0, 1], 0)), None)?;
        let registry_listener = Listener::bind(SocketAddr::from(([127, 0, 0, 1], 0)), None)?;
        let registry_address = registry_listener.local_addr()?;
        let issuer_address = issuer_listener.local_addr()?;
        let verifier_address = verifier_listener.local_addr()?;
        let issuer_settings = IssuerSettings {
            listen: issuer_address,
            public_base_url: format!("http://{issuer_address}"),
            data_dir: data.path().join("issuer"),
            rbac_catalogue: shared_dir().join("sample-data/rbac-roles.json"),
            api_token: Some(TOKEN.into()),
            registry_url: Some(format!("http://{registry_address}")),
            ..IssuerSettings::default()
        };
        let issuer_did = credentials::did::did_web_for_base_url(&issuer_settings.public_base_url)?;
        let (_, registry_router) = trust_registry::build(&trust_registry::RegistrySettings {
            listen: registry_address,
            public_base_url: format!("http://{registry_address}"),
            data_dir: data.path().join("trust-registry"),
            operator_token: Some(OPERATOR_TOKEN.into()),
            ..trust_registry::RegistrySettings::default()
        })?;
        let registry_stop = spawn(registry_listener, registry_router);
        // The operator registers the issuer for every catalogue type, as `passport up` does.
        let ods = issuer_settings.organisation_ods.clone();
        let types: Vec<&str> = credentials::CredentialKind::ALL
            .iter()
            .map(|k| k.type_name())
            .collect();
        let issuer_registry_token = register_issuer(
            &format!("http://{registry_address}"),
            OPERATOR_TOKEN,
            &issuer_did,
            &ods,
            &sample_trust_name(&ods),
            &types,
        )
        .await?;
        let mut issuer_settings = IssuerSettings {
            registry_token: Some(issuer_registry_token.clone()),
            ..issuer_settings
        };
        adjust_issuer(&mut issuer_settings);
        let (issuer, issuer_router) = issuer::build(&issuer_settings)?;
        let mut verifier_settings = VerifierSettings {
            listen: verifier_address,
            public_base_url: format!("http://{verifier_address}"),
            plain_http_hosts: [
                vec![issuer_address.to_string(), registry_address.to_string()],
                extra_hosts,
            ]
            .concat(),
            // Lists are reused for their ttl; a change reaches the verifier by the feed.
            status_change_feeds: vec![format!("http://{registry_address}/events")],
            trust_list_url: Some(format!("http://{registry_address}/trust-list")),
            data_dir: Some(data.path().join("verifier")),
            officer_token: Some(OFFICER_TOKEN.into()),
            // Onboarding at the sample receiving trust (RTH).
            policy_file: Some(
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../verifier/policies/RTH.toml"),
            ),
            rbac_catalogue: Some(shared_dir().join("sample-data/rbac-roles.json")),
            hr_token: Some(HR_TOKEN.into()),
            ..VerifierSettings::default()
        };
        adjust_verifier(&mut verifier_settings);
        let verifier = verifier::build(&verifier_settings).map_err(anyhow::Error::msg)?;
        let stop = vec![
            spawn(issuer_listener, issuer_router),
            registry_stop,
            spawn(verifier_listener, verifier::api::router(verifier.clone())),
        ];
        let platform = Self {
            issuer_url: format!("http://{issuer_address}"),
            registry_url: format!("http://{registry_address}"),
            verifier_url: format!("http://{verifier_address}"),
            issuer_did: issuer.did().to_owned(),
            issuer_registry_token,
            http: reqwest::Client::new(),
            verifier,
            issuer,
            _data: data,
            stop,
            extra_stops: std::sync::Mutex::new(Vec::new()),
        };
        let response = platform
            .admin_post("/admin/people", &sample_people())
            .await?;
        if response.status() != 200 {
            bail!("sample import failed: {}", response.text().await?);
        }
        Ok(platform)
    }

    pub async fn admin_post(&self, path: &str, body: &Value) -> Result<reqwest::Response> {
        Ok(self
            .http
            .post(format!("{}{path}", self.issuer_url))
            .bearer_auth(TOKEN)
            .json(body)
            .send()
            .await?)
    }

    /// Revokes, suspends or reinstates a credential as the trust-framework operator.
    /// Applies an ESR event for P0001's post at RJ1 (assignment 30493776) that happened
    /// `minutes_ago`, and returns the issuer's reply; anything but 200 fails the test.
    pub async fn esr_event_for_p0001(
        &self,
        event_id: &str,
        event_type: &str,
        minutes_ago: i64,
        payload: Value,
    ) -> Result<Value> {
        let event = json!({
            "event_id": event_id,
            "event_type": event_type,
            "occurred_at": (chrono::Utc::now() - chrono::Duration::minutes(minutes_ago))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "org_ods": "RJ1",
            "person_id": "P0001",
            "assignment_number": "30493776",
            "payload": payload,
        });
        let response = self.admin_post("/esr/events", &event).await?;
        anyhow::ensure!(
            response.status() == 200,
            "{event_type}: {}",
            response.status()
        );
        Ok(response.json().await?)
    }

    pub async fn operator_changes_status(
        &self,
        credential_id: &str,
        action: &str,
        reason: &str,
    ) -> Result<reqwest::Response> {
        let body = json!({"credentialId": credential_id, "action": action, "reason": reason});
        Ok(self
            .http
            .post(format!("{}/status-changes", self.registry_url))
            .bearer_auth(OPERATOR_TOKEN)
            .json(&body)
            .send()
            .await?)
    }

    pub async fn admin_get(&self, path: &str) -> Result<Value> {
        let response = self
            .http
            .get(format!("{}{path}", self.issuer_url))
            .bearer_auth(TOKEN)
            .send()
            .await?;
        Ok(response.error_for_status()?.json().await?)
    }

    pub async fn get_json(&self, url: &str) -> Result<Value> {
        Ok(self
            .http
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    /// Issues a person's credentials, bound to `holder`.
    pub async fn issue_person(
        &self,
        person_id: &str,
        holder: Option<&str>,
        cryptosuite: &str,
    ) -> Result<Vec<Value>> {
        let mut body = json!({"cryptosuite": cryptosuite});
        if let Some(holder) = holder {
            body["holder"] = holder.into();
        }
        let response = self
            .admin_post(&format!("/admin/people/{person_id}/credentials"), &body)
            .await?;
        if response.status() != 201 {
            bail!(
                "issuing {person_id}: {} {}",
                response.status(),
                response.text().await?
            );
        }
        let body: Value = response.json().await?;
        Ok(body["verifiableCredentials"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }

    pub async fn verify_credential(&self, credential: &Value) -> Result<Value> {
        let body = json!({"verifiableCredential": credential});
        Ok(self
            .http
            .post(format!("{}/credentials/verify", self.verifier_url))
            .json(&body)
            .send()
            .await?
            .json()
            .await?)
    }

    pub async fn verify_presentation(
        &self,
        presentation: &Value,
        challenge: &str,
        domain: &str,
    ) -> Result<Value> {
        let body = json!({"verifiablePresentation": presentation, "options": {"challenge": challenge, "domain": domain}});
        Ok(self
            .http
            .post(format!("{}/presentations/verify", self.verifier_url))
            .json(&body)
            .send()
            .await?
            .json()
            .await?)
    }

    pub async fn issuer_did_document(&self) -> Result<Value> {
        self.get_json(&format!("{}/.well-known/did.json", self.issuer_url))
            .await
    }
}

/// Runs one of the Digital Bazaar harness scripts in `tests/js` (see its README).
pub async fn digital_bazaar(script: &str, request: &Value) -> Result<Value> {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("js");
    if !folder.join("node_modules").exists() {
        bail!(
            "tests/js/node_modules is missing: run `npm ci --prefix tests/js` (bash .ci/run does)"
        );
    }
    let mut child = tokio::process::Command::new("node")
        .arg(folder.join(script))
        .current_dir(&folder)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("node is not installed")?;
    let mut stdin = child.stdin.take().context("stdin")?;
    stdin.write_all(request.to_string().as_bytes()).await?;
    drop(stdin);
    let output = child.wait_with_output().await?;
    if !output.status.success() {
        bail!(
            "{script} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// Our context, for the JS document loader.
pub fn our_contexts() -> Value {
    let context: Value = serde_json::from_str(credentials::vocabulary::CONTEXT_DOCUMENT)
        .expect("our context parses");
    json!({ credentials::vocabulary::CONTEXT_URL: context })
}

/// Another trust's issuer, running beside the platform's own.
pub struct IssuerNode {
    pub url: String,
    pub did: String,
    pub ods: String,
}

impl Platform {
    /// Starts an issuer for another trust (`ods`), registered at the platform's registry for
    /// every catalogue type, with the sample people imported: one issuer per organisation,
    /// as BR-6 has it.
    pub async fn add_issuer(&self, ods: &str) -> Result<IssuerNode> {
        let listener = Listener::bind(SocketAddr::from(([127, 0, 0, 1], 0)), None)?;
        let address = listener.local_addr()?;
        let public_base_url = format!("http://{address}");
        let did = credentials::did::did_web_for_base_url(&public_base_url)?;
        let types: Vec<&str> = credentials::CredentialKind::ALL
            .iter()
            .map(|k| k.type_name())
            .collect();
        let token = register_issuer(
            &self.registry_url,
            OPERATOR_TOKEN,
            &did,
            ods,
            &format!("{ods} (test trust)"),
            &types,
        )
        .await?;
        let data = self._data.path().join(format!("issuer-{ods}"));
        let (_, router) = issuer::build(&IssuerSettings {
            listen: address,
            public_base_url: public_base_url.clone(),
            data_dir: data,
            organisation_ods: ods.to_owned(),
            rbac_catalogue: shared_dir().join("sample-data/rbac-roles.json"),
            api_token: Some(TOKEN.into()),
            registry_url: Some(self.registry_url.clone()),
            registry_token: Some(token),
            ..IssuerSettings::default()
        })?;
        self.extra_stops
            .lock()
            .map_err(|_| anyhow::anyhow!("stop list poisoned"))?
            .push(spawn(listener, router));
        let response = self
            .admin_post_to(&public_base_url, "/admin/people", &sample_people())
            .await?;
        if response.status() != 200 {
            bail!("sample import at {ods} failed: {}", response.text().await?);
        }
        Ok(IssuerNode {
            url: public_base_url,
            did,
            ods: ods.to_owned(),
        })
    }

    /// POST as the admin to any issuer the platform runs.
    pub async fn admin_post_to(
        &self,
        issuer_url: &str,
        path: &str,
        body: &Value,
    ) -> Result<reqwest::Response> {
        Ok(self
            .http
            .post(format!("{issuer_url}{path}"))
            .bearer_auth(TOKEN)
            .json(body)
            .send()
            .await?)
    }
}

/// Registers an issuer at a running registry as the operator, for the given catalogue
/// credential types, and returns the issuer's bearer token (shown only this once).
pub async fn register_issuer(
    registry_url: &str,
    operator_token: &str,
    did: &str,
    ods_code: &str,
    name: &str,
    types: &[&str],
) -> Result<String> {
    let body = json!({
        "did": did,
        "odsCode": ods_code,
        "name": name,
        "credentialTypes": types,
        "reason": "registered by the test harness",
    });
    let response = reqwest::Client::new()
        .post(format!("{}/issuers", registry_url.trim_end_matches('/')))
        .bearer_auth(operator_token)
        .json(&body)
        .send()
        .await?;
    if response.status() != 201 {
        bail!(
            "registering {did}: {} {}",
            response.status(),
            response.text().await?
        );
    }
    let body: Value = response.json().await?;
    body["token"]
        .as_str()
        .map(str::to_owned)
        .context("the registration answer has no token")
}

/// Registers a verifier at a running registry as the operator: a DID wallets may present
/// to, on behalf of the organisation `ods_code`, shown to holders as `name`. A verifier
/// gets no token (it writes nothing at the registry).
pub async fn register_verifier(
    registry_url: &str,
    operator_token: &str,
    did: &str,
    ods_code: &str,
    name: &str,
) -> Result<()> {
    let body = json!({
        "did": did,
        "odsCode": ods_code,
        "name": name,
        "reason": "registered by the test harness",
    });
    let response = reqwest::Client::new()
        .post(format!("{}/verifiers", registry_url.trim_end_matches('/')))
        .bearer_auth(operator_token)
        .json(&body)
        .send()
        .await?;
    if response.status() != 201 {
        bail!(
            "registering verifier {did}: {} {}",
            response.status(),
            response.text().await?
        );
    }
    Ok(())
}
