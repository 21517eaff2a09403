//! HTTP: thin handlers over [`crate::service::Verifier`].

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use service_kit::json::MAX_DOCUMENT_BODY;
use service_kit::problem::not_found_fallback;
use service_kit::{ApiError, JsonBody, ProblemKind};

use crate::oid4vp::{ResponseError, REQUEST_OBJECT_MEDIA_TYPE};
use crate::presentations::{Oid4vp, QrImage, RequestError};
use crate::service::Verifier;
use crate::vc_api::{verify_credential_response, verify_presentation_response};

pub fn router(verifier: Arc<Verifier>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/credentials/verify", post(verify_credential))
        .route("/presentations/verify", post(verify_presentation))
        .route("/challenges", post(new_challenge))
        // OpenID4VP: public for wallets...
        .route("/.well-known/did.json", get(did_document))
        .route("/request-objects/{id}", get(request_object))
        .route("/responses/{id}", post(wallet_response))
        // ...and for onboarding officers, with their bearer token.
        .route("/presentation-templates", get(list_templates))
        .route("/presentation-requests", post(start_request))
        .route("/presentation-requests/{id}", get(read_request))
        .route("/presentation-requests/{id}/qr.png", get(request_qr_png))
        .route("/presentation-requests/{id}/qr.svg", get(request_qr_svg))
        .merge(crate::api_onboarding::routes())
        .merge(crate::console::routes())
        .layer(DefaultBodyLimit::max(MAX_DOCUMENT_BODY))
        .fallback(not_found_fallback)
        .with_state(verifier)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyCredentialRequest {
    #[serde(rename = "verifiableCredential")]
    verifiable_credential: Value,
    #[serde(default)]
    options: VerifyOptions,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct VerifyOptions {
    challenge: Option<String>,
    domain: Option<String>,
    #[serde(default)]
    return_results: Option<bool>,
    #[serde(default)]
    return_problem_details: Option<bool>,
    #[serde(default)]
    return_credential: bool,
    #[serde(default)]
    return_presentation: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyPresentationRequest {
    #[serde(rename = "verifiablePresentation")]
    verifiable_presentation: Value,
    #[serde(default)]
    options: VerifyOptions,
}

fn unverifiable(error: credentials::Error) -> ApiError {
    ApiError::new(ProblemKind::MalformedRequest, error.to_string())
}

async fn verify_credential(
    State(verifier): State<Arc<Verifier>>,
    JsonBody(request): JsonBody<VerifyCredentialRequest>,
) -> Result<Json<Value>, ApiError> {
    let verdict = verifier
        .verify_credential(&request.verifiable_credential)
        .await
        .map_err(unverifiable)?;
    let mut body = verify_credential_response(
        &verdict,
        &request.verifiable_credential,
        request.options.return_credential,
    );
    trim(&mut body, &request.options);
    Ok(Json(body))
}

async fn verify_presentation(
    State(verifier): State<Arc<Verifier>>,
    JsonBody(request): JsonBody<VerifyPresentationRequest>,
) -> Result<Json<Value>, ApiError> {
    let options = request.options;
    let verdict = verifier
        .verify_presentation(
            &request.verifiable_presentation,
            options.challenge.clone(),
            options.domain.clone(),
        )
        .await
        .map_err(unverifiable)?;
    let mut body = verify_presentation_response(
        &verdict,
        &request.verifiable_presentation,
        options.return_presentation,
    );
    trim(&mut body, &options);
    Ok(Json(body))
}

/// `returnResults: false` and `returnProblemDetails: false` drop those members.
fn trim(body: &mut Value, options: &VerifyOptions) {
    if let Some(object) = body.as_object_mut() {
        if options.return_results == Some(false) {
            object.remove("results");
        }
        if options.return_problem_details == Some(false) {
            object.remove("problemDetails");
        }
    }
}

async fn new_challenge(State(verifier): State<Arc<Verifier>>) -> (StatusCode, Json<Value>) {
    (
        StatusCode::CREATED,
        Json(json!({"challenge": verifier.new_challenge(), "domain": verifier.default_domain()})),
    )
}

// ---------------------------------------------------------------------------------------
// OpenID4VP

pub(crate) fn oid4vp(verifier: &Verifier) -> Result<&Oid4vp, ApiError> {
    verifier.oid4vp().ok_or_else(|| {
        ApiError::not_found("OpenID4VP is not enabled on this verifier (it has no data_dir)")
    })
}

impl From<RequestError> for ApiError {
    fn from(error: RequestError) -> Self {
        match error {
            RequestError::NotFound(why) => ApiError::not_found(why),
            RequestError::Malformed(why) => ApiError::malformed(why),
            RequestError::Internal(why) => ApiError::internal(why),
        }
    }
}

/// An onboarding officer: the request carries the officer bearer token. 401 without it or
/// with another; 403 when no officer token is configured (nobody may use these endpoints).
pub(crate) struct Officer;

impl FromRequestParts<Arc<Verifier>> for Officer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        verifier: &Arc<Verifier>,
    ) -> Result<Self, ApiError> {
        let oid = oid4vp(verifier)?;
        let Some(token) = oid.officer_token() else {
            return Err(ApiError::new(
                ProblemKind::Forbidden,
                "officer endpoints are disabled: no officer_token is configured",
            ));
        };
        if token.matches(bearer_token(parts)?) {
            Ok(Officer)
        } else {
            Err(ApiError::new(
                ProblemKind::Unauthorized,
                "the bearer token is not valid",
            ))
        }
    }
}

/// The request's bearer token; 401 without one.
pub(crate) fn bearer_token(parts: &Parts) -> Result<&str, ApiError> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or_else(|| {
            ApiError::new(
                ProblemKind::Unauthorized,
                "send an Authorization: Bearer token",
            )
        })
}

async fn did_document(State(verifier): State<Arc<Verifier>>) -> Result<Response, ApiError> {
    let document = oid4vp(&verifier)?.did_document();
    Ok((
        [(header::CONTENT_TYPE, "application/did+json")],
        document.to_string(),
    )
        .into_response())
}

async fn list_templates(
    State(verifier): State<Arc<Verifier>>,
    _officer: Officer,
) -> Result<Json<Value>, ApiError> {
    let templates = oid4vp(&verifier)?.templates();
    Ok(Json(json!({ "templates": templates })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartRequest {
    template: String,
}

async fn start_request(
    State(verifier): State<Arc<Verifier>>,
    _officer: Officer,
    JsonBody(request): JsonBody<StartRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let oid = oid4vp(&verifier)?;
    let created = verifier.create_presentation_request(oid, &request.template)?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn read_request(
    State(verifier): State<Arc<Verifier>>,
    _officer: Officer,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let view = verifier.presentation_request_view(oid4vp(&verifier)?, &id)?;
    // Results hold personal data: no cache on the way may keep them.
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(view)).into_response())
}

async fn request_qr_png(
    State(verifier): State<Arc<Verifier>>,
    _officer: Officer,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let png = verifier.request_qr(oid4vp(&verifier)?, &id, QrImage::Png)?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}

async fn request_qr_svg(
    State(verifier): State<Arc<Verifier>>,
    _officer: Officer,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let svg = verifier.request_qr(oid4vp(&verifier)?, &id, QrImage::Svg)?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

async fn request_object(
    State(verifier): State<Arc<Verifier>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let jwt = verifier.request_object(oid4vp(&verifier)?, &id)?;
    Ok((
        [
            (header::CONTENT_TYPE, REQUEST_OBJECT_MEDIA_TYPE),
            (header::CACHE_CONTROL, "no-store"),
        ],
        jwt,
    )
        .into_response())
}

/// The response endpoint speaks OAuth (§8.2): `application/json` always, `{}` when the
/// answer was accepted, `{error, error_description}` when it was not.
fn oauth_answer(result: Result<Value, ResponseError>) -> Response {
    let (status, body) = match result {
        Ok(body) => (StatusCode::OK, body),
        Err(error) => (
            StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST),
            error.body(),
        ),
    };
    (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

async fn wallet_response(
    State(verifier): State<Arc<Verifier>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(oid) = verifier.oid4vp() else {
        return oauth_answer(Err(ResponseError {
            status: 404,
            error: "invalid_request",
            description: "OpenID4VP is not enabled on this verifier".into(),
        }));
    };
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form {
        return oauth_answer(Err(ResponseError::invalid_request(
            "the response must be application/x-www-form-urlencoded (direct_post)",
        )));
    }
    oauth_answer(verifier.receive_response(oid, &id, &body).await)
}
