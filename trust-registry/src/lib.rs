//! The trust registry, run by the trust-framework operator: W3C Bitstring Status Lists for
//! revocation and suspension, who may change which status, and the audit log.
//! (Work in progress for issue 4: trusted issuers, the signed trust list, the change feed
//! and the HTTP API come next.)
//!
//! Architecture invariant: a status change and its audit entry are one transaction,
//! flushed before success is answered.
//! Architecture invariant: revocation is never undone (BR-19); suspension is.

pub mod error;
pub mod registry;
pub mod store;

pub use error::{RegistryError, Result};
