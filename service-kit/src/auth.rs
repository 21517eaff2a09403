use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::problem::{ApiError, ProblemKind};

/// A bearer token, held only as its SHA-256 so that comparison is constant-time over a
/// fixed length and the token itself is not kept in memory longer than needed.
#[derive(Clone)]
pub struct BearerToken {
    digest: [u8; 32],
}

impl BearerToken {
    pub fn new(token: &str) -> Self {
        Self {
            digest: Sha256::digest(token.as_bytes()).into(),
        }
    }

    pub fn matches(&self, presented: &str) -> bool {
        let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        self.digest.ct_eq(&presented).into()
    }
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(..)")
    }
}

/// Middleware: the request must carry `Authorization: Bearer <token>`.
pub async fn require_bearer(
    State(token): State<BearerToken>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match presented {
        None => Err(ApiError::new(
            ProblemKind::Unauthorized,
            "send an Authorization: Bearer token",
        )),
        Some(presented) if token.matches(presented.trim()) => Ok(next.run(request).await),
        Some(_) => Err(ApiError::new(
            ProblemKind::Unauthorized,
            "the bearer token is not valid",
        )),
    }
}
