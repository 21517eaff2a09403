//! The operator console (issue 7), server-rendered at `/`: the trust-framework operator's
//! people add trusted issuers (and see the new issuer's token once), suspend, reinstate and
//! remove them and replace their tokens (the new token shown once), add, suspend, reinstate
//! and remove trusted verifiers, find a credential by its id and revoke, suspend or
//! reinstate it, and read the audit log. Auditors see all of it and change nothing. Thin:
//! every decision is the [`Registry`]'s; this turns forms into calls and results into
//! pages, and names the signed-in person's Care Identity UUID as the operator (BR-34).
//! Sign-in, sessions and CSRF are `service_kit::console_web`'s.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, NaiveDate, Utc};
use credentials::trust_list::RegistrationStatus;
use credentials::CredentialKind;
use serde::Deserialize;
use service_kit::console::ConsoleAccounts;
use service_kit::console_web::{
    self, page, sentence, when, CheckedForm, Chrome, ConsoleHost, SignedIn,
};

use crate::api::AppState;
use crate::error::RegistryError;
use crate::registry::{Actor, AuditFilter, StatusAction};
use crate::store::{AuditEntry, Mechanism, VerifierRecord};
use crate::trusted_issuers::{IssuerAction, NewIssuer};
use crate::trusted_verifiers::{NewVerifier, VerifierAction};

/// The console's roles: operators change the registry, auditors read it, admins manage
/// the console's users.
pub const OPERATOR: &str = "operator";
pub const AUDITOR: &str = "auditor";
pub const ADMIN: &str = console_web::ADMIN;

/// At most this many audit entries on one page; the filters narrow the rest.
const AUDIT_PAGE_ROWS: usize = 200;

/// The audit log's actions, for its filter (the registry's `audit_name`s and status actions).
const AUDIT_ACTIONS: [&str; 13] = [
    "register-issuer",
    "update-issuer",
    "suspend-issuer",
    "reinstate-issuer",
    "remove-issuer",
    "rotate-issuer-token",
    "register-verifier",
    "suspend-verifier",
    "reinstate-verifier",
    "remove-verifier",
    "revoke",
    "suspend",
    "reinstate",
];

impl ConsoleHost for AppState {
    fn console_accounts(&self) -> Option<&ConsoleAccounts> {
        Some(&self.console)
    }

    fn console_name(&self) -> &str {
        "Trust registry console"
    }

    fn console_over_https(&self) -> bool {
        self.console_over_https
    }

    fn console_cookie(&self) -> &'static str {
        "passport_operator"
    }

    fn console_roles(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (
                OPERATOR,
                "Add, suspend, reinstate and remove trusted issuers and verifiers; replace issuers' tokens; revoke, suspend and reinstate credentials",
            ),
            (
                AUDITOR,
                "See trusted issuers and verifiers, credentials' status and the audit log",
            ),
            (ADMIN, "Manage this console's accounts"),
        ]
    }
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(home))
        .route(
            "/console/issuers/new",
            get(new_issuer_form).post(add_issuer),
        )
        .route("/console/issuers/{did}", get(show_issuer))
        .route("/console/issuers/{did}/token", post(replace_issuer_token))
        .route("/console/issuers/{did}/new-token", get(new_issuer_token))
        .route("/console/issuers/{did}/{action}", post(change_issuer))
        .route("/console/verifiers", get(list_verifiers))
        .route(
            "/console/verifiers/new",
            get(new_verifier_form).post(add_verifier),
        )
        .route("/console/verifiers/{did}", get(show_verifier))
        .route("/console/verifiers/{did}/{action}", post(change_verifier))
        .route("/console/credentials", get(find_credential))
        .route("/console/credentials/{action}", post(change_credential))
        .route("/console/audit", get(audit_log))
        .merge(console_web::routes::<AppState>())
}

/// The operator, as the audit log names them: by their Care Identity UUID (BR-34).
fn operator(user: &SignedIn) -> Actor {
    Actor::Operator(user.account.care_identity_uuid.clone())
}

/// Reading is for operators and auditors; `None` when the user may.
fn refusal_to_read(user: &SignedIn) -> Option<Response> {
    user.refusal_without_any(&[OPERATOR, AUDITOR], "see the trust registry")
}

fn failure(user: &SignedIn, error: RegistryError) -> Response {
    match error {
        RegistryError::NotFound(why) => {
            user.message(StatusCode::NOT_FOUND, "Not found", sentence(&why))
        }
        RegistryError::Forbidden(why) => {
            user.message(StatusCode::FORBIDDEN, "You cannot do this", sentence(&why))
        }
        RegistryError::BadRequest(why) => user.message(
            StatusCode::BAD_REQUEST,
            "This cannot be done",
            sentence(&why),
        ),
        RegistryError::Conflict(why) => user.message(
            StatusCode::CONFLICT,
            "This cannot be done now",
            sentence(&why),
        ),
        error @ (RegistryError::Store(_)
        | RegistryError::Settings(_)
        | RegistryError::Credential(_)) => {
            tracing::error!(%error, "operator console");
            user.message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The trust registry could not be read or saved. Nothing was changed.".into(),
            )
        }
    }
}

/// The refusals a form shows beside itself (the input is wrong, or the record's state
/// does not allow it), with their status; `Err` for the rest.
fn form_problem(error: RegistryError) -> Result<(StatusCode, String), RegistryError> {
    match error {
        RegistryError::BadRequest(why) => Ok((StatusCode::BAD_REQUEST, sentence(&why))),
        RegistryError::Conflict(why) => Ok((StatusCode::CONFLICT, sentence(&why))),
        other => Err(other),
    }
}

/// One path segment: a did:web DID carries `%` and `:`, which must survive the trip.
fn segment(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn issuer_href(did: &str) -> String {
    format!("/console/issuers/{}", segment(did))
}

fn verifier_href(did: &str) -> String {
    format!("/console/verifiers/{}", segment(did))
}

fn credential_href(credential_id: &str) -> String {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("id", credential_id)
        .finish();
    format!("/console/credentials?{query}")
}

fn time(at: DateTime<Utc>) -> String {
    at.format("%d %b %Y %H:%M:%S UTC").to_string()
}

fn status_words(status: RegistrationStatus) -> (&'static str, &'static str) {
    match status {
        RegistrationStatus::Active => ("Active", "nhsuk-tag--green"),
        RegistrationStatus::Suspended => ("Suspended", "nhsuk-tag--orange"),
        RegistrationStatus::Removed => ("Removed", "nhsuk-tag--grey"),
    }
}

/// A query string read tolerantly: the first value of each name, anything unreadable
/// ignored, so a bad value is answered on the page rather than with a bare 400.
fn query_values(raw: Option<String>) -> HashMap<String, String> {
    let mut values = HashMap::new();
    for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        values
            .entry(name.into_owned())
            .or_insert_with(|| value.trim().to_owned());
    }
    values
}

/// A day typed as `YYYY-MM-DD`, as its first moment (UTC); empty is none.
fn day(text: &str, what: &str) -> Result<Option<DateTime<Utc>>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|at| Some(at.and_utc()))
        .ok_or_else(|| format!("Enter {what} as a date, for example 2026-12-31."))
}

/// One entry of the audit log, for a table.
struct AuditRow {
    sequence: u64,
    at: String,
    actor: String,
    action: String,
    subject: String,
    subject_href: Option<String>,
    reason: String,
    event_id: String,
}

impl From<AuditEntry> for AuditRow {
    fn from(entry: AuditEntry) -> Self {
        let (subject, subject_href) = match (&entry.credential_id, &entry.issuer, &entry.verifier) {
            (Some(id), _, _) => {
                let purpose = entry
                    .purpose
                    .map(|p| format!(" ({})", p.as_str()))
                    .unwrap_or_default();
                (format!("{id}{purpose}"), Some(credential_href(id)))
            }
            (_, Some(did), _) => (did.clone(), Some(issuer_href(did))),
            (_, _, Some(did)) => (format!("verifier {did}"), Some(verifier_href(did))),
            _ => (String::new(), None),
        };
        AuditRow {
            sequence: entry.sequence,
            at: when(&entry.at),
            actor: entry.actor,
            action: entry.action,
            subject,
            subject_href,
            reason: entry.reason.unwrap_or_default(),
            event_id: entry.event_id.unwrap_or_default(),
        }
    }
}

struct IssuerRow {
    did: String,
    href: String,
    name: String,
    ods_code: String,
    types: String,
    status: &'static str,
    tag: &'static str,
}

struct VerifierRow {
    did: String,
    href: String,
    name: String,
    ods_code: String,
    status: &'static str,
    tag: &'static str,
}

#[derive(Template)]
#[template(path = "operator/home.html")]
struct HomePage {
    chrome: Chrome,
    registry_did: String,
    issuers: Vec<IssuerRow>,
    verifiers: Vec<VerifierRow>,
    can_change: bool,
}

async fn home(State(state): State<Arc<AppState>>, user: SignedIn) -> Response {
    if let Some(refused) = refusal_to_read(&user) {
        return refused;
    }
    let (issuers, verifiers) = match (state.registry.issuers(), state.registry.verifiers()) {
        (Ok(issuers), Ok(verifiers)) => (issuers, verifiers),
        (Err(error), _) | (_, Err(error)) => return failure(&user, error),
    };
    let issuers = issuers
        .into_iter()
        .map(|record| {
            let (status, tag) = status_words(record.status);
            IssuerRow {
                href: issuer_href(&record.did),
                did: record.did,
                name: record.name,
                ods_code: record.ods_code,
                types: record.grant.credential_types.join(", "),
                status,
                tag,
            }
        })
        .collect();
    page(
        StatusCode::OK,
        &HomePage {
            chrome: user.chrome.clone(),
            registry_did: state.did().to_owned(),
            issuers,
            verifiers: verifier_rows(verifiers),
            can_change: user.account.has_role(OPERATOR),
        },
    )
}

fn verifier_rows(records: Vec<VerifierRecord>) -> Vec<VerifierRow> {
    records
        .into_iter()
        .map(|record| {
            let (status, tag) = status_words(record.status);
            VerifierRow {
                href: verifier_href(&record.did),
                did: record.did,
                name: record.name,
                ods_code: record.ods_code,
                status,
                tag,
            }
        })
        .collect()
}

struct TypeChoice {
    value: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "operator/issuer_new.html")]
struct NewIssuerPage {
    chrome: Chrome,
    error: Option<String>,
    /// The field the error is about, for the summary's link.
    error_field: &'static str,
    fields: IssuerFields,
    types: Vec<TypeChoice>,
}

/// The add-an-issuer form as posted: its checkboxes repeat one name, so it is read from
/// its pairs.
#[derive(Default)]
struct IssuerFields {
    did: String,
    ods_code: String,
    name: String,
    credential_types: Vec<String>,
    valid_from: String,
    valid_until: String,
    reason: String,
}

impl IssuerFields {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut fields = IssuerFields::default();
        for (name, value) in pairs {
            match name.as_str() {
                "did" => fields.did = value.trim().to_owned(),
                "ods_code" => fields.ods_code = value.trim().to_owned(),
                "name" => fields.name = value,
                "credential_type" => fields.credential_types.push(value),
                "valid_from" => fields.valid_from = value,
                "valid_until" => fields.valid_until = value,
                "reason" => fields.reason = value,
                _ => {}
            }
        }
        fields
    }

    fn new_issuer(&self) -> Result<NewIssuer, (&'static str, String)> {
        if self.credential_types.is_empty() {
            return Err((
                "credential_type",
                "Choose at least one credential type.".into(),
            ));
        }
        Ok(NewIssuer {
            did: self.did.clone(),
            ods_code: self.ods_code.clone(),
            name: self.name.clone(),
            credential_types: self.credential_types.clone(),
            valid_from: day(&self.valid_from, "the start").map_err(|e| ("valid_from", e))?,
            valid_until: day(&self.valid_until, "the end").map_err(|e| ("valid_until", e))?,
            reason: self.reason.clone(),
        })
    }
}

/// Which field a registration refusal is about, by what the registry says.
fn field_of(problem: &str) -> &'static str {
    let problem = problem.to_ascii_lowercase();
    if problem.contains("reason") {
        "reason"
    } else if problem.contains("ods") {
        "ods_code"
    } else if problem.contains("validuntil") {
        "valid_until"
    } else if problem.contains("credential type") || problem.contains("credentialtypes") {
        "credential_type"
    } else if problem.starts_with("name") {
        "name"
    } else {
        "did"
    }
}

fn new_issuer_page(
    user: &SignedIn,
    fields: IssuerFields,
    error: Option<(&'static str, String)>,
    status: StatusCode,
) -> Response {
    let types = CredentialKind::ALL
        .iter()
        .map(|kind| TypeChoice {
            value: kind.type_name(),
            checked: fields
                .credential_types
                .iter()
                .any(|t| t == kind.type_name()),
        })
        .collect();
    let (error_field, error) = match error {
        Some((field, why)) => (field, Some(why)),
        None => ("did", None),
    };
    page(
        status,
        &NewIssuerPage {
            chrome: user.chrome.clone(),
            error,
            error_field,
            fields,
            types,
        },
    )
}

async fn new_issuer_form(user: SignedIn) -> Response {
    if let Some(refused) = user.refusal_without(OPERATOR, "add a trusted issuer") {
        return refused;
    }
    new_issuer_page(&user, IssuerFields::default(), None, StatusCode::OK)
}

async fn add_issuer(
    State(state): State<Arc<AppState>>,
    posted: CheckedForm<Vec<(String, String)>>,
) -> Response {
    let CheckedForm { user, form } = posted;
    if let Some(refused) = user.refusal_without(OPERATOR, "add a trusted issuer") {
        return refused;
    }
    let fields = IssuerFields::from_pairs(form);
    let new = match fields.new_issuer() {
        Ok(new) => new,
        Err(problem) => {
            return new_issuer_page(&user, fields, Some(problem), StatusCode::BAD_REQUEST)
        }
    };
    match state.registry.register_issuer(&operator(&user), new) {
        Ok((record, token)) => {
            tracing::info!(user = %user.account.username, did = %record.did, "console: issuer registered");
            hand_over_token(&state, &user, &record.did, token)
        }
        Err(error) => match form_problem(error) {
            Ok((status, why)) => {
                new_issuer_page(&user, fields, Some((field_of(&why), why)), status)
            }
            Err(other) => failure(&user, other),
        },
    }
}

struct IntervalRow {
    types: String,
    from: String,
    until: String,
    ended: String,
}

/// One of a page's change forms: a required reason, and for what cannot be undone, a box
/// to tick.
struct ChangeForm {
    action: &'static str,
    heading: &'static str,
    hint: &'static str,
    button: &'static str,
    /// The `nhsuk-button` modifier.
    style: &'static str,
    /// What the confirmation box says; `None` when there is none.
    confirm: Option<&'static str>,
    reason: String,
    error: Option<String>,
}

impl ChangeForm {
    fn new(action: &'static str, heading: &'static str, button: &'static str) -> Self {
        ChangeForm {
            action,
            heading,
            hint: "Recorded in the audit log with your Care Identity UUID.",
            button,
            style: "nhsuk-button--secondary",
            confirm: None,
            reason: String::new(),
            error: None,
        }
    }

    fn permanent(mut self, confirm: &'static str) -> Self {
        self.confirm = Some(confirm);
        self.style = "nhsuk-button--warning";
        self
    }
}

/// What a refused change puts back on its page: which form, what was typed, and why.
struct Refused {
    action: String,
    reason: String,
    why: String,
    status: StatusCode,
}

fn with_refusal(mut forms: Vec<ChangeForm>, refused: &Option<Refused>) -> Vec<ChangeForm> {
    if let Some(refused) = refused {
        for form in forms.iter_mut().filter(|f| f.action == refused.action) {
            form.reason = refused.reason.clone();
            form.error = Some(refused.why.clone());
        }
    }
    forms
}

#[derive(Template)]
#[template(path = "operator/issuer.html")]
struct IssuerPage {
    chrome: Chrome,
    error: Option<String>,
    error_anchor: String,
    did: String,
    href: String,
    name: String,
    ods_code: String,
    status: &'static str,
    tag: &'static str,
    types: String,
    grant_until: String,
    registered: String,
    updated: String,
    intervals: Vec<IntervalRow>,
    forms: Vec<ChangeForm>,
    history: Vec<AuditRow>,
    history_href: String,
}

fn issuer_page(state: &AppState, user: &SignedIn, did: &str, refused: Option<Refused>) -> Response {
    let record = match state.registry.issuer(did) {
        Ok(record) => record,
        Err(error) => return failure(user, error),
    };
    let filter = AuditFilter {
        issuer: Some(record.did.clone()),
        ..AuditFilter::default()
    };
    let history = match state.registry.audit_matching(&filter, 50) {
        Ok((entries, _)) => entries.into_iter().map(AuditRow::from).collect(),
        Err(error) => return failure(user, error),
    };
    let forms = match (user.account.has_role(OPERATOR), record.status) {
        (false, _) | (true, RegistrationStatus::Removed) => Vec::new(),
        (true, status) => {
            let pause = match status {
                RegistrationStatus::Active => {
                    ChangeForm::new("suspend", "Suspend this issuer", "Suspend")
                }
                _ => ChangeForm::new("reinstate", "Reinstate this issuer", "Reinstate"),
            };
            let token = ChangeForm::new(
                "token",
                "Replace this issuer's API token",
                "Replace the token",
            )
            .permanent(
                "I understand that the current token stops working at once: the issuer \
                 cannot allocate or change statuses until it has the new one.",
            );
            let remove = ChangeForm::new("remove", "Remove this issuer", "Remove").permanent(
                "I understand that removal is permanent: the issuer's token stops working, \
                 nothing it ever issued is trusted again, and its DID cannot be registered again.",
            );
            vec![pause, token, remove]
        }
    };
    let (status, tag) = status_words(record.status);
    let history_query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("issuer", &record.did)
        .finish();
    let (error, error_anchor, status_code) = match &refused {
        Some(refused) => (
            Some(refused.why.clone()),
            format!("reason-{}", refused.action),
            refused.status,
        ),
        None => (None, String::new(), StatusCode::OK),
    };
    page(
        status_code,
        &IssuerPage {
            chrome: user.chrome.clone(),
            error,
            error_anchor,
            href: issuer_href(&record.did),
            name: record.name,
            ods_code: record.ods_code,
            status,
            tag,
            types: record.grant.credential_types.join(", "),
            grant_until: record.grant.valid_until.map(time).unwrap_or_default(),
            registered: time(record.registered_at),
            updated: time(record.updated_at),
            intervals: record
                .authorisations
                .iter()
                .map(|a| IntervalRow {
                    types: a.credential_types.join(", "),
                    from: time(a.authorised_from),
                    until: a.authorised_until.map(time).unwrap_or_default(),
                    ended: a.ended_at.map(time).unwrap_or_default(),
                })
                .collect(),
            forms: with_refusal(forms, &refused),
            history,
            history_href: format!("/console/audit?{history_query}"),
            did: record.did,
        },
    )
}

async fn show_issuer(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path(did): Path<String>,
) -> Response {
    if let Some(refused) = refusal_to_read(&user) {
        return refused;
    }
    issuer_page(&state, &user, &did, None)
}

#[derive(Deserialize)]
struct ReasonForm {
    #[serde(default)]
    reason: String,
    /// The ticked confirmation box of a permanent change.
    #[serde(default)]
    confirm: String,
    /// The credential a status change is for.
    #[serde(default)]
    credential_id: String,
}

const CONFIRM_REMOVAL: &str = "Tick the box to confirm that you understand removal is permanent.";
const CONFIRM_TOKEN: &str =
    "Tick the box to confirm that you understand the current token stops working at once.";
const CONFIRM_REVOCATION: &str =
    "Tick the box to confirm that you understand revocation is permanent.";

async fn change_issuer(
    State(state): State<Arc<AppState>>,
    Path((did, action)): Path<(String, String)>,
    posted: CheckedForm<ReasonForm>,
) -> Response {
    let CheckedForm { user, form } = posted;
    if let Some(refused) = user.refusal_without(OPERATOR, "change a trusted issuer") {
        return refused;
    }
    let change = match action.as_str() {
        "suspend" => IssuerAction::Suspend,
        "reinstate" => IssuerAction::Reinstate,
        "remove" => IssuerAction::Remove,
        _ => {
            return user.message(
                StatusCode::NOT_FOUND,
                "Not found",
                "There is no such change.".into(),
            )
        }
    };
    let refuse = |status, why: String| {
        issuer_page(
            &state,
            &user,
            &did,
            Some(Refused {
                action: action.clone(),
                reason: form.reason.clone(),
                why,
                status,
            }),
        )
    };
    if change == IssuerAction::Remove && form.confirm != "yes" {
        return refuse(StatusCode::BAD_REQUEST, CONFIRM_REMOVAL.into());
    }
    match state
        .registry
        .change_issuer(&operator(&user), &did, change, &form.reason)
    {
        Ok(record) => {
            tracing::info!(user = %user.account.username, did = %record.did, action, "console: issuer changed");
            Redirect::to(&issuer_href(&record.did)).into_response()
        }
        Err(error) => match form_problem(error) {
            Ok((status, why)) => refuse(status, why),
            Err(other) => failure(&user, other),
        },
    }
}

#[derive(Template)]
#[template(path = "operator/issuer_token.html")]
struct IssuerTokenPage {
    chrome: Chrome,
    did: String,
    href: String,
    name: String,
    token: String,
}

/// How long the operator who replaced a token can see the new one again.
const NEW_TOKEN_SHOWN_MINUTES: i64 = 10;

fn token_key(did: &str) -> String {
    format!("issuer-token:{did}")
}

/// Holds an issuer's new token for this operator's session and sends the browser to its
/// page: reloading that page shows it again instead of registering or replacing it again.
fn hand_over_token(state: &AppState, user: &SignedIn, did: &str, token: String) -> Response {
    let now = chrono::Utc::now();
    state.console().hold_for_session(
        &user.session,
        &token_key(did),
        token,
        now + chrono::Duration::minutes(NEW_TOKEN_SHOWN_MINUTES),
        now,
    );
    Redirect::to(&format!("{}/new-token", issuer_href(did))).into_response()
}

/// The new token, to the operator whose session made it, for a few minutes.
async fn new_issuer_token(
    State(state): State<Arc<AppState>>,
    Path(did): Path<String>,
    user: SignedIn,
) -> Response {
    if let Some(refused) = user.refusal_without(OPERATOR, "replace a trusted issuer's token") {
        return refused;
    }
    // Whoever added or replaced it may see it: both need the operator role.
    let Some(token) =
        state
            .console()
            .held_for_session(&user.session, &token_key(&did), chrono::Utc::now())
    else {
        return user.message(
            StatusCode::GONE,
            "The new token is no longer shown",
            format!("A new token is shown for {NEW_TOKEN_SHOWN_MINUTES} minutes, only to the operator who made it, and the registry keeps only its digest. If it is lost, replace it again."),
        );
    };
    let record = match state.registry.issuer(&did) {
        Ok(record) => record,
        Err(error) => return failure(&user, error),
    };
    page(
        StatusCode::OK,
        &IssuerTokenPage {
            chrome: user.chrome.clone(),
            href: issuer_href(&record.did),
            did: record.did,
            name: record.name,
            token,
        },
    )
}

/// Replaces an issuer's token: the old one stops working at once, and the new one is shown
/// only to this operator, on the page the browser is sent to (the registry keeps its digest).
async fn replace_issuer_token(
    State(state): State<Arc<AppState>>,
    Path(did): Path<String>,
    posted: CheckedForm<ReasonForm>,
) -> Response {
    let CheckedForm { user, form } = posted;
    if let Some(refused) = user.refusal_without(OPERATOR, "replace a trusted issuer's token") {
        return refused;
    }
    let refuse = |status, why: String| {
        issuer_page(
            &state,
            &user,
            &did,
            Some(Refused {
                action: "token".into(),
                reason: form.reason.clone(),
                why,
                status,
            }),
        )
    };
    if form.confirm != "yes" {
        return refuse(StatusCode::BAD_REQUEST, CONFIRM_TOKEN.into());
    }
    match state
        .registry
        .rotate_issuer_token(&operator(&user), &did, &form.reason)
    {
        Ok((record, token)) => {
            tracing::info!(user = %user.account.username, did = %record.did, "console: issuer token replaced");
            hand_over_token(&state, &user, &record.did, token)
        }
        Err(error) => match form_problem(error) {
            Ok((status, why)) => refuse(status, why),
            Err(other) => failure(&user, other),
        },
    }
}

#[derive(Template)]
#[template(path = "operator/verifiers.html")]
struct VerifiersPage {
    chrome: Chrome,
    verifiers: Vec<VerifierRow>,
    can_change: bool,
}

async fn list_verifiers(State(state): State<Arc<AppState>>, user: SignedIn) -> Response {
    if let Some(refused) = refusal_to_read(&user) {
        return refused;
    }
    match state.registry.verifiers() {
        Ok(records) => page(
            StatusCode::OK,
            &VerifiersPage {
                chrome: user.chrome.clone(),
                verifiers: verifier_rows(records),
                can_change: user.account.has_role(OPERATOR),
            },
        ),
        Err(error) => failure(&user, error),
    }
}

/// The add-a-verifier form as posted: what the API's registration takes.
#[derive(Default, Deserialize)]
#[serde(default)]
struct VerifierFields {
    did: String,
    ods_code: String,
    name: String,
    reason: String,
}

impl VerifierFields {
    fn new_verifier(&self) -> NewVerifier {
        NewVerifier {
            did: self.did.trim().to_owned(),
            ods_code: self.ods_code.trim().to_owned(),
            name: self.name.clone(),
            reason: self.reason.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "operator/verifier_new.html")]
struct NewVerifierPage {
    chrome: Chrome,
    error: Option<String>,
    /// The field the error is about, for the summary's link and the message beside it.
    error_field: &'static str,
    fields: VerifierFields,
}

fn new_verifier_page(
    user: &SignedIn,
    fields: VerifierFields,
    error: Option<(&'static str, String)>,
    status: StatusCode,
) -> Response {
    let (error_field, error) = match error {
        Some((field, why)) => (field, Some(why)),
        None => ("did", None),
    };
    page(
        status,
        &NewVerifierPage {
            chrome: user.chrome.clone(),
            error,
            error_field,
            fields,
        },
    )
}

async fn new_verifier_form(user: SignedIn) -> Response {
    if let Some(refused) = user.refusal_without(OPERATOR, "add a trusted verifier") {
        return refused;
    }
    new_verifier_page(&user, VerifierFields::default(), None, StatusCode::OK)
}

async fn add_verifier(
    State(state): State<Arc<AppState>>,
    posted: CheckedForm<VerifierFields>,
) -> Response {
    let CheckedForm { user, form } = posted;
    if let Some(refused) = user.refusal_without(OPERATOR, "add a trusted verifier") {
        return refused;
    }
    match state
        .registry
        .register_verifier(&operator(&user), form.new_verifier())
    {
        Ok(record) => {
            tracing::info!(user = %user.account.username, did = %record.did, "console: verifier registered");
            Redirect::to(&verifier_href(&record.did)).into_response()
        }
        Err(error) => match form_problem(error) {
            Ok((status, why)) => {
                new_verifier_page(&user, form, Some((field_of(&why), why)), status)
            }
            Err(other) => failure(&user, other),
        },
    }
}

#[derive(Template)]
#[template(path = "operator/verifier.html")]
struct VerifierPage {
    chrome: Chrome,
    error: Option<String>,
    error_anchor: String,
    did: String,
    href: String,
    name: String,
    ods_code: String,
    status: &'static str,
    tag: &'static str,
    registered: String,
    updated: String,
    ended: String,
    forms: Vec<ChangeForm>,
    history: Vec<AuditRow>,
    history_href: String,
}

fn verifier_page(
    state: &AppState,
    user: &SignedIn,
    did: &str,
    refused: Option<Refused>,
) -> Response {
    let record = match state.registry.verifier(did) {
        Ok(record) => record,
        Err(error) => return failure(user, error),
    };
    let filter = AuditFilter {
        verifier: Some(record.did.clone()),
        ..AuditFilter::default()
    };
    let history = match state.registry.audit_matching(&filter, 50) {
        Ok((entries, _)) => entries.into_iter().map(AuditRow::from).collect(),
        Err(error) => return failure(user, error),
    };
    let forms = match (user.account.has_role(OPERATOR), record.status) {
        (false, _) | (true, RegistrationStatus::Removed) => Vec::new(),
        (true, status) => {
            let pause = match status {
                RegistrationStatus::Active => {
                    ChangeForm::new("suspend", "Suspend this verifier", "Suspend")
                }
                _ => ChangeForm::new("reinstate", "Reinstate this verifier", "Reinstate"),
            };
            let remove = ChangeForm::new("remove", "Remove this verifier", "Remove").permanent(
                "I understand that removal is permanent: wallets refuse to present to this \
                 verifier from the next trust list on, and its DID cannot be registered again.",
            );
            vec![pause, remove]
        }
    };
    let (status, tag) = status_words(record.status);
    let history_query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("verifier", &record.did)
        .finish();
    let (error, error_anchor, status_code) = match &refused {
        Some(refused) => (
            Some(refused.why.clone()),
            format!("reason-{}", refused.action),
            refused.status,
        ),
        None => (None, String::new(), StatusCode::OK),
    };
    page(
        status_code,
        &VerifierPage {
            chrome: user.chrome.clone(),
            error,
            error_anchor,
            href: verifier_href(&record.did),
            name: record.name,
            ods_code: record.ods_code,
            status,
            tag,
            registered: time(record.registered_at),
            updated: time(record.updated_at),
            ended: record.ended_at.map(time).unwrap_or_default(),
            forms: with_refusal(forms, &refused),
            history,
            history_href: format!("/console/audit?{history_query}"),
            did: record.did,
        },
    )
}

async fn show_verifier(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path(did): Path<String>,
) -> Response {
    if let Some(refused) = refusal_to_read(&user) {
        return refused;
    }
    verifier_page(&state, &user, &did, None)
}

async fn change_verifier(
    State(state): State<Arc<AppState>>,
    Path((did, action)): Path<(String, String)>,
    posted: CheckedForm<ReasonForm>,
) -> Response {
    let CheckedForm { user, form } = posted;
    if let Some(refused) = user.refusal_without(OPERATOR, "change a trusted verifier") {
        return refused;
    }
    let change = match action.as_str() {
        "suspend" => VerifierAction::Suspend,
        "reinstate" => VerifierAction::Reinstate,
        "remove" => VerifierAction::Remove,
        _ => {
            return user.message(
                StatusCode::NOT_FOUND,
                "Not found",
                "There is no such change.".into(),
            )
        }
    };
    let refuse = |status, why: String| {
        verifier_page(
            &state,
            &user,
            &did,
            Some(Refused {
                action: action.clone(),
                reason: form.reason.clone(),
                why,
                status,
            }),
        )
    };
    if change == VerifierAction::Remove && form.confirm != "yes" {
        return refuse(StatusCode::BAD_REQUEST, CONFIRM_REMOVAL.into());
    }
    match state
        .registry
        .change_verifier(&operator(&user), &did, change, &form.reason)
    {
        Ok(record) => {
            tracing::info!(user = %user.account.username, did = %record.did, action, "console: verifier changed");
            Redirect::to(&verifier_href(&record.did)).into_response()
        }
        Err(error) => match form_problem(error) {
            Ok((status, why)) => refuse(status, why),
            Err(other) => failure(&user, other),
        },
    }
}

struct CredentialView {
    id: String,
    issuer: String,
    /// The issuer's page, when it is a registered issuer.
    issuer_href: Option<String>,
    mechanism: &'static str,
    state: &'static str,
    tag: &'static str,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "operator/credential.html")]
struct CredentialPage {
    chrome: Chrome,
    error: Option<String>,
    error_anchor: String,
    notice: Option<String>,
    query: String,
    found: Option<CredentialView>,
    forms: Vec<ChangeForm>,
    history: Vec<AuditRow>,
}

/// The credential finder, with the credential `id` names if any; `refused` puts a refused
/// change back on the page, `notice` says a change had nothing to do.
fn credential_page(
    state: &AppState,
    user: &SignedIn,
    id: &str,
    refused: Option<Refused>,
    notice: Option<String>,
) -> Response {
    let mut view = CredentialPage {
        chrome: user.chrome.clone(),
        error: None,
        error_anchor: "id".into(),
        notice,
        query: id.to_owned(),
        found: None,
        forms: Vec::new(),
        history: Vec::new(),
    };
    let mut status = StatusCode::OK;
    if let Some(refused) = &refused {
        view.error = Some(refused.why.clone());
        view.error_anchor = format!("reason-{}", refused.action);
        status = refused.status;
    }
    if id.is_empty() {
        return page(status, &view);
    }
    let found = match state.registry.credential_state(id) {
        Ok(found) => found,
        Err(RegistryError::NotFound(_)) => {
            view.error = Some(
                "No credential has status entries under that id. Check the id, including its \
                 urn:uuid: prefix."
                    .into(),
            );
            view.error_anchor = "id".into();
            return page(StatusCode::NOT_FOUND, &view);
        }
        Err(error) => return failure(user, error),
    };
    let filter = AuditFilter {
        credential_id: Some(found.credential_id.clone()),
        ..AuditFilter::default()
    };
    view.history = match state.registry.audit_matching(&filter, AUDIT_PAGE_ROWS) {
        Ok((entries, _)) => entries.into_iter().map(AuditRow::from).collect(),
        Err(error) => return failure(user, error),
    };
    let registered = match state.registry.issuer(&found.issuer) {
        Ok(_) => true,
        Err(RegistryError::NotFound(_)) => false,
        Err(error) => return failure(user, error),
    };
    let (words, tag) = match (found.revoked, found.suspended) {
        (true, _) => ("Revoked (final)", "nhsuk-tag--red"),
        (false, true) => ("Suspended", "nhsuk-tag--orange"),
        (false, false) => ("Valid", "nhsuk-tag--green"),
    };
    if user.account.has_role(OPERATOR) && !found.revoked {
        let pause = if found.suspended {
            ChangeForm::new("reinstate", "Lift the suspension", "Reinstate")
        } else {
            ChangeForm::new("suspend", "Suspend this credential", "Suspend")
        };
        let revoke = ChangeForm::new("revoke", "Revoke this credential", "Revoke").permanent(
            "I understand that revocation is permanent: this credential can never be \
             reinstated, and the person needs a new one.",
        );
        view.forms = with_refusal(vec![pause, revoke], &refused);
    }
    view.found = Some(CredentialView {
        issuer_href: registered.then(|| issuer_href(&found.issuer)),
        id: found.credential_id,
        issuer: found.issuer,
        mechanism: match found.mechanism {
            Mechanism::Bitstring => {
                "Bitstring Status List: a revocation entry and a suspension entry"
            }
            Mechanism::TokenStatusList => {
                "Token Status List: one entry (valid, suspended or revoked)"
            }
        },
        state: words,
        tag,
        revoked: found.revoked,
    });
    page(status, &view)
}

async fn find_credential(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    RawQuery(query): RawQuery,
) -> Response {
    if let Some(refused) = refusal_to_read(&user) {
        return refused;
    }
    let id = query_values(query).remove("id").unwrap_or_default();
    credential_page(&state, &user, &id, None, None)
}

async fn change_credential(
    State(state): State<Arc<AppState>>,
    Path(action): Path<String>,
    posted: CheckedForm<ReasonForm>,
) -> Response {
    let CheckedForm { user, form } = posted;
    if let Some(refused) = user.refusal_without(OPERATOR, "change a credential's status") {
        return refused;
    }
    let (change, already) = match action.as_str() {
        "revoke" => (StatusAction::Revoke, "it was already revoked"),
        "suspend" => (StatusAction::Suspend, "it was already suspended or revoked"),
        "reinstate" => (StatusAction::Reinstate, "it was not suspended"),
        _ => {
            return user.message(
                StatusCode::NOT_FOUND,
                "Not found",
                "There is no such change.".into(),
            )
        }
    };
    let id = form.credential_id.trim().to_owned();
    let refuse = |status, why: String| {
        credential_page(
            &state,
            &user,
            &id,
            Some(Refused {
                action: action.clone(),
                reason: form.reason.clone(),
                why,
                status,
            }),
            None,
        )
    };
    if change == StatusAction::Revoke && form.confirm != "yes" {
        return refuse(StatusCode::BAD_REQUEST, CONFIRM_REVOCATION.into());
    }
    let reason = Some(form.reason.trim().to_owned()).filter(|r| !r.is_empty());
    match state
        .registry
        .change_status(&operator(&user), &id, change, reason, None)
    {
        Ok(Some(_)) => {
            tracing::info!(user = %user.account.username, action, "console: credential status changed");
            Redirect::to(&credential_href(&id)).into_response()
        }
        Ok(None) => credential_page(
            &state,
            &user,
            &id,
            None,
            Some(format!("Nothing changed: {already}.")),
        ),
        Err(RegistryError::NotFound(_)) => credential_page(&state, &user, &id, None, None),
        Err(error) => match form_problem(error) {
            Ok((status, why)) => refuse(status, why),
            Err(other) => failure(&user, other),
        },
    }
}

struct ActionChoice {
    value: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "operator/audit.html")]
struct AuditPage {
    chrome: Chrome,
    error: Option<String>,
    error_field: &'static str,
    actor: String,
    actions: Vec<ActionChoice>,
    credential_id: String,
    issuer: String,
    verifier: String,
    from: String,
    to: String,
    rows: Vec<AuditRow>,
    shown: usize,
    total: usize,
    filtered: bool,
}

async fn audit_log(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    RawQuery(query): RawQuery,
) -> Response {
    if let Some(refused) = refusal_to_read(&user) {
        return refused;
    }
    let mut values = query_values(query);
    let mut take = |name: &str| values.remove(name).unwrap_or_default();
    let mut view = AuditPage {
        chrome: user.chrome.clone(),
        error: None,
        error_field: "actor",
        actor: take("actor"),
        actions: Vec::new(),
        credential_id: take("credential_id"),
        issuer: take("issuer"),
        verifier: take("verifier"),
        from: take("from"),
        to: take("to"),
        rows: Vec::new(),
        shown: 0,
        total: 0,
        filtered: false,
    };
    let action = take("action");
    view.actions = AUDIT_ACTIONS
        .iter()
        .map(|value| ActionChoice {
            value,
            selected: *value == action,
        })
        .collect();
    let given = |text: &str| Some(text.to_owned()).filter(|t| !t.is_empty());
    let dates = day(&view.from, "the first day")
        .map_err(|e| ("from", e))
        .and_then(|from| {
            day(&view.to, "the last day")
                .map(|to| (from, to.map(|to| to + chrono::Duration::days(1))))
                .map_err(|e| ("to", e))
        });
    let (from, until) = match dates {
        Ok(dates) => dates,
        Err((field, why)) => {
            view.error = Some(why);
            view.error_field = field;
            return page(StatusCode::BAD_REQUEST, &view);
        }
    };
    if let (Some(from), Some(until)) = (from, until) {
        if until <= from {
            view.error = Some("The last day must be the first day or after it.".into());
            view.error_field = "to";
            return page(StatusCode::BAD_REQUEST, &view);
        }
    }
    let filter = AuditFilter {
        actor: given(&view.actor),
        action: given(&action),
        credential_id: given(&view.credential_id),
        issuer: given(&view.issuer),
        verifier: given(&view.verifier),
        from,
        until,
    };
    view.filtered = filter.actor.is_some()
        || filter.action.is_some()
        || filter.credential_id.is_some()
        || filter.issuer.is_some()
        || filter.verifier.is_some()
        || from.is_some()
        || until.is_some();
    match state.registry.audit_matching(&filter, AUDIT_PAGE_ROWS) {
        Ok((entries, total)) => {
            view.shown = entries.len();
            view.total = total;
            view.rows = entries.into_iter().map(AuditRow::from).collect();
            page(StatusCode::OK, &view)
        }
        Err(error) => failure(&user, error),
    }
}
