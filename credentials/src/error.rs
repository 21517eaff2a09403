use thiserror::Error;

/// Everything that can go wrong in the credentials crate. Verification *outcomes* (a bad
/// signature, an expired credential) are not errors: they are entries of a [`crate::Verdict`].
#[derive(Debug, Error)]
pub enum Error {
    #[error("invalid {kind}: expected {expected}")]
    InvalidIdentifier {
        kind: &'static str,
        expected: &'static str,
    },
    #[error("invalid {regulator} registration number: expected {expected}")]
    InvalidRegistrationNumber {
        regulator: &'static str,
        expected: &'static str,
    },
    #[error("not a credential: {0}")]
    MalformedCredential(String),
    #[error("not a presentation: {0}")]
    MalformedPresentation(String),
    #[error("invalid DID or DID URL: {0}")]
    InvalidDid(String),
    #[error("invalid key material: {0}")]
    InvalidKey(String),
    #[error("signing failed: {0}")]
    Signing(String),
    /// An SD-JWT that cannot be held or presented as asked (never carries claim values).
    #[error("SD-JWT: {0}")]
    SdJwt(String),
}

pub type Result<T> = std::result::Result<T, Error>;
