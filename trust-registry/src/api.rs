//! HTTP: thin handlers over [`crate::registry::Registry`].

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use credentials::status_list::StatusPurpose;
use serde::Deserialize;
use serde_json::{json, Value};
use service_kit::console::ConsoleAccounts;
use service_kit::problem::not_found_fallback;
use service_kit::{ApiError, BearerToken, JsonBody, ProblemKind};

use crate::error::RegistryError;
use crate::registry::{Actor, FeedEvent, Registry, StatusAction};
use crate::store::{IssuerRecord, VerifierRecord};
use crate::trusted_issuers::{IssuerAction, IssuerUpdate, NewIssuer};
use crate::trusted_verifiers::{NewVerifier, VerifierAction};

/// The registry and the tokens that say who a caller is. Registered issuers' tokens are
/// in the registry's store (as digests); `issuers` holds those from the settings file.
/// The operator console's people sign in with their own accounts instead (`console`).
pub struct AppState {
    pub registry: Registry,
    pub operator: BearerToken,
    pub issuers: Vec<(String, BearerToken)>,
    pub ttl_seconds: u64,
    pub console: ConsoleAccounts,
    /// Whether the registry is reached over HTTPS (the console's cookies are then `Secure`).
    pub console_over_https: bool,
}

impl AppState {
    pub fn did(&self) -> &str {
        self.registry.did()
    }

    /// The operator console's accounts, e.g. to make the first administrator.
    pub fn console(&self) -> &ConsoleAccounts {
        &self.console
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .merge(crate::console::routes())
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/.well-known/did.json", get(did_document))
        .route("/status/{purpose}/{list}", get(status_list))
        .route("/token-status-lists/{list}", get(status_list_token))
        .route("/trust-list", get(trust_list))
        .route("/issuers", get(list_issuers).post(register_issuer))
        .route("/issuers/{did}", get(show_issuer).patch(update_issuer))
        .route("/issuers/{did}/suspend", post(suspend_issuer))
        .route("/issuers/{did}/reinstate", post(reinstate_issuer))
        .route("/issuers/{did}/remove", post(remove_issuer))
        .route("/issuers/{did}/token", post(rotate_token))
        .route("/verifiers", get(list_verifiers).post(register_verifier))
        .route("/verifiers/{did}", get(show_verifier))
        .route("/verifiers/{did}/suspend", post(suspend_verifier))
        .route("/verifiers/{did}/reinstate", post(reinstate_verifier))
        .route("/verifiers/{did}/remove", post(remove_verifier))
        .route("/allocations", post(allocate))
        .route("/status-changes", post(change_status))
        .route("/audit", get(audit))
        .route("/events", get(change_feed))
        .fallback(not_found_fallback)
        .with_state(state)
}

impl From<RegistryError> for ApiError {
    fn from(error: RegistryError) -> Self {
        match error {
            RegistryError::BadRequest(detail) => ApiError::malformed(detail),
            RegistryError::NotFound(detail) => ApiError::not_found(detail),
            RegistryError::Forbidden(detail) => ApiError::new(ProblemKind::Forbidden, detail),
            RegistryError::Conflict(detail) => ApiError::new(ProblemKind::Conflict, detail),
            RegistryError::Credential(e) => ApiError::malformed(e.to_string()),
            e @ (RegistryError::Store(_) | RegistryError::Settings(_)) => ApiError::internal(e),
        }
    }
}

/// The authenticated caller: the operator or one registered issuer.
struct Caller(Actor);

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                ApiError::new(
                    ProblemKind::Unauthorized,
                    "send an Authorization: Bearer token",
                )
            })?
            .trim();
        if state.operator.matches(presented) {
            return Ok(Caller(Actor::Operator("operator".into())));
        }
        if let Some(record) = state.registry.issuer_for_token(presented)? {
            return Ok(Caller(Actor::Issuer(record.did)));
        }
        state
            .issuers
            .iter()
            .find(|(_, token)| token.matches(presented))
            .map(|(did, _)| Caller(Actor::Issuer(did.clone())))
            .ok_or_else(|| {
                ApiError::new(ProblemKind::Unauthorized, "the bearer token is not valid")
            })
    }
}

/// The authenticated caller, who must be the operator: an issuer's token is refused with
/// 403 before the body is read.
struct OperatorCaller(Actor);

impl FromRequestParts<Arc<AppState>> for OperatorCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        match Caller::from_request_parts(parts, state).await?.0 {
            actor @ Actor::Operator(_) => Ok(OperatorCaller(actor)),
            Actor::Issuer(_) => Err(ApiError::new(
                ProblemKind::Forbidden,
                "trusted issuers and verifiers are managed by the operator",
            )),
        }
    }
}

async fn did_document(State(state): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/did+json")],
        state.registry.did_document().to_string(),
    )
        .into_response()
}

async fn status_list(
    State(state): State<Arc<AppState>>,
    Path((purpose, list)): Path<(String, u32)>,
) -> Result<Response, ApiError> {
    let purpose = match purpose.as_str() {
        "revocation" => StatusPurpose::Revocation,
        "suspension" => StatusPurpose::Suspension,
        _ => {
            return Err(ApiError::not_found(
                "status lists are for revocation or suspension",
            ))
        }
    };
    let signed = state.registry.status_list_credential(purpose, list).await?;
    let cache = format!("public, max-age={}", state.ttl_seconds);
    Ok((
        [
            (header::CONTENT_TYPE, "application/vc".to_owned()),
            (header::CACHE_CONTROL, cache),
        ],
        signed.to_string(),
    )
        .into_response())
}

async fn status_list_token(
    State(state): State<Arc<AppState>>,
    Path(list): Path<u32>,
) -> Result<Response, ApiError> {
    let token = state.registry.status_list_token(list)?;
    let cache = format!("public, max-age={}", state.ttl_seconds);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/statuslist+jwt".to_owned(),
            ),
            (header::CACHE_CONTROL, cache),
        ],
        token,
    )
        .into_response())
}

/// Which status mechanism a credential gets: Bitstring Status List entries for a Data
/// Integrity credential (the default), a Token Status List entry for an SD-JWT VC.
#[derive(Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum AllocationMechanism {
    #[default]
    BitstringStatusList,
    TokenStatusList,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AllocationRequest {
    credential_id: String,
    #[serde(default)]
    mechanism: AllocationMechanism,
}

async fn allocate(
    State(state): State<Arc<AppState>>,
    Caller(actor): Caller,
    JsonBody(request): JsonBody<AllocationRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Actor::Issuer(did) = actor else {
        return Err(ApiError::new(
            ProblemKind::Forbidden,
            "only an issuer allocates status entries for its credentials",
        ));
    };
    if request.mechanism == AllocationMechanism::TokenStatusList {
        let reference = state
            .registry
            .allocate_token_status(&did, &request.credential_id)?;
        return Ok((
            StatusCode::CREATED,
            Json(json!({"status": reference.to_claim()})),
        ));
    }
    let entries = state.registry.allocate(&did, &request.credential_id)?;
    let status: Vec<Value> = entries.iter().map(|e| e.to_json()).collect();
    Ok((
        StatusCode::CREATED,
        Json(json!({"credentialStatus": status})),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ChangeRequest {
    credential_id: String,
    action: StatusAction,
    reason: Option<String>,
    event_id: Option<String>,
}

async fn change_status(
    State(state): State<Arc<AppState>>,
    Caller(actor): Caller,
    JsonBody(request): JsonBody<ChangeRequest>,
) -> Result<Json<Value>, ApiError> {
    let entry = state.registry.change_status(
        &actor,
        &request.credential_id,
        request.action,
        request.reason,
        request.event_id,
    )?;
    Ok(Json(json!({"changed": entry.is_some(), "audit": entry})))
}

/// Server-Sent Events: one `status-change` event per changed status list and one
/// `trust-list-change` event per change of the trust list, as it happens. A
/// subscriber that falls behind is told to drop its whole cache (`resync`).
async fn change_feed(
    State(state): State<Arc<AppState>>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>> {
    let receiver = state.registry.subscribe();
    let events = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let event = match receiver.recv().await {
            Ok(FeedEvent::StatusList(changed)) => Event::default()
                .event("status-change")
                .json_data(&changed)
                .unwrap_or_else(|_| Event::default().event("resync")),
            Ok(FeedEvent::TrustList(changed)) => Event::default()
                .event("trust-list-change")
                .json_data(&changed)
                .unwrap_or_else(|_| Event::default().event("resync")),
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                Event::default().event("resync")
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok(event), receiver))
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}

async fn audit(
    State(state): State<Arc<AppState>>,
    Caller(actor): Caller,
) -> Result<Json<Value>, ApiError> {
    if !matches!(actor, Actor::Operator(_)) {
        return Err(ApiError::new(
            ProblemKind::Forbidden,
            "the audit log is for operators",
        ));
    }
    Ok(Json(json!({"audit": state.registry.audit()?})))
}

/// The signed trust list: public, cacheable for its `ttl`.
async fn trust_list(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let signed = state.registry.trust_list_credential().await?;
    let cache = format!("public, max-age={}", state.ttl_seconds);
    Ok((
        [
            (header::CONTENT_TYPE, "application/vc".to_owned()),
            (header::CACHE_CONTROL, cache),
        ],
        signed.to_string(),
    )
        .into_response())
}

/// A registration as the operator sees it: never the token's digest.
fn issuer_view(record: &IssuerRecord) -> Value {
    let mut view = serde_json::to_value(record).unwrap_or(Value::Null);
    if let Some(object) = view.as_object_mut() {
        object.remove("tokenSha256");
    }
    view
}

/// A token shown once: the response must not be stored by any cache on the way.
fn with_token(status: StatusCode, record: &IssuerRecord, token: String) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"issuer": issuer_view(record), "token": token})),
    )
        .into_response()
}

async fn list_issuers(
    State(state): State<Arc<AppState>>,
    _operator: OperatorCaller,
) -> Result<Json<Value>, ApiError> {
    let issuers: Vec<Value> = state.registry.issuers()?.iter().map(issuer_view).collect();
    Ok(Json(json!({"issuers": issuers})))
}

async fn register_issuer(
    State(state): State<Arc<AppState>>,
    OperatorCaller(actor): OperatorCaller,
    JsonBody(request): JsonBody<NewIssuer>,
) -> Result<Response, ApiError> {
    let (record, token) = state.registry.register_issuer(&actor, request)?;
    Ok(with_token(StatusCode::CREATED, &record, token))
}

async fn show_issuer(
    State(state): State<Arc<AppState>>,
    _operator: OperatorCaller,
    Path(did): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({"issuer": issuer_view(&state.registry.issuer(&did)?)}),
    ))
}

async fn update_issuer(
    State(state): State<Arc<AppState>>,
    OperatorCaller(actor): OperatorCaller,
    Path(did): Path<String>,
    JsonBody(request): JsonBody<IssuerUpdate>,
) -> Result<Json<Value>, ApiError> {
    let record = state.registry.update_issuer(&actor, &did, request)?;
    Ok(Json(json!({"issuer": issuer_view(&record)})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonRequest {
    reason: String,
}

async fn issuer_action(
    state: &AppState,
    actor: Actor,
    did: &str,
    action: IssuerAction,
    reason: &str,
) -> Result<Json<Value>, ApiError> {
    let record = state.registry.change_issuer(&actor, did, action, reason)?;
    Ok(Json(json!({"issuer": issuer_view(&record)})))
}

async fn suspend_issuer(
    State(state): State<Arc<AppState>>,
    OperatorCaller(actor): OperatorCaller,
    Path(did): Path<String>,
    JsonBody(request): JsonBody<ReasonRequest>,
) -> Result<Json<Value>, ApiError> {
    issuer_action(&state, actor, &did, IssuerAction::Suspend, &request.reason).await
}

async fn reinstate_issuer(
    State(state): State<Arc<AppState>>,
    OperatorCaller(actor): OperatorCaller,
    Path(did): Path<String>,
    JsonBody(request): JsonBody<ReasonRequest>,
) -> Result<Json<Value>, ApiError> {
    issuer_action(
        &state,
        actor,
        &did,
        IssuerAction::Reinstate,
        &request.reason,
    )
    .await
}

async fn remove_issuer(
    State(state): State<Arc<AppState>>,
    OperatorCaller(actor): OperatorCaller,
    Path(did): Path<String>,
    JsonBody(request): JsonBody<ReasonRequest>,
) -> Result<Json<Value>, ApiError> {
    issuer_action(&state, actor, &did, IssuerAction::Remove, &request.reason).await
}

async fn rotate_token(
    State(state): State<Arc<AppState>>,
    OperatorCaller(actor): OperatorCaller,
    Path(did): Path<String>,
    JsonBody(request): JsonBody<ReasonRequest>,
) -> Result<Response, ApiError> {
    let (record, token) = state
        .registry
        .rotate_issuer_token(&actor, &did, &request.reason)?;
    Ok(with_token(StatusCode::OK, &record, token))
}

/// A verifier's registration as the operator sees it (it has no token to hide).
fn verifier_view(record: &VerifierRecord) -> Value {
    serde_json::to_value(record).unwrap_or(Value::Null)
}

async fn list_verifiers(
    State(state): State<Arc<AppState>>,
    _operator: OperatorCaller,
) -> Result<Json<Value>, ApiError> {
    let verifiers: Vec<Value> = state
        .registry
        .verifiers()?
        .iter()
        .map(verifier_view)
        .collect();
    Ok(Json(json!({"verifiers": verifiers})))
}

async fn register_verifier(
    State(state): State<Arc<AppState>>,
    OperatorCaller(actor): OperatorCaller,
    JsonBody(request): JsonBody<NewVerifier>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let record = state.registry.register_verifier(&actor, request)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"verifier": verifier_view(&record)})),
    ))
}

async fn show_verifier(
    State(state): State<Arc<AppState>>,
    _operator: OperatorCaller,
    Path(did): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({"verifier": verifier_view(&state.registry.verifier(&did)?)}),
    ))
}

fn verifier_action(
    state: &AppState,
    actor: Actor,
    did: &str,
    action: VerifierAction,
    reason: &str,
) -> Result<Json<Value>, ApiError> {
    let record = state
        .registry
        .change_verifier(&actor, did, action, reason)?;
    Ok(Json(json!({"verifier": verifier_view(&record)})))
}

async fn suspend_verifier(
    State(state): State<Arc<AppState>>,
    OperatorCaller(actor): OperatorCaller,
    Path(did): Path<String>,
    JsonBody(request): JsonBody<ReasonRequest>,
) -> Result<Json<Value>, ApiError> {
    verifier_action(
        &state,
        actor,
        &did,
        VerifierAction::Suspend,
        &request.reason,
    )
}

async fn reinstate_verifier(
    State(state): State<Arc<AppState>>,
    OperatorCaller(actor): OperatorCaller,
    Path(did): Path<String>,
    JsonBody(request): JsonBody<ReasonRequest>,
) -> Result<Json<Value>, ApiError> {
    verifier_action(
        &state,
        actor,
        &did,
        VerifierAction::Reinstate,
        &request.reason,
    )
}

async fn remove_verifier(
    State(state): State<Arc<AppState>>,
    OperatorCaller(actor): OperatorCaller,
    Path(did): Path<String>,
    JsonBody(request): JsonBody<ReasonRequest>,
) -> Result<Json<Value>, ApiError> {
    verifier_action(&state, actor, &did, VerifierAction::Remove, &request.reason)
}
