//! `passport onboard …`: the receiving trust's onboarding officer at the verifier: start a
//! presentation request from a template, show its QR code, read the result.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use crate::client::read_problem;

#[derive(Args)]
pub struct OnboardArgs {
    #[arg(
        long,
        env = "PASSPORT_URL_VERIFIER",
        default_value = "http://127.0.0.1:8403"
    )]
    verifier_url: String,
    /// The officer's token (default: read from ./data/dev-token, written by `passport up`).
    #[arg(long, env = "PASSPORT_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[arg(long, default_value = "data/dev-token")]
    token_file: PathBuf,
    #[command(subcommand)]
    command: OnboardCommand,
}

#[derive(Subcommand)]
enum OnboardCommand {
    /// The request templates the verifier offers (e.g. new-starter, right-to-work).
    Templates,
    /// Start a presentation request; prints the openid4vp:// link and saves its QR code.
    Start {
        #[arg(long, default_value = "new-starter")]
        template: String,
        /// Save the QR code as a PNG here.
        #[arg(long)]
        qr: Option<PathBuf>,
    },
    /// The request's state and, once answered, every check and the disclosed claims.
    /// Exits 0 when verified, 1 when refused or not answered yet.
    Result {
        /// Request ids are base64url, so one may begin with `-`.
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
}

pub async fn run(args: OnboardArgs) -> Result<i32> {
    let token = match &args.token {
        Some(token) => token.clone(),
        None => std::fs::read_to_string(&args.token_file)
            .map(|t| t.trim().to_owned())
            .with_context(|| {
                format!(
                    "no --token given and {} cannot be read",
                    args.token_file.display()
                )
            })?,
    };
    let base = args.verifier_url.trim_end_matches('/');
    let http = reqwest::Client::new();
    match args.command {
        OnboardCommand::Templates => {
            let response = http
                .get(format!("{base}/presentation-templates"))
                .bearer_auth(&token)
                .send()
                .await
                .context("the verifier is not reachable")?;
            if !response.status().is_success() {
                return Err(read_problem(response).await);
            }
            let body: Value = response.json().await?;
            println!("{}", serde_json::to_string_pretty(&body)?);
            Ok(0)
        }
        OnboardCommand::Start { template, qr } => {
            let response = http
                .post(format!("{base}/presentation-requests"))
                .bearer_auth(&token)
                .json(&json!({"template": template}))
                .send()
                .await
                .context("the verifier is not reachable")?;
            if !response.status().is_success() {
                return Err(read_problem(response).await);
            }
            let body: Value = response.json().await?;
            let field = |name: &str| body[name].as_str().unwrap_or_default().to_owned();
            if let Some(path) = qr {
                use base64::Engine as _;
                let png = base64::engine::general_purpose::STANDARD
                    .decode(field("qr_png"))
                    .context("the verifier's QR code is not base64")?;
                std::fs::write(&path, png)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                println!("qr code: {}", path.display());
            }
            println!("request: {}", field("id"));
            println!("link:    {}", field("openid4vp_uri"));
            println!("expires: {}", field("expires_at"));
            Ok(0)
        }
        OnboardCommand::Result { id } => {
            let response = http
                .get(format!("{base}/presentation-requests/{id}"))
                .bearer_auth(&token)
                .send()
                .await
                .context("the verifier is not reachable")?;
            if !response.status().is_success() {
                return Err(read_problem(response).await);
            }
            let body: Value = response.json().await?;
            println!("{}", serde_json::to_string_pretty(&body)?);
            Ok(
                if body.pointer("/result/verified") == Some(&Value::Bool(true)) {
                    0
                } else {
                    1
                },
            )
        }
    }
}
