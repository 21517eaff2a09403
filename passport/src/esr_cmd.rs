//! `passport esr …` (the ESR interface's events) and `passport ra …` (the Registration
//! Authority's queue): HTTP clients of the running issuer.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use serde_json::{json, Value};

use crate::client::{read_problem, IssuerConnection};

#[derive(Subcommand)]
pub enum EsrCommand {
    /// Send a JSON Lines file of ESR events to the issuer, applied in occurred_at order.
    /// Exits 1 if any event was rejected or not processed.
    Apply {
        file: PathBuf,
        #[command(flatten)]
        issuer: IssuerConnection,
    },
    /// Show the applied events, oldest first.
    Log {
        #[arg(long)]
        person: Option<String>,
        #[command(flatten)]
        issuer: IssuerConnection,
    },
}

#[derive(Subcommand)]
pub enum RaCommand {
    /// List the requests waiting for an RA (new starters, name changes).
    Requests {
        /// Also list decided requests.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        issuer: IssuerConnection,
    },
    /// Accept a request: a new starter's credentials are issued, a name change is applied.
    Accept {
        request: String,
        /// Your Care Identity UUID (12 digits).
        #[arg(long = "by")]
        decided_by: String,
        /// For a new starter: the wallet DID you bound at the identity check.
        #[arg(long)]
        holder: Option<String>,
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        issuer: IssuerConnection,
    },
    /// Reject a request, with the reason.
    Reject {
        request: String,
        #[arg(long = "by")]
        decided_by: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        issuer: IssuerConnection,
    },
}

pub async fn esr(command: EsrCommand) -> Result<i32> {
    let http = reqwest::Client::new();
    match command {
        EsrCommand::Apply { file, issuer } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let response = http
                .post(issuer.url("/esr/events"))
                .bearer_auth(issuer.token()?)
                .header(reqwest::header::CONTENT_TYPE, "application/jsonl")
                .body(text)
                .send()
                .await?;
            if !response.status().is_success() {
                return Err(read_problem(response).await);
            }
            let body: Value = response.json().await?;
            let mut failures = 0;
            for line in body["results"].as_array().into_iter().flatten() {
                let result = line["result"].as_str().unwrap_or("?");
                let id = line["event_id"].as_str().unwrap_or("-");
                let detail = match result {
                    "rejected" | "not_processed" => {
                        failures += 1;
                        format!(
                            "{} {}",
                            line["reason_code"].as_str().unwrap_or(""),
                            line["detail"].as_str().unwrap_or("")
                        )
                    }
                    _ => line["reply"]["effects"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", "),
                };
                println!("line {:>3}  {id:<10} {result:<30} {detail}", line["line"]);
            }
            println!("{}", body["summary"]);
            Ok(if failures == 0 { 0 } else { 1 })
        }
        EsrCommand::Log { person, issuer } => {
            let mut request = http
                .get(issuer.url("/esr/events"))
                .bearer_auth(issuer.token()?);
            if let Some(person) = person {
                request = request.query(&[("person_id", person)]);
            }
            print_json(request.send().await?).await
        }
    }
}

pub async fn ra(command: RaCommand) -> Result<i32> {
    let http = reqwest::Client::new();
    match command {
        RaCommand::Requests { all, issuer } => {
            let mut request = http
                .get(issuer.url("/ra/requests"))
                .bearer_auth(issuer.token()?);
            if !all {
                request = request.query(&[("state", "pending")]);
            }
            print_json(request.send().await?).await
        }
        RaCommand::Accept {
            request,
            decided_by,
            holder,
            reason,
            issuer,
        } => {
            let body = json!({"decided_by": decided_by, "holder": holder, "reason": reason});
            let response = http
                .post(issuer.url(&format!("/ra/requests/{request}/accept")))
                .bearer_auth(issuer.token()?)
                .json(&body)
                .send()
                .await?;
            print_json(response).await
        }
        RaCommand::Reject {
            request,
            decided_by,
            reason,
            issuer,
        } => {
            let body = json!({"decided_by": decided_by, "reason": reason});
            let response = http
                .post(issuer.url(&format!("/ra/requests/{request}/reject")))
                .bearer_auth(issuer.token()?)
                .json(&body)
                .send()
                .await?;
            print_json(response).await
        }
    }
}

async fn print_json(response: reqwest::Response) -> Result<i32> {
    if !response.status().is_success() {
        return Err(read_problem(response).await);
    }
    let body: Value = response.json().await?;
    println!("{}", serde_json::to_string_pretty(&body)?);
    Ok(0)
}
