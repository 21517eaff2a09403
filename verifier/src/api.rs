//! HTTP: thin handlers over [`crate::service::Verifier`].

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use service_kit::json::MAX_DOCUMENT_BODY;
use service_kit::problem::not_found_fallback;
use service_kit::{ApiError, JsonBody, ProblemKind};

use crate::service::Verifier;
use crate::vc_api::{verify_credential_response, verify_presentation_response};

pub fn router(verifier: Arc<Verifier>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/credentials/verify", post(verify_credential))
        .route("/presentations/verify", post(verify_presentation))
        .route("/challenges", post(new_challenge))
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
