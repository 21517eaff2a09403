#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("store failure: {0}")]
    Store(String),
    #[error("settings: {0}")]
    Settings(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Credential(#[from] credentials::Error),
}

pub type Result<T> = std::result::Result<T, RegistryError>;

pub(crate) fn store_error(e: impl std::fmt::Display) -> RegistryError {
    RegistryError::Store(e.to_string())
}
