//! Server plumbing shared by the services: RFC 9457 problem responses, a JSON body
//! extractor that answers malformed input with problem JSON, bearer-token checks,
//! settings from TOML and environment, serving over HTTP or HTTPS, and the web consoles'
//! accounts and sessions.
//!
//! Architecture invariant: no domain logic here; nothing here knows about credentials.

pub mod auth;
pub mod console;
pub mod console_web;
pub mod json;
pub mod problem;
pub mod query;
pub mod serve;
pub mod settings;
pub mod store;

pub use auth::BearerToken;
pub use json::JsonBody;
pub use problem::{ApiError, ProblemKind};
pub use query::QueryParams;
pub use serve::{Listener, TlsFiles};
