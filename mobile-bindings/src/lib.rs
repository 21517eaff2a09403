//! wallet-core for Kotlin, Swift and Python (uniffi). Thin on purpose: records and enums
//! the apps can read, the two foreign traits (a phone's keystore, a listener), and errors
//! an app can act on. Every decision is wallet-core's.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use wallet_core::keys::{signature_from, KeyHandle, KeyStore};
use wallet_core::presenting::PresentationRequest;
use wallet_core::status::{CredentialStatus as CoreStatus, StatusListener};
use wallet_core::store::{HistoryEntry, Store, StoredCredential};
use wallet_core::{Wallet, WalletError, WalletOptions};

uniffi::setup_scaffolding!();

/// What went wrong, as far as an app would act differently; the message says the rest.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum PassportError {
    /// The passphrase does not open this wallet.
    #[error("the passphrase does not open this wallet")]
    WrongPassphrase,
    /// The issuer refused the PIN; ask the person to type it again (a few tries only).
    #[error("{detail}")]
    WrongPin { detail: String },
    /// The offer expired, was used or was withdrawn: the RA must make a new one.
    #[error("{detail}")]
    OfferUnavailable { detail: String },
    /// The scanned text is not an offer or request this wallet can read.
    #[error("{detail}")]
    UnreadableLink { detail: String },
    /// The verifier is not who it says, or not allowed to ask (trust registry).
    #[error("{detail}")]
    UntrustedVerifier { detail: String },
    /// Nothing in the wallet answers the request.
    #[error("{detail}")]
    NothingToPresent { detail: String },
    /// No connection, or a server did not answer: try again later.
    #[error("{detail}")]
    Network { detail: String },
    /// The app's keystore failed.
    #[error("{detail}")]
    KeyStore { detail: String },
    /// Anything else (a server that breaks the protocol, a corrupt store…); the detail
    /// says what.
    #[error("{detail}")]
    Other { detail: String },
}

impl From<WalletError> for PassportError {
    fn from(error: WalletError) -> Self {
        let detail = error.to_string();
        match error {
            WalletError::WrongPassphrase => PassportError::WrongPassphrase,
            WalletError::WrongPin { .. } => PassportError::WrongPin { detail },
            WalletError::OfferUnavailable { .. } => PassportError::OfferUnavailable { detail },
            WalletError::InvalidOffer { .. } | WalletError::InvalidRequest { .. } => {
                PassportError::UnreadableLink { detail }
            }
            WalletError::UntrustedVerifier { .. } => PassportError::UntrustedVerifier { detail },
            WalletError::CannotAnswer { .. } => PassportError::NothingToPresent { detail },
            WalletError::Network { .. } => PassportError::Network { detail },
            WalletError::KeyStore { .. } => PassportError::KeyStore { detail },
            _ => PassportError::Other { detail },
        }
    }
}

/// Why the app's keystore could not do what was asked.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum KeyStoreError {
    /// The keystore could not (no such key, the person cancelled, hardware error).
    #[error("{detail}")]
    Failed { detail: String },
}

/// An Ed25519 key held by the app's keystore: its id there and its 32-byte public key.
#[derive(Clone, Debug, uniffi::Record)]
pub struct HolderKey {
    /// The keystore's own name for the key (the wallet stores it, never the key).
    pub id: String,
    /// The raw 32-byte Ed25519 public key.
    pub public_key: Vec<u8>,
}

/// The app's keystore (Android Keystore, Secure Enclave…): holder keys are made and used
/// there, and never leave it. Ed25519.
#[uniffi::export(with_foreign)]
pub trait HolderKeyStore: Send + Sync {
    /// Makes a new key pair and returns its id and public key.
    fn create_key(&self) -> Result<HolderKey, KeyStoreError>;
    /// The public key of a key made before.
    fn public_key(&self, id: String) -> Result<HolderKey, KeyStoreError>;
    /// Signs `message` with the key: a 64-byte Ed25519 signature.
    fn sign(&self, id: String, message: Vec<u8>) -> Result<Vec<u8>, KeyStoreError>;
}

struct ForeignKeys(Arc<dyn HolderKeyStore>);

fn key_store_failed(error: KeyStoreError) -> WalletError {
    WalletError::KeyStore {
        detail: error.to_string(),
    }
}

impl KeyStore for ForeignKeys {
    fn create_key(&self) -> wallet_core::Result<KeyHandle> {
        let key = self.0.create_key().map_err(key_store_failed)?;
        KeyHandle::from_parts(key.id, &key.public_key)
    }

    fn key(&self, id: &str) -> wallet_core::Result<KeyHandle> {
        let key = self.0.public_key(id.to_owned()).map_err(key_store_failed)?;
        KeyHandle::from_parts(key.id, &key.public_key)
    }

    fn sign(&self, id: &str, message: &[u8]) -> wallet_core::Result<[u8; 64]> {
        let signature = self
            .0
            .sign(id.to_owned(), message.to_vec())
            .map_err(key_store_failed)?;
        signature_from(&signature)
    }
}

/// A held credential's status, as its issuer's status list says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum CredentialStatus {
    /// Neither suspended nor revoked.
    Valid,
    /// Suspended for now (e.g. during an investigation); it may be reinstated.
    Suspended,
    /// Revoked for good (e.g. the person left).
    Revoked,
    /// It names no status list.
    NoStatus,
}

impl From<CoreStatus> for CredentialStatus {
    fn from(status: CoreStatus) -> Self {
        match status {
            CoreStatus::Valid => CredentialStatus::Valid,
            CoreStatus::Suspended => CredentialStatus::Suspended,
            CoreStatus::Revoked => CredentialStatus::Revoked,
            CoreStatus::NoStatus => CredentialStatus::NoStatus,
        }
    }
}

/// Told when a refresh finds that a credential's status changed (e.g. to show a
/// notification "your employment credential was suspended").
#[uniffi::export(with_foreign)]
pub trait WalletListener: Send + Sync {
    /// `credential_id`'s status list now says `status` (already stored and in the history).
    fn credential_status_changed(&self, credential_id: String, status: CredentialStatus);
}

struct ForeignListener(Arc<dyn WalletListener>);

impl StatusListener for ForeignListener {
    fn status_changed(&self, credential_id: &str, status: CoreStatus) {
        self.0
            .credential_status_changed(credential_id.to_owned(), status.into());
    }
}

/// How to open a wallet.
#[derive(Clone, Debug, uniffi::Record)]
pub struct WalletConfig {
    /// A folder of the app's own; the wallet's sealed store lives there.
    pub directory: String,
    /// The person's passphrase: the key sealing the store is derived from it (Argon2id).
    pub passphrase: String,
    /// The trust framework's signed trust list: verifiers not listed as active are
    /// refused. Without it, who asks is shown unchecked.
    pub trust_list_url: Option<String>,
    /// The DID the trust list must be signed by (default: derived from its URL).
    pub registry_did: Option<String>,
    /// Plain HTTP to 127.0.0.1 (development and tests only).
    pub allow_loopback_http: bool,
}

/// A credential in the wallet.
#[derive(Clone, Debug, uniffi::Record)]
pub struct Credential {
    /// The wallet's id for it (what `answer` and `delete_credential` take).
    pub id: String,
    /// `ldp_vc` or `dc+sd-jwt`.
    pub format: String,
    /// The issuer's name for it (from its metadata), or its configuration id.
    pub name: String,
    /// The issuer's OpenID4VCI credential configuration it came from.
    pub configuration_id: String,
    /// The credential issuer's URL.
    pub issuer: String,
    /// When the wallet received it (RFC 3339).
    pub received_at: String,
    /// The credential as received: JSON for `ldp_vc`, the SD-JWT text for `dc+sd-jwt`.
    pub raw: String,
}

impl From<StoredCredential> for Credential {
    fn from(stored: StoredCredential) -> Self {
        Credential {
            name: stored.display_name(),
            raw: match &stored.credential {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            },
            id: stored.id,
            format: stored.format,
            configuration_id: stored.configuration_id,
            issuer: stored.credential_issuer,
            received_at: stored.received_at,
        }
    }
}

/// What an offer offers, read before the person agrees to anything.
#[derive(Clone, Debug, uniffi::Record)]
pub struct Offer {
    /// The credential issuer's URL.
    pub issuer: String,
    /// What is offered: the issuer's credential configuration ids.
    pub configuration_ids: Vec<String>,
    /// The person must type the PIN their RA gave them separately.
    pub needs_pin: bool,
}

/// One thing the verifier asks for, and what in the wallet could answer it.
#[derive(Clone, Debug, uniffi::Record)]
pub struct RequestedCredential {
    /// The DCQL credential query's id (the key of `answer`'s choices).
    pub query_id: String,
    /// The format asked for: `ldp_vc` or `dc+sd-jwt`.
    pub format: String,
    /// The held credentials that could answer, best first (empty: none can).
    pub candidates: Vec<Candidate>,
}

/// A credential that answers a query, and exactly what would be disclosed.
#[derive(Clone, Debug, uniffi::Record)]
pub struct Candidate {
    /// The held credential's id.
    pub credential_id: String,
    /// Claims paths (JSON arrays) that would be disclosed.
    pub disclosed: Vec<String>,
    /// The whole credential goes (Data Integrity credentials cannot be partly disclosed).
    pub whole_credential: bool,
}

/// A checked presentation request: who asks and what for. Answer it with
/// [`PassportWallet::answer`].
#[derive(uniffi::Object)]
pub struct Request {
    inner: PresentationRequest,
}

#[uniffi::export]
impl Request {
    /// The verifier's DID (its key signed the request).
    pub fn verifier_did(&self) -> String {
        self.inner.verifier_did.clone()
    }

    /// Who the trust registry says the verifier is (`None` when the wallet checks no
    /// trust list).
    pub fn registered_name(&self) -> Option<String> {
        self.inner.registered_as.as_ref().map(|r| r.name.clone())
    }

    /// The organisation code the trust registry lists for the verifier.
    pub fn registered_ods_code(&self) -> Option<String> {
        self.inner
            .registered_as
            .as_ref()
            .map(|r| r.ods_code.clone())
    }

    /// The name the verifier gives itself (not checked).
    pub fn claimed_name(&self) -> Option<String> {
        self.inner.verifier_name.clone()
    }

    /// What is asked, query by query, with the credentials that could answer.
    pub fn requested(&self) -> Vec<RequestedCredential> {
        self.inner
            .dcql_query
            .credentials
            .iter()
            .map(|query| RequestedCredential {
                query_id: query.id.clone(),
                format: query.format.clone(),
                candidates: self
                    .inner
                    .candidates
                    .get(&query.id)
                    .into_iter()
                    .flatten()
                    .map(|c| Candidate {
                        credential_id: c.credential_id.clone(),
                        disclosed: c
                            .disclosed
                            .iter()
                            .map(|path| serde_json::to_string(path).unwrap_or_default())
                            .collect(),
                        whole_credential: c.whole_credential,
                    })
                    .collect(),
            })
            .collect()
    }
}

/// One line of the wallet's history.
#[derive(Clone, Debug, uniffi::Record)]
pub struct HistoryItem {
    /// `received`, `presented`, `deleted` or `status_changed`.
    pub event: String,
    /// When (RFC 3339).
    pub at: String,
    /// The credentials concerned.
    pub credential_ids: Vec<String>,
    /// For `presented`: the verifier's client_id and registered name.
    pub verifier: Option<String>,
    /// For `presented`: the verifier's name as the registry lists it, when known.
    pub verifier_name: Option<String>,
    /// For `presented`: the claims disclosed (claims paths as JSON arrays).
    pub claims: Vec<String>,
    /// For `status_changed`: the new status.
    pub status: Option<CredentialStatus>,
}

impl From<HistoryEntry> for HistoryItem {
    fn from(entry: HistoryEntry) -> Self {
        let item = |event: &str, at: String, credential_ids: Vec<String>| HistoryItem {
            event: event.to_owned(),
            at,
            credential_ids,
            verifier: None,
            verifier_name: None,
            claims: Vec::new(),
            status: None,
        };
        match entry {
            HistoryEntry::Received {
                at, credential_id, ..
            } => item("received", at, vec![credential_id]),
            HistoryEntry::Presented {
                at,
                verifier,
                verifier_name,
                credential_ids,
                claims,
            } => HistoryItem {
                verifier: Some(verifier),
                verifier_name,
                claims: claims.iter().map(|c| c.to_string()).collect(),
                ..item("presented", at, credential_ids)
            },
            HistoryEntry::Deleted { at, credential_id } => item("deleted", at, vec![credential_id]),
            HistoryEntry::StatusChanged {
                at,
                credential_id,
                status,
            } => HistoryItem {
                status: Some(status.into()),
                ..item("status_changed", at, vec![credential_id])
            },
        }
    }
}

/// A credential's status after a refresh.
#[derive(Clone, Debug, uniffi::Record)]
pub struct StatusItem {
    /// The held credential's id.
    pub credential_id: String,
    /// `None` when the list could not be read (offline…); `error` says why.
    pub status: Option<CredentialStatus>,
    /// Why the list could not be read, when it could not.
    pub error: Option<String>,
    /// The status is new since the last refresh (the listener was told).
    pub changed: bool,
}

/// Where the wallet's work runs. uniffi polls a future on the caller's thread, and a JVM
/// or Android thread has a 1 MiB stack, less than JSON-LD canonicalisation (checking a
/// credential on receipt) can take in a debug build; so each call is moved onto these
/// threads, whose stacks are sized for it.
fn runtime() -> Result<&'static tokio::runtime::Runtime, PassportError> {
    static RUNTIME: OnceLock<std::io::Result<tokio::runtime::Runtime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_stack_size(16 * 1024 * 1024)
                .thread_name("passport-wallet")
                .enable_all()
                .build()
        })
        .as_ref()
        .map_err(|e| PassportError::Other {
            detail: format!("the wallet could not start its threads: {e}"),
        })
}

/// Runs `work` on the wallet's own threads (see [`runtime`]) and waits for it.
async fn on_wallet_threads<T, F>(work: F) -> Result<T, PassportError>
where
    T: Send + 'static,
    F: std::future::Future<Output = wallet_core::Result<T>> + Send + 'static,
{
    runtime()?
        .spawn(work)
        .await
        .map_err(|e| PassportError::Other {
            detail: format!("the wallet's work was interrupted: {e}"),
        })?
        .map_err(PassportError::from)
}

/// The person's wallet.
#[derive(uniffi::Object)]
pub struct PassportWallet {
    inner: Arc<Wallet>,
    listener: Mutex<Option<Arc<dyn WalletListener>>>,
}

#[uniffi::export(async_runtime = "tokio")]
impl PassportWallet {
    /// Opens (or creates) the wallet in `config.directory`. With `key_store`, holder keys
    /// are made and used in the app's keystore; without, in the wallet's own sealed store.
    #[uniffi::constructor]
    pub fn open(
        config: WalletConfig,
        key_store: Option<Arc<dyn HolderKeyStore>>,
    ) -> Result<Arc<Self>, PassportError> {
        let options = WalletOptions {
            allow_loopback_http: config.allow_loopback_http,
            trust_list_url: config.trust_list_url,
            registry_did: config.registry_did,
        };
        let directory = Path::new(&config.directory);
        let inner = match key_store {
            Some(keys) => Wallet::with_key_store(
                Arc::new(Store::open(directory, &config.passphrase)?),
                Arc::new(ForeignKeys(keys)),
                options,
            )?,
            None => Wallet::open(directory, &config.passphrase, options)?,
        };
        Ok(Arc::new(Self {
            inner: Arc::new(inner),
            listener: Mutex::new(None),
        }))
    }

    /// The listener told of status changes found by [`PassportWallet::refresh_statuses`].
    pub fn set_listener(&self, listener: Option<Arc<dyn WalletListener>>) {
        if let Ok(mut slot) = self.listener.lock() {
            *slot = listener;
        }
    }

    /// The holder's did:key (the subject of its Data Integrity credentials).
    pub fn holder_did(&self) -> Result<String, PassportError> {
        Ok(self.inner.holder_did()?)
    }

    /// Reads an `openid-credential-offer://` link (from a QR code): what is offered and
    /// whether a PIN is needed.
    pub async fn read_offer(&self, link: String) -> Result<Offer, PassportError> {
        let wallet = Arc::clone(&self.inner);
        let offer = on_wallet_threads(async move { wallet.read_offer(&link).await }).await?;
        Ok(Offer {
            needs_pin: offer.needs_pin(),
            issuer: offer.credential_issuer,
            configuration_ids: offer.credential_configuration_ids,
        })
    }

    /// Accepts an offer with the PIN given separately: every offered credential is
    /// fetched, bound to the holder's keys, checked and stored.
    pub async fn accept_offer(
        &self,
        link: String,
        pin: Option<String>,
    ) -> Result<Vec<Credential>, PassportError> {
        let wallet = Arc::clone(&self.inner);
        let received =
            on_wallet_threads(async move { wallet.accept_offer(&link, pin.as_deref()).await })
                .await?;
        Ok(received.into_iter().map(Credential::from).collect())
    }

    /// Every credential in the wallet.
    pub fn credentials(&self) -> Result<Vec<Credential>, PassportError> {
        Ok(self
            .inner
            .credentials()?
            .into_iter()
            .map(Credential::from)
            .collect())
    }

    /// Deletes a credential from the wallet (its status at the issuer does not change).
    pub fn delete_credential(&self, credential_id: String) -> Result<(), PassportError> {
        Ok(self.inner.delete_credential(&credential_id)?)
    }

    /// Reads an `openid4vp://` link (from a verifier's QR code) and checks the request:
    /// signed by the verifier it names, which the trust registry lists as active.
    pub async fn read_request(&self, link: String) -> Result<Arc<Request>, PassportError> {
        let wallet = Arc::clone(&self.inner);
        let inner = on_wallet_threads(async move { wallet.read_request(&link).await }).await?;
        Ok(Arc::new(Request { inner }))
    }

    /// Answers a request with the credentials the person chose (query id → credential
    /// id), disclosing only what each query asks. Returns the verifier's redirect, if any.
    pub async fn answer(
        &self,
        request: Arc<Request>,
        chosen: HashMap<String, String>,
    ) -> Result<Option<String>, PassportError> {
        let chosen: BTreeMap<String, String> = chosen.into_iter().collect();
        let wallet = Arc::clone(&self.inner);
        let receipt =
            on_wallet_threads(async move { wallet.answer(&request.inner, &chosen).await }).await?;
        Ok(receipt.redirect_uri)
    }

    /// Everything received, presented, deleted, and every status change, oldest first.
    pub fn history(&self) -> Result<Vec<HistoryItem>, PassportError> {
        Ok(self
            .inner
            .history()?
            .into_iter()
            .map(HistoryItem::from)
            .collect())
    }

    /// Reads each credential's status from its list; the listener hears of every change.
    pub async fn refresh_statuses(&self) -> Result<Vec<StatusItem>, PassportError> {
        let listener = self.listener.lock().ok().and_then(|l| l.clone());
        let wallet = Arc::clone(&self.inner);
        let reports = on_wallet_threads(async move {
            match listener {
                Some(listener) => {
                    wallet
                        .refresh_statuses_telling(&ForeignListener(listener))
                        .await
                }
                None => wallet.refresh_statuses().await,
            }
        })
        .await?;
        Ok(reports
            .into_iter()
            .map(|report| StatusItem {
                changed: report.changed(),
                status: report.status.as_ref().ok().map(|s| (*s).into()),
                error: report.status.err(),
                credential_id: report.credential_id,
            })
            .collect())
    }
}
