use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The kinds of problem our services report, each with a stable `type` URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    MalformedRequest,
    UnsupportedMediaType,
    PayloadTooLarge,
    Unauthorized,
    Forbidden,
    NotFound,
    InvalidRecord,
    Conflict,
    UnknownOption,
    /// A service this one depends on is down; retrying later may work.
    Unavailable,
    Internal,
}

impl ProblemKind {
    pub fn status(self) -> StatusCode {
        match self {
            ProblemKind::MalformedRequest | ProblemKind::UnknownOption => StatusCode::BAD_REQUEST,
            ProblemKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProblemKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ProblemKind::Forbidden => StatusCode::FORBIDDEN,
            ProblemKind::NotFound => StatusCode::NOT_FOUND,
            ProblemKind::InvalidRecord => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemKind::Conflict => StatusCode::CONFLICT,
            ProblemKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ProblemKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem `type`. VC API's unknown-option type is reused where it applies.
    pub fn type_url(self) -> &'static str {
        match self {
            ProblemKind::MalformedRequest => {
                "https://staff-passport.nhs.uk/problems/malformed-request"
            }
            ProblemKind::UnsupportedMediaType => {
                "https://staff-passport.nhs.uk/problems/unsupported-media-type"
            }
            ProblemKind::PayloadTooLarge => {
                "https://staff-passport.nhs.uk/problems/payload-too-large"
            }
            ProblemKind::Unauthorized => "https://staff-passport.nhs.uk/problems/unauthorized",
            ProblemKind::Forbidden => "https://staff-passport.nhs.uk/problems/forbidden",
            ProblemKind::NotFound => "https://staff-passport.nhs.uk/problems/not-found",
            ProblemKind::InvalidRecord => "https://staff-passport.nhs.uk/problems/invalid-record",
            ProblemKind::Conflict => "https://staff-passport.nhs.uk/problems/conflict",
            ProblemKind::UnknownOption => "https://www.w3.org/TR/vcalm#UNKNOWN_OPTION_PROVIDED",
            ProblemKind::Unavailable => "https://staff-passport.nhs.uk/problems/unavailable",
            ProblemKind::Internal => "https://staff-passport.nhs.uk/problems/internal",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ProblemKind::MalformedRequest => "The request is malformed",
            ProblemKind::UnsupportedMediaType => "The request body must be JSON",
            ProblemKind::PayloadTooLarge => "The request body is too large",
            ProblemKind::Unauthorized => "Authentication is required",
            ProblemKind::Forbidden => "Not allowed",
            ProblemKind::NotFound => "Not found",
            ProblemKind::InvalidRecord => "The record breaks a business rule",
            ProblemKind::Conflict => "Conflicts with the current state",
            ProblemKind::UnknownOption => "An unknown option was provided",
            ProblemKind::Unavailable => "A service this depends on is unavailable",
            ProblemKind::Internal => "Internal error",
        }
    }
}

/// An RFC 9457 problem response. 5xx bodies never carry internal detail: the detail goes
/// to the log instead.
#[derive(Debug)]
pub struct ApiError {
    pub kind: ProblemKind,
    pub detail: String,
    /// Extension members (e.g. the list of rejected records).
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

impl ApiError {
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            extensions: serde_json::Map::new(),
        }
    }

    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(ProblemKind::MalformedRequest, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(ProblemKind::NotFound, detail)
    }

    /// An internal failure: logged in full here, reported to the client without detail.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            ProblemKind::Internal,
            "the service could not complete the request",
        )
    }

    pub fn with(mut self, key: &str, value: impl Serialize) -> Self {
        if let Ok(value) = serde_json::to_value(value) {
            self.extensions.insert(key.to_owned(), value);
        }
        self
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.title(), self.detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.kind.status();
        let mut body = serde_json::Map::new();
        body.insert("type".into(), self.kind.type_url().into());
        body.insert("title".into(), self.kind.title().into());
        body.insert("status".into(), status.as_u16().into());
        body.insert("detail".into(), self.detail.into());
        body.extend(self.extensions);
        let text = serde_json::Value::Object(body).to_string();
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            text,
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

/// Any route we do not serve answers with problem JSON too.
pub async fn not_found_fallback() -> ApiError {
    ApiError::not_found("no such resource")
}
