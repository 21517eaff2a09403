//! HTTP for OpenID4VCI: thin handlers over [`crate::offers`].
//!
//! The OAuth endpoints (`/token`, `/credential`) answer errors as OAuth error bodies
//! (`{"error", "error_description"}`, RFC 6749 §5.2, RFC 6750 §3, OpenID4VCI §6.3 and
//! §8.3.1.2), not as problem+json: that is what every wallet's OAuth client reads. The
//! offer endpoints (RA and wallet) are ordinary API endpoints and answer problem+json.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;
use service_kit::json::MAX_JSON_BODY;
use service_kit::{ApiError, JsonBody};

use crate::offers::{OfferRequest, QrImage};
use crate::oid4vci::OAuthError;
use crate::service::Issuer;

/// A proof JWT and a configuration id fit in far less; this bounds what an unauthenticated
/// caller can make the issuer parse.
const MAX_OAUTH_BODY: usize = 64 * 1024;

/// Routes anyone (a wallet) may call.
pub fn public_routes() -> Router<Arc<Issuer>> {
    Router::new()
        .route(
            "/.well-known/openid-credential-issuer",
            get(credential_issuer_metadata),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(authorization_server_metadata),
        )
        .route("/.well-known/jwt-vc-issuer", get(jwt_vc_issuer_metadata))
        .route("/offers/{offer_id}", get(offer_document))
        .route("/token", post(token))
        .route("/nonce", post(nonce))
        .route("/credential", post(credential))
        .layer(DefaultBodyLimit::max(MAX_OAUTH_BODY))
}

/// Routes for the RA (behind the admin bearer token).
pub fn admin_routes() -> Router<Arc<Issuer>> {
    Router::new()
        .route("/admin/people/{person_id}/offers", post(create_offer))
        .route("/admin/offers/{offer_id}", get(offer_status))
        .route("/admin/offers/{offer_id}/qr.png", get(offer_qr_png))
        .route("/admin/offers/{offer_id}/qr.svg", get(offer_qr_svg))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, no_store(), Json(self.body())).into_response();
        if matches!(self.status, 401 | 403) {
            // RFC 6750 §3: the resource server names the scheme and the error.
            let challenge = format!(
                "Bearer error=\"{}\", error_description=\"{}\"",
                self.error, self.description
            );
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

fn no_store() -> [(header::HeaderName, &'static str); 2] {
    [
        (header::CACHE_CONTROL, "no-store"),
        (header::PRAGMA, "no-cache"),
    ]
}

async fn credential_issuer_metadata(State(issuer): State<Arc<Issuer>>) -> Json<Value> {
    Json(issuer.credential_issuer_metadata())
}

async fn authorization_server_metadata(State(issuer): State<Arc<Issuer>>) -> Json<Value> {
    Json(issuer.authorization_server_metadata())
}

async fn jwt_vc_issuer_metadata(
    State(issuer): State<Arc<Issuer>>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(issuer.jwt_vc_issuer_metadata()?))
}

/// §4.1.3: the offer by reference, plain `application/json`.
async fn offer_document(
    State(issuer): State<Arc<Issuer>>,
    Path(offer_id): Path<String>,
) -> Result<Response, ApiError> {
    let offer = issuer.offer_document(&offer_id)?;
    Ok((no_store(), Json(offer)).into_response())
}

async fn token(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    if media_type(&headers).as_deref() != Some("application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request(
            "the token request must be application/x-www-form-urlencoded",
        ));
    }
    let answer = issuer.token(&body)?;
    Ok((no_store(), Json(answer)).into_response())
}

async fn nonce(State(issuer): State<Arc<Issuer>>) -> Response {
    (no_store(), Json(issuer.nonce())).into_response()
}

async fn credential(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if authorization.is_some() && media_type(&headers).as_deref() != Some("application/json") {
        return Err(OAuthError::invalid_credential_request(
            "the credential request must be application/json",
        ));
    }
    let answer = issuer.credential(authorization, &body).await?;
    Ok((no_store(), Json(answer)).into_response())
}

fn media_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
}

async fn create_offer(
    State(issuer): State<Arc<Issuer>>,
    Path(person_id): Path<String>,
    body: Option<JsonBody<OfferRequest>>,
) -> Result<(StatusCode, Response), ApiError> {
    let request = body.map(|JsonBody(request)| request).unwrap_or_default();
    let created = issuer.create_offer(&person_id, &request)?;
    // The PIN is in this answer: nothing may keep it.
    Ok((
        StatusCode::CREATED,
        (no_store(), Json(created)).into_response(),
    ))
}

async fn offer_status(
    State(issuer): State<Arc<Issuer>>,
    Path(offer_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(issuer.offer_status(&offer_id)?))
}

async fn offer_qr_png(
    State(issuer): State<Arc<Issuer>>,
    Path(offer_id): Path<String>,
) -> Result<Response, ApiError> {
    let png = issuer.offer_qr(&offer_id, QrImage::Png)?;
    Ok(([(header::CONTENT_TYPE, "image/png")], no_store(), png).into_response())
}

async fn offer_qr_svg(
    State(issuer): State<Arc<Issuer>>,
    Path(offer_id): Path<String>,
) -> Result<Response, ApiError> {
    let svg = issuer.offer_qr(&offer_id, QrImage::Svg)?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], no_store(), svg).into_response())
}
