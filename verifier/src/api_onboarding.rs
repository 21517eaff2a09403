//! HTTP for onboarding: thin handlers over [`crate::onboarding`]. Officers start and read
//! onboardings (the officer token); HR users read them too, decide, and export the grants
//! and the audit log (the HR token).

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use service_kit::{ApiError, JsonBody, ProblemKind, QueryParams};

use crate::api::{bearer_token, oid4vp};
use crate::onboarding::{grants_csv, OnboardingError, StartOnboarding};
use crate::service::Verifier;

pub(crate) fn routes() -> Router<Arc<Verifier>> {
    Router::new()
        .route("/onboarding/choices", get(choices))
        .route("/onboardings", post(start).get(list))
        .route("/onboardings/{id}", get(read))
        .route("/onboardings/{id}/accept", post(accept))
        .route("/onboardings/{id}/bypass", post(bypass))
        .route("/onboardings/{id}/grants", get(grants_of))
        .route("/onboardings/{id}/grants.csv", get(grants_of_csv))
        .route("/grants", get(all_grants))
        .route("/grants.csv", get(all_grants_csv))
        .route("/onboarding-audit", get(audit))
}

impl From<OnboardingError> for ApiError {
    fn from(error: OnboardingError) -> Self {
        match error {
            OnboardingError::NotFound(why) => ApiError::not_found(why),
            OnboardingError::Invalid(why) => ApiError::malformed(why),
            OnboardingError::Conflict(why) => ApiError::new(ProblemKind::Conflict, why),
            OnboardingError::Internal(why) => ApiError::internal(why),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Officer,
    Hr,
}

/// Who calls: an onboarding officer or an HR user, by their bearer token.
struct Caller(Role);

impl FromRequestParts<Arc<Verifier>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        verifier: &Arc<Verifier>,
    ) -> Result<Self, ApiError> {
        let presented = bearer_token(parts)?;
        let hr = verifier.onboarding().and_then(|o| o.hr_token());
        let officer = oid4vp(verifier)?.officer_token();
        // HR first: where one token serves both (a development set-up), it may do both.
        if hr.is_some_and(|t| t.matches(presented)) {
            Ok(Caller(Role::Hr))
        } else if officer.is_some_and(|t| t.matches(presented)) {
            Ok(Caller(Role::Officer))
        } else {
            Err(ApiError::new(
                ProblemKind::Unauthorized,
                "the bearer token is not valid",
            ))
        }
    }
}

impl Caller {
    fn must_be_hr(&self) -> Result<(), ApiError> {
        match self.0 {
            Role::Hr => Ok(()),
            Role::Officer => Err(ApiError::new(
                ProblemKind::Forbidden,
                "only an HR user may do this (BR-27)",
            )),
        }
    }
}

fn no_store(body: impl IntoResponse) -> Response {
    // Onboardings hold personal data: no cache on the way may keep them.
    ([(header::CACHE_CONTROL, "no-store")], body).into_response()
}

async fn choices(
    State(verifier): State<Arc<Verifier>>,
    _caller: Caller,
) -> Result<Json<Value>, ApiError> {
    let onboarding = verifier.onboarding().ok_or_else(|| {
        ApiError::not_found("onboarding is not enabled on this verifier (it has no policy_file)")
    })?;
    Ok(Json(onboarding.choices()))
}

async fn start(
    State(verifier): State<Arc<Verifier>>,
    _caller: Caller,
    JsonBody(request): JsonBody<StartOnboarding>,
) -> Result<(StatusCode, Response), ApiError> {
    let started = verifier.start_onboarding(&request)?;
    Ok((StatusCode::CREATED, no_store(Json(started))))
}

async fn list(
    State(verifier): State<Arc<Verifier>>,
    _caller: Caller,
) -> Result<Response, ApiError> {
    Ok(no_store(Json(
        json!({"onboardings": verifier.onboardings()?}),
    )))
}

async fn read(
    State(verifier): State<Arc<Verifier>>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(no_store(Json(verifier.read_onboarding(&id)?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Accept {
    by: String,
}

async fn accept(
    State(verifier): State<Arc<Verifier>>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<Accept>,
) -> Result<Response, ApiError> {
    caller.must_be_hr()?;
    Ok(no_store(Json(
        verifier.accept_onboarding(&id, &request.by)?,
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Bypass {
    by: String,
    justification: String,
}

async fn bypass(
    State(verifier): State<Arc<Verifier>>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<Bypass>,
) -> Result<Response, ApiError> {
    caller.must_be_hr()?;
    Ok(no_store(Json(verifier.bypass_onboarding(
        &id,
        &request.by,
        &request.justification,
    )?)))
}

fn csv_response(csv: String, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        csv,
    )
        .into_response()
}

async fn grants_of(
    State(verifier): State<Arc<Verifier>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.must_be_hr()?;
    Ok(no_store(Json(
        json!({"grants": verifier.recorded_grants(Some(&id))?}),
    )))
}

async fn grants_of_csv(
    State(verifier): State<Arc<Verifier>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.must_be_hr()?;
    let rows = verifier.recorded_grants(Some(&id))?;
    Ok(csv_response(
        grants_csv(&rows)?,
        &format!("grants-{id}.csv"),
    ))
}

async fn all_grants(
    State(verifier): State<Arc<Verifier>>,
    caller: Caller,
) -> Result<Response, ApiError> {
    caller.must_be_hr()?;
    Ok(no_store(Json(
        json!({"grants": verifier.recorded_grants(None)?}),
    )))
}

async fn all_grants_csv(
    State(verifier): State<Arc<Verifier>>,
    caller: Caller,
) -> Result<Response, ApiError> {
    caller.must_be_hr()?;
    let rows = verifier.recorded_grants(None)?;
    Ok(csv_response(grants_csv(&rows)?, "grants.csv"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditFilter {
    onboarding: Option<String>,
}

async fn audit(
    State(verifier): State<Arc<Verifier>>,
    caller: Caller,
    QueryParams(filter): QueryParams<AuditFilter>,
) -> Result<Response, ApiError> {
    caller.must_be_hr()?;
    let entries = verifier.onboarding_audit(filter.onboarding.as_deref())?;
    Ok(no_store(Json(json!({"entries": entries}))))
}
