//! HTTP: thin handlers over [`crate::service::Issuer`].

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use credentials::vocabulary::{schema_document, CONTEXT_DOCUMENT, CONTEXT_PATH};
use credentials::{CredentialKind, Cryptosuite};
use serde::Deserialize;
use serde_json::{json, Value};
use service_kit::json::{MAX_DOCUMENT_BODY, MAX_JSON_BODY};
use service_kit::problem::not_found_fallback;
use service_kit::QueryParams;
use service_kit::{ApiError, BearerToken, JsonBody, ProblemKind};

use crate::error::IssuerError;
use crate::events::{EventRejection, ReasonCode};
use crate::lifecycle::{EventError, RaDecision};
use crate::service::{Issuer, PersonIssueRequest, VcApiIssueRequest};
use crate::store::RaRequestState;

pub fn router(issuer: Arc<Issuer>, token: BearerToken) -> Router {
    let vc_api = Router::new()
        .route("/credentials/issue", post(issue_rdfc))
        .route(
            "/instances/eddsa-rdfc-2022/credentials/issue",
            post(issue_rdfc),
        )
        .route(
            "/instances/eddsa-jcs-2022/credentials/issue",
            post(issue_jcs),
        )
        .layer(DefaultBodyLimit::max(MAX_DOCUMENT_BODY));
    let admin = Router::new()
        .route("/admin/people", post(import_people).get(list_people))
        .route("/admin/people/{person_id}", get(person))
        .route(
            "/admin/people/{person_id}/credentials",
            post(issue_for_person).get(person_credentials),
        )
        .route("/admin/issuances", get(issuances))
        .route("/esr/events", post(esr_events).get(event_log))
        .route("/ra/requests", get(ra_requests))
        .route("/ra/requests/{request_id}/accept", post(accept_ra_request))
        .route("/ra/requests/{request_id}/reject", post(reject_ra_request))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY));
    let protected = vc_api
        .merge(admin)
        .merge(crate::api_oid4vci::admin_routes())
        .route_layer(middleware::from_fn_with_state(
            token,
            service_kit::auth::require_bearer,
        ));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/.well-known/did.json", get(did_document))
        .route(CONTEXT_PATH, get(context))
        .route("/schemas/{slug}/v1", get(schema))
        .merge(crate::api_oid4vci::public_routes())
        .merge(crate::console::routes())
        .merge(protected)
        .fallback(not_found_fallback)
        .with_state(issuer)
}

impl From<IssuerError> for ApiError {
    fn from(error: IssuerError) -> Self {
        match error {
            IssuerError::InvalidRecords(rejected) => {
                let detail = format!("{} record(s) are invalid; nothing was imported (ask to skip invalid records to import the rest)", rejected.len());
                ApiError::new(ProblemKind::InvalidRecord, detail).with("rejected", rejected)
            }
            IssuerError::BadRequest(detail) => ApiError::malformed(detail),
            IssuerError::UnknownOption(detail) => ApiError::new(ProblemKind::UnknownOption, detail),
            IssuerError::UnknownPerson(id) => ApiError::not_found(format!("no person {id}")),
            IssuerError::NotFound(detail) => ApiError::not_found(detail),
            IssuerError::Conflict(detail) => ApiError::new(ProblemKind::Conflict, detail),
            IssuerError::NotIssuable(detail) => ApiError::new(ProblemKind::InvalidRecord, detail),
            IssuerError::Credential(e) => ApiError::malformed(e.to_string()),
            IssuerError::Registry(detail) => {
                tracing::error!(%detail, "trust registry call failed");
                ApiError::new(
                    ProblemKind::Unavailable,
                    "the trust registry could not allocate or change status entries; nothing was issued or acknowledged",
                )
            }
            e @ (IssuerError::Store(_) | IssuerError::Settings(_)) => ApiError::internal(e),
        }
    }
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

fn json_ld(body: String, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

async fn did_document(State(issuer): State<Arc<Issuer>>) -> Response {
    json_ld(issuer.did_document().to_string(), "application/did+json")
}

async fn context() -> Response {
    json_ld(CONTEXT_DOCUMENT.to_owned(), "application/ld+json")
}

async fn schema(Path(slug): Path<String>) -> Result<Response, ApiError> {
    let kind = CredentialKind::from_slug(&slug)
        .ok_or_else(|| ApiError::not_found(format!("no schema {slug}")))?;
    Ok(json_ld(
        schema_document(kind).to_owned(),
        "application/schema+json",
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportQuery {
    #[serde(default)]
    skip_invalid: bool,
}

async fn import_people(
    State(issuer): State<Arc<Issuer>>,
    QueryParams(query): QueryParams<ImportQuery>,
    JsonBody(extract): JsonBody<Value>,
) -> Result<Json<Value>, ApiError> {
    let report = issuer.import_people(&extract, query.skip_invalid)?;
    Ok(Json(
        serde_json::to_value(report).map_err(ApiError::internal)?,
    ))
}

async fn list_people(State(issuer): State<Arc<Issuer>>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "people": issuer.people_summary()? })))
}

async fn person(
    State(issuer): State<Arc<Issuer>>,
    Path(person_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(issuer.person(&person_id)?))
}

async fn issue_for_person(
    State(issuer): State<Arc<Issuer>>,
    Path(person_id): Path<String>,
    body: Option<JsonBody<PersonIssueRequest>>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request = body.map(|JsonBody(request)| request).unwrap_or_default();
    let issued = issuer.issue_for_person(&person_id, &request).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "verifiableCredentials": issued })),
    ))
}

async fn issuances(State(issuer): State<Arc<Issuer>>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "issuances": issuer.issuances()? })))
}

async fn issue_rdfc(
    state: State<Arc<Issuer>>,
    body: JsonBody<VcApiIssueRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    issue(state, body, Cryptosuite::EddsaRdfc2022).await
}

async fn issue_jcs(
    state: State<Arc<Issuer>>,
    body: JsonBody<VcApiIssueRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    issue(state, body, Cryptosuite::EddsaJcs2022).await
}

async fn issue(
    State(issuer): State<Arc<Issuer>>,
    JsonBody(request): JsonBody<VcApiIssueRequest>,
    suite: Cryptosuite,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let credential = issuer.issue_vc_api(request, suite).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "verifiableCredential": credential })),
    ))
}

async fn person_credentials(
    State(issuer): State<Arc<Issuer>>,
    Path(person_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "credentials": issuer.person_ledger(&person_id)? }),
    ))
}

impl From<EventRejection> for ApiError {
    fn from(rejection: EventRejection) -> Self {
        let kind = match rejection.reason_code {
            ReasonCode::OutOfOrder | ReasonCode::EventIdReused | ReasonCode::DuplicateEvent => {
                ProblemKind::Conflict
            }
            _ => ProblemKind::InvalidRecord,
        };
        ApiError::new(kind, rejection.detail)
            .with("reason_code", rejection.reason_code)
            .with("event_id", rejection.event_id)
    }
}

/// One event as `application/json`, or a batch as JSON Lines (`application/jsonl`,
/// `application/x-ndjson`), as ESR's outbound interface sends them.
async fn esr_events(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::malformed("the body must be UTF-8 text"))?;
    match media_type.as_str() {
        "application/json" => {
            let event: Value = serde_json::from_str(text).map_err(|e| {
                ApiError::from(EventRejection {
                    reason_code: ReasonCode::MalformedEvent,
                    detail: format!("the body is not JSON: {e}"),
                    event_id: None,
                })
            })?;
            match issuer.apply_event(&event).await {
                // A repeat delivery is reported, with what the first one did; it changes nothing.
                Ok(reply) if reply.duplicate => Err(ApiError::new(
                    ProblemKind::Conflict,
                    format!("{} was applied before; nothing changed", reply.event_id),
                )
                .with("reason_code", ReasonCode::DuplicateEvent)
                .with("event_id", &reply.event_id)
                .with("applied", &reply)),
                Ok(reply) => Ok(Json(reply).into_response()),
                Err(EventError::Rejected(rejection)) => Err(rejection.into()),
                Err(EventError::Failed(error)) => Err(error.into()),
            }
        }
        "application/jsonl" | "application/x-ndjson" | "application/x-jsonlines" => {
            let lines = issuer.apply_event_batch(text).await;
            let count = |result: &str| lines.iter().filter(|l| l.result == result).count();
            Ok(Json(json!({
                "summary": {
                    "accepted": count("accepted"),
                    "accepted_pending_manual_grant": count("accepted_pending_manual_grant"),
                    "scheduled": count("scheduled"),
                    "duplicate": count("duplicate"),
                    "rejected": count("rejected"),
                    "not_processed": count("not_processed"),
                },
                "results": lines,
            }))
            .into_response())
        }
        _ => Err(ApiError::new(
            ProblemKind::UnsupportedMediaType,
            "send one event as application/json or a batch as application/jsonl",
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventLogQuery {
    person_id: Option<String>,
}

async fn event_log(
    State(issuer): State<Arc<Issuer>>,
    QueryParams(query): QueryParams<EventLogQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "events": issuer.event_log(query.person_id.as_deref())? }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RaRequestQuery {
    state: Option<RaRequestState>,
}

async fn ra_requests(
    State(issuer): State<Arc<Issuer>>,
    QueryParams(query): QueryParams<RaRequestQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "requests": issuer.ra_requests(query.state)? }),
    ))
}

async fn accept_ra_request(
    State(issuer): State<Arc<Issuer>>,
    Path(request_id): Path<String>,
    JsonBody(decision): JsonBody<RaDecision>,
) -> Result<Json<Value>, ApiError> {
    let request = issuer
        .decide_ra_request(&request_id, true, decision)
        .await?;
    Ok(Json(
        serde_json::to_value(request).map_err(ApiError::internal)?,
    ))
}

async fn reject_ra_request(
    State(issuer): State<Arc<Issuer>>,
    Path(request_id): Path<String>,
    JsonBody(decision): JsonBody<RaDecision>,
) -> Result<Json<Value>, ApiError> {
    let request = issuer
        .decide_ra_request(&request_id, false, decision)
        .await?;
    Ok(Json(
        serde_json::to_value(request).map_err(ApiError::internal)?,
    ))
}
