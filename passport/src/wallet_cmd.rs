//! `passport wallet …`: a terminal wallet on wallet-core, for the holder's side of the
//! journey without a phone: accept an offer with its PIN, list, present, read the history.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use wallet_core::{Wallet, WalletOptions};

#[derive(Args)]
pub struct WalletArgs {
    /// Where the wallet keeps its encrypted store.
    #[arg(long, env = "PASSPORT_WALLET_DIR", default_value = "data/wallet")]
    wallet: PathBuf,
    /// The passphrase that encrypts the wallet (or PASSPORT_WALLET_PASSPHRASE).
    #[arg(long, env = "PASSPORT_WALLET_PASSPHRASE", hide_env_values = true)]
    passphrase: Option<String>,
    /// Refuse plain HTTP even to loopback (by default the terminal wallet talks to
    /// `passport up` on 127.0.0.1 over HTTP; anything else is HTTPS only).
    #[arg(long)]
    https_only: bool,
    /// The trust framework's signed trust list: a verifier it does not list as active is
    /// refused. `none` presents to any verifier (not recommended; BR-30).
    #[arg(
        long,
        env = "PASSPORT_WALLET_TRUST_LIST",
        default_value = "http://127.0.0.1:8402/trust-list"
    )]
    trust_list: String,
    #[command(subcommand)]
    command: WalletCommand,
}

#[derive(Subcommand)]
enum WalletCommand {
    /// Accept a credential offer (an openid-credential-offer:// link, as in the RA's QR code).
    Accept {
        offer: String,
        /// The PIN the RA gave you separately.
        #[arg(long)]
        pin: Option<String>,
    },
    /// List the credentials in the wallet.
    List,
    /// Answer a presentation request (an openid4vp:// link, as in the verifier's QR code).
    Present {
        request: String,
        /// Answer without asking (for scripts).
        #[arg(long)]
        yes: bool,
        /// Which credential answers which query (`query=credential-id`); default: the first.
        #[arg(long = "choose", value_parser = parse_choice)]
        choices: Vec<(String, String)>,
    },
    /// Check every credential's status at its issuer's status list (valid, suspended,
    /// revoked) and say what changed since the last check.
    Status,
    /// What the wallet received and presented, to whom and when.
    History,
    /// Delete a credential from this wallet (its status at the issuer does not change).
    Delete {
        #[arg(allow_hyphen_values = true)]
        credential: String,
    },
    /// The wallet's holder DID (did:key).
    Did,
}

fn parse_choice(text: &str) -> std::result::Result<(String, String), String> {
    text.split_once('=')
        .map(|(q, c)| (q.to_owned(), c.to_owned()))
        .ok_or_else(|| "use query=credential-id".to_owned())
}

pub async fn run(args: WalletArgs) -> Result<i32> {
    let passphrase = match args.passphrase {
        Some(p) => p,
        None => bail!("give the wallet passphrase with --passphrase or PASSPORT_WALLET_PASSPHRASE"),
    };
    std::fs::create_dir_all(&args.wallet)
        .with_context(|| format!("cannot create {}", args.wallet.display()))?;
    let wallet = Wallet::open(
        &args.wallet,
        &passphrase,
        WalletOptions {
            allow_loopback_http: !args.https_only,
            trust_list_url: (args.trust_list != "none").then_some(args.trust_list),
            registry_did: None,
        },
    )?;
    match args.command {
        WalletCommand::Accept { offer, pin } => {
            let received = wallet.accept_offer(&offer, pin.as_deref()).await?;
            for credential in &received {
                println!(
                    "received {:<34} {:<10} {}",
                    credential.display_name(),
                    credential.format,
                    credential.id
                );
            }
            Ok(0)
        }
        WalletCommand::List => {
            for credential in wallet.credentials()? {
                println!(
                    "{}  {:<34} {:<10} from {}  received {}",
                    credential.id,
                    credential.display_name(),
                    credential.format,
                    credential.credential_issuer,
                    credential.received_at
                );
            }
            Ok(0)
        }
        WalletCommand::Present {
            request,
            yes,
            choices,
        } => present(&wallet, &request, yes, choices).await,
        WalletCommand::Status => {
            let names: BTreeMap<String, String> = wallet
                .credentials()?
                .into_iter()
                .map(|c| {
                    let name = c.display_name();
                    (c.id, format!("{name} ({})", c.format))
                })
                .collect();
            for report in wallet.refresh_statuses().await? {
                let name = names
                    .get(&report.credential_id)
                    .cloned()
                    .unwrap_or_default();
                let said = match &report.status {
                    Ok(status) => serde_json::to_value(status)?
                        .as_str()
                        .unwrap_or_default()
                        .replace('_', " "),
                    Err(why) => format!("could not check ({why})"),
                };
                let news = if report.changed() { "  <- changed" } else { "" };
                println!("{}  {name:<46} {said}{news}", report.credential_id);
            }
            Ok(0)
        }
        WalletCommand::History => {
            for entry in wallet.history()? {
                println!("{}", serde_json::to_string(&entry)?);
            }
            Ok(0)
        }
        WalletCommand::Delete { credential } => {
            wallet.delete_credential(&credential)?;
            println!("deleted {credential}");
            Ok(0)
        }
        WalletCommand::Did => {
            println!("{}", wallet.holder_did()?);
            Ok(0)
        }
    }
}

async fn present(
    wallet: &Wallet,
    link: &str,
    yes: bool,
    choices: Vec<(String, String)>,
) -> Result<i32> {
    let request = wallet.read_request(link).await?;
    match &request.registered_as {
        Some(registered) => println!(
            "{} ({}) asks; the trust registry lists {} as theirs, and signed the request:",
            registered.name, registered.ods_code, request.verifier_did
        ),
        None => println!(
            "{} asks, NOT checked against a trust registry (signed by {}):",
            request.verifier_name.as_deref().unwrap_or("A verifier"),
            request.verifier_did
        ),
    }
    let mut chosen: BTreeMap<String, String> = choices.into_iter().collect();
    for query in &request.dcql_query.credentials {
        let candidates = request
            .candidates
            .get(&query.id)
            .cloned()
            .unwrap_or_default();
        let pick = chosen
            .get(&query.id)
            .cloned()
            .or_else(|| candidates.first().map(|c| c.credential_id.clone()));
        match candidates
            .iter()
            .find(|c| Some(&c.credential_id) == pick.as_ref())
        {
            Some(candidate) => {
                let what = if candidate.whole_credential {
                    "the whole credential".to_owned()
                } else if candidate.disclosed.is_empty() {
                    "only what is never hidden (type, issuer, validity)".to_owned()
                } else {
                    candidate
                        .disclosed
                        .iter()
                        .map(|p| serde_json::to_string(p).unwrap_or_default())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                println!(
                    "  {:<16} {} ({}): {what}",
                    query.id, candidate.credential_id, candidate.format
                );
                chosen.insert(query.id.clone(), candidate.credential_id.clone());
            }
            None => println!("  {:<16} nothing in this wallet answers it", query.id),
        }
    }
    if !yes && !confirm("Share this? [y/N] ")? {
        println!("nothing was shared");
        return Ok(1);
    }
    let receipt = wallet.answer(&request, &chosen).await?;
    println!("shared: {}", serde_json::to_string(&receipt.presented)?);
    if let Some(uri) = receipt.redirect_uri {
        println!("the verifier says to continue at {uri}");
    }
    Ok(0)
}

fn confirm(prompt: &str) -> Result<bool> {
    print!("{prompt}");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}
