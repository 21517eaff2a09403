use crate::esr::RecordRejection;

#[derive(Debug, thiserror::Error)]
pub enum IssuerError {
    #[error("store failure: {0}")]
    Store(String),
    #[error("settings: {0}")]
    Settings(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("unknown option: {0}")]
    UnknownOption(String),
    #[error("the extract has {} invalid record(s); nothing was imported", .0.len())]
    InvalidRecords(Vec<RecordRejection>),
    #[error("no person {0}")]
    UnknownPerson(String),
    #[error("{0}")]
    NotFound(String),
    /// The request does not fit the current state (e.g. an RA request already decided).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotIssuable(String),
    /// The trust registry could not allocate status entries: nothing is issued without them.
    #[error("{0}")]
    Registry(String),
    #[error(transparent)]
    Credential(#[from] credentials::Error),
}

pub type Result<T> = std::result::Result<T, IssuerError>;
