//! Server plumbing shared by the services: RFC 9457 problem responses, a JSON body
//! extractor that answers malformed input with problem JSON, bearer-token checks,
//! settings from TOML and environment, and serving over HTTP or HTTPS.
//!
//! Architecture invariant: no domain logic here; nothing here knows about credentials.

pub mod auth;
pub mod json;
pub mod problem;
pub mod serve;
pub mod settings;
pub mod store;

pub use auth::BearerToken;
pub use json::JsonBody;
pub use problem::{ApiError, ProblemKind};
pub use serve::{Listener, TlsFiles};
