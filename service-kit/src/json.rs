use axum::extract::{FromRequest, OptionalFromRequest, Request};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::problem::{ApiError, ProblemKind};

/// The largest JSON body any endpoint accepts. An ESR extract of a large trust fits;
/// anything bigger is refused before it is parsed.
pub const MAX_JSON_BODY: usize = 8 * 1024 * 1024;

/// The largest body of a verify or issue request: a credential or presentation.
pub const MAX_DOCUMENT_BODY: usize = 512 * 1024;

/// A JSON request body. Unlike axum's `Json`, every failure (wrong content type, too
/// large, not JSON, too deep, wrong shape) is answered with RFC 9457 problem JSON.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        if !(essence == "application/json" || essence.ends_with("+json")) {
            return Err(ApiError::new(
                ProblemKind::UnsupportedMediaType,
                "send the body as application/json",
            ));
        }
        let bytes = bytes::Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        ProblemKind::PayloadTooLarge,
                        "the body is larger than this endpoint accepts",
                    )
                } else {
                    ApiError::malformed("the body could not be read")
                }
            })?;
        Ok(JsonBody(parse_body(&bytes)?))
    }
}

/// Parses a body, naming the field that is wrong when one is. serde_json refuses nesting
/// deeper than 128 levels with an error, never a stack overflow.
fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let malformed = |problem: String| {
        ApiError::malformed(format!(
            "the body is not valid JSON for this endpoint: {problem}"
        ))
    };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let problem = e.into_inner();
        if path == "." {
            malformed(problem.to_string())
        } else {
            malformed(format!("{path}: {problem}"))
        }
    })?;
    deserializer.end().map_err(|e| malformed(e.to_string()))?;
    Ok(value)
}

/// An optional JSON body: no body at all (no content type, no length) is `None`.
impl<T: DeserializeOwned, S: Send + Sync> OptionalFromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Option<Self>, ApiError> {
        let headers = request.headers();
        let empty = headers.get(header::CONTENT_TYPE).is_none()
            && headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .is_none_or(|v| v == "0");
        if empty {
            return Ok(None);
        }
        <Self as FromRequest<S>>::from_request(request, state)
            .await
            .map(Some)
    }
}

impl<T: serde::Serialize> IntoResponse for JsonBody<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::parse_body;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Offer {
        types: Option<Vec<String>>,
        expires_in_seconds: Option<u64>,
    }

    fn detail_of(body: &str) -> String {
        parse_body::<Offer>(body.as_bytes()).unwrap_err().detail
    }

    #[test]
    fn a_wrong_field_is_named_in_the_problem() {
        assert!(detail_of(r#"{"expires_in_seconds": -5}"#)
            .contains("expires_in_seconds: invalid value"));
        assert!(detail_of(r#"{"types": ["a", 7]}"#).contains("types[1]: invalid type"));
        assert!(detail_of(r#"{"colour": "red"}"#).contains("unknown field `colour`"));
    }

    #[test]
    fn bodies_that_are_not_one_json_value_are_refused() {
        assert!(detail_of(r#"{"types": null} {}"#).contains("trailing characters"));
        assert!(detail_of("{").contains("EOF"));
    }

    #[test]
    fn a_good_body_parses() {
        let offer: Offer =
            parse_body(br#"{"types": ["RoleCredential"], "expires_in_seconds": 60}"#).unwrap();
        assert_eq!(offer.expires_in_seconds, Some(60));
    }
}
