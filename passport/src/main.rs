//! `passport`: run the platform (`passport up`), run one service alone, and the admin
//! commands, which talk HTTP to the running services so that no service logic lives here.

mod client;
mod esr_cmd;
mod onboard_cmd;
mod registry_cmd;
mod up;
mod wallet_cmd;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "passport",
    version,
    about = "NHS Digital Staff Passport platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the issuer, the trust registry and the verifier on loopback with an embedded store under ./data,
    /// import the sample people on first start, and print the URLs and a development token.
    Up(up::UpArgs),
    /// Run the issuer alone, from a TOML settings file and PASSPORT_ISSUER_* variables.
    Issuer {
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Run the trust registry alone (`--config FILE`, and PASSPORT_REGISTRY_* variables), or,
    /// with a subcommand, act as its operator: `issuers …`, `revoke|suspend|reinstate`, `audit`.
    Registry(registry_cmd::RegistryArgs),
    /// Run the verifier alone, from a TOML settings file and PASSPORT_VERIFIER_* variables.
    Verifier {
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Import people from an ESR extract into the running issuer.
    Import {
        file: PathBuf,
        /// Import the valid records and list the invalid ones, instead of importing nothing.
        #[arg(long)]
        skip_invalid: bool,
        #[command(flatten)]
        issuer: client::IssuerConnection,
    },
    /// Issue a person's credentials and write one JSON file per credential.
    Issue {
        #[arg(long)]
        person: String,
        #[arg(long)]
        out: PathBuf,
        /// Bind the credentials to this holder DID (did:key:…).
        #[arg(long)]
        holder: Option<String>,
        /// eddsa-rdfc-2022 (default) or eddsa-jcs-2022.
        #[arg(long)]
        cryptosuite: Option<String>,
        #[command(flatten)]
        issuer: client::IssuerConnection,
    },
    /// ESR lifecycle events at the running issuer: `passport esr apply FILE.jsonl`.
    #[command(subcommand)]
    Esr(esr_cmd::EsrCommand),
    /// The Registration Authority's queue at the running issuer (new starters, name changes).
    #[command(subcommand)]
    Ra(esr_cmd::RaCommand),
    /// A terminal wallet: accept offers, present to verifiers, read the history.
    Wallet(wallet_cmd::WalletArgs),
    /// The onboarding officer at the verifier: start a presentation request, read its result.
    Onboard(onboard_cmd::OnboardArgs),
    /// Make an OpenID4VCI offer for a person (RA): prints the offer link and the PIN.
    Offer {
        #[arg(long)]
        person: String,
        /// ldp_vc and/or dc+sd-jwt (default both).
        #[arg(long = "format")]
        formats: Vec<String>,
        /// Only these credential types (default every type the record supports).
        #[arg(long = "type")]
        types: Vec<String>,
        /// Save the QR code as a PNG here.
        #[arg(long)]
        qr: Option<PathBuf>,
        #[command(flatten)]
        issuer: client::IssuerConnection,
    },
    /// Verify a credential or presentation file with the running verifier.
    Verify {
        file: PathBuf,
        /// For a presentation: the challenge it must carry.
        #[arg(long)]
        challenge: Option<String>,
        /// For a presentation: the domain it must carry (default: the verifier's URL).
        #[arg(long)]
        domain: Option<String>,
        #[arg(
            long,
            env = "PASSPORT_URL_VERIFIER",
            default_value = "http://127.0.0.1:8403"
        )]
        verifier_url: String,
    },
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let outcome = run(Cli::parse()).await;
    match outcome {
        Ok(code) => std::process::exit(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::exit(2);
        }
    }
}

async fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Up(args) => up::run(args).await.map(|_| 0),
        Command::Issuer { config } => up::run_issuer_alone(config).await.map(|_| 0),
        Command::Registry(args) => registry_cmd::run(args).await,
        Command::Verifier { config } => up::run_verifier_alone(config).await.map(|_| 0),
        Command::Import {
            file,
            skip_invalid,
            issuer,
        } => client::import(&issuer, &file, skip_invalid).await,
        Command::Issue {
            person,
            out,
            holder,
            cryptosuite,
            issuer,
        } => client::issue(&issuer, &person, &out, holder, cryptosuite).await,
        Command::Esr(command) => esr_cmd::esr(command).await,
        Command::Wallet(args) => wallet_cmd::run(args).await,
        Command::Onboard(args) => onboard_cmd::run(args).await,
        Command::Offer {
            person,
            formats,
            types,
            qr,
            issuer,
        } => client::offer(&issuer, &person, formats, types, qr.as_deref()).await,
        Command::Ra(command) => esr_cmd::ra(command).await,
        Command::Verify {
            file,
            challenge,
            domain,
            verifier_url,
        } => client::verify(&verifier_url, &file, challenge, domain).await,
    }
}
