/// What can go wrong in the wallet, with fields a phone's UI (through the bindings) can show.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    #[error("the passphrase does not open this wallet")]
    WrongPassphrase,
    #[error("wallet storage failed: {detail}")]
    Storage { detail: String },
    #[error("stored data is unreadable (tampered or corrupt): {detail}")]
    Corrupt { detail: String },
    #[error("no key {id} in the key store")]
    UnknownKey { id: String },
    /// The key store (a phone's keystore, through the bindings) failed or answered wrongly.
    #[error("the key store failed: {detail}")]
    KeyStore { detail: String },
    #[error("not a credential offer: {detail}")]
    InvalidOffer { detail: String },
    #[error("the issuer at {url} answered in a way the protocol does not allow: {detail}")]
    Protocol { url: String, detail: String },
    #[error("the issuer refused: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused {
        error: String,
        description: Option<String>,
    },
    #[error("cannot reach {url}: {detail}")]
    Network { url: String, detail: String },
    #[error("{url} is not an HTTPS URL (plain HTTP is allowed only to loopback, when enabled)")]
    InsecureUrl { url: String },
    #[error("the received credential is not acceptable: {detail}")]
    BadCredential { detail: String },
    #[error("not a presentation request we can act on: {detail}")]
    InvalidRequest { detail: String },
    #[error("the wallet holds nothing that answers: {missing}")]
    CannotAnswer { missing: String },
    #[error("the request is not signed by the verifier it names: {detail}")]
    UntrustedVerifier { detail: String },
    #[error("no credential {id} in the wallet")]
    UnknownCredential { id: String },
    /// The issuer refused the PIN (`invalid_grant` for a request that carried one). After a
    /// few wrong PINs the offer is locked: the RA must make a new one.
    #[error("the PIN was not accepted: {detail}")]
    WrongPin { detail: String },
    /// The offer can no longer be taken (expired, used or withdrawn): the RA must make a
    /// new one.
    #[error("this offer can no longer be accepted: {detail}")]
    OfferUnavailable { detail: String },
}

pub type Result<T> = std::result::Result<T, WalletError>;

pub(crate) fn storage(e: impl std::fmt::Display) -> WalletError {
    WalletError::Storage {
        detail: e.to_string(),
    }
}
