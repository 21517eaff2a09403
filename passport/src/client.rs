//! The admin commands: plain HTTP clients of the running services.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use serde_json::{json, Value};

#[derive(Args)]
pub struct IssuerConnection {
    #[arg(
        long,
        env = "PASSPORT_URL_ISSUER",
        default_value = "http://127.0.0.1:8401"
    )]
    issuer_url: String,
    /// The issuer's API token (default: read from ./data/dev-token, written by `passport up`).
    #[arg(long, env = "PASSPORT_TOKEN")]
    token: Option<String>,
    #[arg(long, default_value = "data/dev-token")]
    token_file: PathBuf,
}

impl IssuerConnection {
    pub(crate) fn token(&self) -> Result<String> {
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

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer_url.trim_end_matches('/'))
    }
}

pub(crate) async fn read_problem(response: reqwest::Response) -> anyhow::Error {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let detail = body
        .get("detail")
        .and_then(Value::as_str)
        .unwrap_or("no detail");
    let mut message = format!("{status}: {detail}");
    if let Some(rejected) = body.get("rejected").and_then(Value::as_array) {
        for record in rejected {
            for problem in record
                .get("problems")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                message.push_str(&format!(
                    "\n  record {} ({}): {}: {} [{}]",
                    record.get("index").unwrap_or(&Value::Null),
                    record
                        .get("person_id")
                        .and_then(Value::as_str)
                        .unwrap_or("?"),
                    problem.get("field").and_then(Value::as_str).unwrap_or("?"),
                    problem
                        .get("problem")
                        .and_then(Value::as_str)
                        .unwrap_or("?"),
                    problem.get("rule").and_then(Value::as_str).unwrap_or("-"),
                ));
            }
        }
    }
    anyhow!(message)
}

pub async fn import(issuer: &IssuerConnection, file: &Path, skip_invalid: bool) -> Result<i32> {
    let body = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let response = reqwest::Client::new()
        .post(issuer.url(&format!("/admin/people?skip_invalid={skip_invalid}")))
        .bearer_auth(issuer.token()?)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .context("the issuer is not reachable")?;
    if !response.status().is_success() {
        return Err(read_problem(response).await);
    }
    let report: Value = response.json().await?;
    println!("imported {} people", report["imported"]);
    for skipped in report["skipped"].as_array().into_iter().flatten() {
        println!(
            "skipped record {} ({})",
            skipped["index"],
            skipped["person_id"].as_str().unwrap_or("?")
        );
    }
    Ok(0)
}

pub async fn issue(
    issuer: &IssuerConnection,
    person: &str,
    out: &Path,
    holder: Option<String>,
    cryptosuite: Option<String>,
) -> Result<i32> {
    let mut request = json!({});
    if let Some(holder) = holder {
        request["holder"] = holder.into();
    }
    if let Some(suite) = cryptosuite {
        request["cryptosuite"] = suite.into();
    }
    let response = reqwest::Client::new()
        .post(issuer.url(&format!("/admin/people/{person}/credentials")))
        .bearer_auth(issuer.token()?)
        .json(&request)
        .send()
        .await
        .context("the issuer is not reachable")?;
    if !response.status().is_success() {
        return Err(read_problem(response).await);
    }
    let body: Value = response.json().await?;
    let credentials = body["verifiableCredentials"]
        .as_array()
        .ok_or_else(|| anyhow!("the issuer answered without credentials"))?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut used = std::collections::HashMap::<String, usize>::new();
    for credential in credentials {
        let kind = credentials::CredentialKind::of_credential(credential)
            .map(|k| k.slug().to_owned())
            .unwrap_or_else(|| "credential".into());
        let n = used.entry(kind.clone()).or_default();
        *n += 1;
        let name = if *n == 1 {
            format!("{kind}.json")
        } else {
            format!("{kind}-{n}.json")
        };
        let path = out.join(name);
        std::fs::write(&path, serde_json::to_vec_pretty(credential)?)?;
        println!("{}", path.display());
    }
    Ok(0)
}

pub async fn verify(
    verifier_url: &str,
    file: &Path,
    challenge: Option<String>,
    domain: Option<String>,
) -> Result<i32> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let document: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    let is_presentation = match document.get("type") {
        Some(Value::Array(types)) => types.iter().any(|t| t == "VerifiablePresentation"),
        Some(Value::String(t)) => t == "VerifiablePresentation",
        _ => false,
    };
    let (path, body) = if is_presentation {
        let mut options = json!({});
        if let Some(c) = challenge {
            options["challenge"] = c.into();
        }
        if let Some(d) = domain {
            options["domain"] = d.into();
        }
        (
            "/presentations/verify",
            json!({"verifiablePresentation": document, "options": options}),
        )
    } else {
        (
            "/credentials/verify",
            json!({"verifiableCredential": document}),
        )
    };
    let response = reqwest::Client::new()
        .post(format!("{}{path}", verifier_url.trim_end_matches('/')))
        .json(&body)
        .send()
        .await
        .context("the verifier is not reachable")?;
    if !response.status().is_success() {
        return Err(read_problem(response).await);
    }
    let result: Value = response.json().await?;
    let verified = result["verified"].as_bool().unwrap_or(false);
    println!("{}", if verified { "verified" } else { "NOT verified" });
    for problem in result["problemDetails"].as_array().into_iter().flatten() {
        println!(
            "  - {}: {}",
            problem["title"].as_str().unwrap_or("?"),
            problem["detail"].as_str().unwrap_or("")
        );
    }
    if !verified
        && result["problemDetails"]
            .as_array()
            .is_none_or(|p| p.is_empty())
    {
        bail!("the verifier said not verified without saying why");
    }
    Ok(if verified { 0 } else { 1 })
}

/// The RA's offer for a person: prints the offer link and the PIN, and saves the QR code.
pub async fn offer(
    issuer: &IssuerConnection,
    person: &str,
    formats: Vec<String>,
    types: Vec<String>,
    qr: Option<&Path>,
) -> Result<i32> {
    let mut request = json!({});
    if !formats.is_empty() {
        request["formats"] = formats.into();
    }
    if !types.is_empty() {
        request["types"] = types.into();
    }
    let response = reqwest::Client::new()
        .post(issuer.url(&format!("/admin/people/{person}/offers")))
        .bearer_auth(issuer.token()?)
        .json(&request)
        .send()
        .await
        .context("the issuer is not reachable")?;
    if !response.status().is_success() {
        return Err(read_problem(response).await);
    }
    let body: Value = response.json().await?;
    let field = |name: &str| body[name].as_str().unwrap_or_default().to_owned();
    if let Some(path) = qr {
        use base64::Engine as _;
        let png = base64::engine::general_purpose::STANDARD
            .decode(field("qr_png"))
            .context("the issuer's QR code is not base64")?;
        std::fs::write(path, png).with_context(|| format!("cannot write {}", path.display()))?;
        println!("qr code: {}", path.display());
    }
    println!("offer:   {}", field("offer_uri"));
    println!(
        "pin:     {} (give it to the person separately)",
        field("tx_code")
    );
    println!("expires: {}", field("expires_at"));
    Ok(0)
}
