//! The onboarding console (issue 7), server-rendered at `/`: onboarding officers start an
//! onboarding and show its QR code; the page updates when the wallet answers and shows the
//! checklist, each requirement and why; HR users accept or bypass, and see the grants.
//! Thin: every decision is [`crate::onboarding`]'s; this turns forms into calls and
//! results into pages. Sign-in, sessions and CSRF are `service_kit::console_web`'s.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use service_kit::console::ConsoleAccounts;
use service_kit::console_web::{
    self, page, sentence, wire_name, CheckedForm, Chrome, ConsoleHost, SignedIn,
};

use crate::access::{OverallState, RequirementState};
use crate::onboarding::{grants_csv, HrAction, OnboardingError, OnboardingStatus, StartOnboarding};
use crate::policy::EmploymentType;
use crate::service::Verifier;

/// The console's roles: officers start onboardings, HR users decide, admins manage users.
pub const OFFICER: &str = "officer";
pub const HR: &str = "hr";
pub const ADMIN: &str = console_web::ADMIN;

impl ConsoleHost for Verifier {
    fn console_accounts(&self) -> Option<&ConsoleAccounts> {
        self.console()
    }

    fn console_name(&self) -> &str {
        "Onboarding console"
    }

    fn console_over_https(&self) -> bool {
        self.public_base_url().starts_with("https://")
    }

    fn console_cookie(&self) -> &'static str {
        "passport_onboarding"
    }

    fn console_roles(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (OFFICER, "Start onboardings and show their QR codes"),
            (HR, "Accept or bypass onboardings and export grants"),
            (ADMIN, "Manage this console's accounts"),
        ]
    }
}

pub fn routes() -> Router<Arc<Verifier>> {
    Router::new()
        .route("/", get(home))
        .route("/console/onboardings/new", get(new_form).post(start))
        .route("/console/onboardings/{id}", get(show))
        .route("/console/onboardings/{id}/status", get(status))
        .route("/console/onboardings/{id}/accept", post(accept))
        .route("/console/onboardings/{id}/bypass", post(bypass))
        .route("/console/onboardings/{id}/grants.csv", get(grants_of_csv))
        .route("/console/grants.csv", get(all_grants_csv))
        .merge(console_web::routes::<Verifier>())
}

fn status_words(status: OnboardingStatus) -> (&'static str, &'static str) {
    match status {
        OnboardingStatus::AwaitingPresentation => ("Waiting for the wallet", "nhsuk-tag--blue"),
        OnboardingStatus::Expired => ("Expired", "nhsuk-tag--grey"),
        OnboardingStatus::AwaitingHr => ("Waiting for HR", "nhsuk-tag--orange"),
        OnboardingStatus::Accepted => ("Accepted", "nhsuk-tag--green"),
        OnboardingStatus::Bypassed => ("Bypassed by HR", "nhsuk-tag--purple"),
    }
}

/// Officers and HR users read onboardings; an account that only manages accounts does not.
fn refusal_to_read(user: &SignedIn) -> Option<Response> {
    user.refusal_without_any(&[OFFICER, HR], "see onboardings")
}

fn chrome(user: &SignedIn) -> Chrome {
    user.chrome.clone()
}

fn failure(user: &SignedIn, error: OnboardingError) -> Response {
    match error {
        OnboardingError::NotFound(why) => user.message(StatusCode::NOT_FOUND, "Not found", why),
        OnboardingError::Invalid(why) => {
            user.message(StatusCode::BAD_REQUEST, "This cannot be done", why)
        }
        OnboardingError::Conflict(why) => {
            user.message(StatusCode::CONFLICT, "This cannot be done now", why)
        }
        OnboardingError::Internal(why) => {
            tracing::error!(%why, "onboarding console");
            user.message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The onboarding could not be read or saved. Nothing was changed.".into(),
            )
        }
    }
}

struct Row {
    id: String,
    person: String,
    position: String,
    started: String,
    status: &'static str,
    tag: &'static str,
}

#[derive(Template)]
#[template(path = "onboarding/home.html")]
struct HomePage {
    chrome: Chrome,
    organisation: String,
    rows: Vec<Row>,
    can_export: bool,
}

async fn home(State(verifier): State<Arc<Verifier>>, user: SignedIn) -> Response {
    if let Some(refused) = refusal_to_read(&user) {
        return refused;
    }
    let Some(onboarding) = verifier.onboarding() else {
        return failure(
            &user,
            OnboardingError::NotFound("Onboarding is not enabled here.".into()),
        );
    };
    let records = match verifier.onboarding_records() {
        Ok(records) => records,
        Err(error) => return failure(&user, error),
    };
    let rows = records
        .into_iter()
        .map(|(record, status)| {
            let (words, tag) = status_words(status);
            Row {
                id: record.id,
                person: record.person,
                position: record.position_name,
                started: record.started_at.format("%d %b %Y %H:%M").to_string(),
                status: words,
                tag,
            }
        })
        .collect();
    page(
        StatusCode::OK,
        &HomePage {
            organisation: onboarding.policy().organisation.to_string(),
            can_export: user.account.has_role(HR),
            chrome: chrome(&user),
            rows,
        },
    )
}

struct SelectOption {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "onboarding/new.html")]
struct NewPage {
    chrome: Chrome,
    error: Option<String>,
    organisation: String,
    person: String,
    positions: Vec<SelectOption>,
    staff_groups: Vec<SelectOption>,
    employment_types: Vec<SelectOption>,
}

#[derive(Clone, Default, Deserialize)]
struct StartForm {
    #[serde(default)]
    person: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    staff_group: String,
    #[serde(default)]
    employment_type: String,
}

fn new_page(
    verifier: &Verifier,
    user: &SignedIn,
    form: &StartForm,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let Some(onboarding) = verifier.onboarding() else {
        return failure(
            user,
            OnboardingError::NotFound("Onboarding is not enabled here.".into()),
        );
    };
    let choices = onboarding.choices();
    let options = |list: &serde_json::Value,
                   value: &dyn Fn(&serde_json::Value) -> (String, String),
                   chosen: &str|
     -> Vec<SelectOption> {
        list.as_array()
            .into_iter()
            .flatten()
            .map(|item| {
                let (v, label) = value(item);
                SelectOption {
                    selected: v == chosen,
                    value: v,
                    label,
                }
            })
            .collect()
    };
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    let positions = options(
        &choices["positions"],
        &|p| {
            (
                text(&p["id"]),
                format!(
                    "{} ({}, {})",
                    text(&p["name"]),
                    text(&p["id"]),
                    text(&p["job_role"])
                ),
            )
        },
        &form.position,
    );
    let staff_groups = options(
        &choices["staff_groups"],
        &|g| (text(g), text(g)),
        &form.staff_group,
    );
    let employment_types = EmploymentType::ALL
        .iter()
        .map(|kind| {
            let value = wire_name(kind);
            SelectOption {
                selected: value == form.employment_type
                    || (form.employment_type.is_empty() && *kind == EmploymentType::Permanent),
                value,
                label: kind.label().into(),
            }
        })
        .collect();
    page(
        status,
        &NewPage {
            chrome: chrome(user),
            error,
            organisation: onboarding.policy().organisation.to_string(),
            person: form.person.clone(),
            positions,
            staff_groups,
            employment_types,
        },
    )
}

async fn new_form(State(verifier): State<Arc<Verifier>>, user: SignedIn) -> Response {
    if let Some(refused) = user.refusal_without(OFFICER, "start an onboarding") {
        return refused;
    }
    new_page(
        &verifier,
        &user,
        &StartForm::default(),
        None,
        StatusCode::OK,
    )
}

async fn start(State(verifier): State<Arc<Verifier>>, posted: CheckedForm<StartForm>) -> Response {
    let CheckedForm { user, form } = posted;
    if let Some(refused) = user.refusal_without(OFFICER, "start an onboarding") {
        return refused;
    }
    let employment_type: Option<EmploymentType> =
        serde_json::from_value(json!(form.employment_type)).ok();
    let Some(employment_type) = employment_type else {
        return new_page(
            &verifier,
            &user,
            &form,
            Some("Choose an employment type.".into()),
            StatusCode::BAD_REQUEST,
        );
    };
    let started = verifier.start_onboarding(&StartOnboarding {
        person: form.person.clone(),
        position: form.position.clone(),
        staff_group: form.staff_group.clone(),
        employment_type,
        by: user.account.care_identity_uuid.clone(),
    });
    match started {
        Ok(view) => {
            let id = view["id"].as_str().unwrap_or_default();
            Redirect::to(&format!("/console/onboardings/{id}")).into_response()
        }
        Err(OnboardingError::Invalid(why)) => new_page(
            &verifier,
            &user,
            &form,
            Some(sentence(&why)),
            StatusCode::BAD_REQUEST,
        ),
        Err(other) => failure(&user, other),
    }
}

struct RequirementRow {
    code: String,
    label: String,
    state: &'static str,
    tag: &'static str,
    reason: String,
}

#[derive(Template)]
#[template(path = "onboarding/show.html")]
struct ShowPage {
    chrome: Chrome,
    error: Option<String>,
    id: String,
    person: String,
    position: String,
    post: String,
    rules: String,
    status: &'static str,
    status_code: String,
    tag: &'static str,
    presented_by: Option<String>,
    qr_svg: Option<String>,
    /// The link the QR code carries, for a wallet on the same device.
    link: String,
    overall: &'static str,
    requirements: Vec<RequirementRow>,
    notes: Vec<String>,
    grants: Vec<String>,
    decided: bool,
    decision_text: Option<String>,
    /// Said once the checklist's reasons are gone (retention).
    evidence_removed: Option<String>,
    can_decide: bool,
    can_accept: bool,
    can_bypass: bool,
    justification: String,
}

fn show_page(
    verifier: &Verifier,
    user: &SignedIn,
    id: &str,
    error: Option<String>,
    justification: String,
    status_code_http: StatusCode,
) -> Response {
    let (record, status, proposed) = match verifier.onboarding_record(id) {
        Ok(found) => found,
        Err(error) => return failure(user, error),
    };
    let (qr_svg, link) = match status {
        OnboardingStatus::AwaitingPresentation => match verifier.onboarding_qr_svg(&record) {
            Ok((svg, link)) => (Some(svg), link),
            Err(error) => return failure(user, error),
        },
        _ => (None, String::new()),
    };
    let (words, tag) = status_words(status);
    let (overall, requirements, notes) = match &record.decision {
        None => ("", Vec::new(), Vec::new()),
        Some(decision) => (
            match decision.overall {
                OverallState::Complete => "complete",
                OverallState::Incomplete => "incomplete",
                OverallState::NeedsHrReview => "needs HR review",
            },
            decision
                .requirements
                .iter()
                .map(|r| {
                    let (state, tag) = match r.state {
                        RequirementState::Met => ("Met", "nhsuk-tag--green"),
                        RequirementState::Unmet => ("Not met", "nhsuk-tag--red"),
                        RequirementState::Review => ("HR to review", "nhsuk-tag--orange"),
                    };
                    RequirementRow {
                        code: wire_name(r.requirement),
                        label: r.label.clone(),
                        state,
                        tag,
                        reason: r.reason.clone(),
                    }
                })
                .collect(),
            decision.notes.clone(),
        ),
    };
    let grants = record
        .hr
        .as_ref()
        .map(|hr| hr.grants.clone())
        .unwrap_or(proposed);
    let decision_text = record.hr.as_ref().map(|hr| match hr.action {
        HrAction::Accepted => format!(
            "Accepted by {} on {}.",
            hr.by,
            hr.at.format("%d %b %Y %H:%M")
        ),
        HrAction::Bypassed => format!(
            "Checklist bypassed by {} on {}: {}",
            hr.by,
            hr.at.format("%d %b %Y %H:%M"),
            hr.justification.clone().unwrap_or_default()
        ),
    });
    let complete = record
        .decision
        .as_ref()
        .is_some_and(|d| d.overall == OverallState::Complete);
    page(
        status_code_http,
        &ShowPage {
            chrome: chrome(user),
            error,
            id: record.id.clone(),
            person: record.person.clone(),
            position: format!("{} ({})", record.position_name, record.position),
            post: format!(
                "{}, {}, {}",
                record.post.staff_group, record.post.job_role, record.post.employment_type
            ),
            rules: record.checklist.rules.join(", "),
            status: words,
            status_code: wire_name(status),
            tag,
            presented_by: record.presented_by.clone(),
            qr_svg,
            link,
            overall,
            requirements,
            notes,
            grants: grants
                .iter()
                .map(|g| format!("{}: {} (for {})", g.system, g.role, g.because))
                .collect(),
            decided: record.hr.is_some(),
            decision_text,
            evidence_removed: record.evidence_removed_at.map(|at| {
                format!(
                    "The reasons were removed on {}: this trust keeps them for {} days after HR's decision.",
                    at.format("%d %b %Y"),
                    verifier.onboarding().map(|o| o.evidence_days()).unwrap_or_default()
                )
            }),
            can_decide: user.account.has_role(HR),
            can_accept: complete,
            can_bypass: status != OnboardingStatus::AwaitingPresentation,
            justification,
        },
    )
}

async fn show(
    State(verifier): State<Arc<Verifier>>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Response {
    if let Some(refused) = refusal_to_read(&user) {
        return refused;
    }
    show_page(&verifier, &user, &id, None, String::new(), StatusCode::OK)
}

async fn status(
    State(verifier): State<Arc<Verifier>>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Response {
    if refusal_to_read(&user).is_some() {
        return (StatusCode::FORBIDDEN, Json(json!({"status": "unknown"}))).into_response();
    }
    match verifier.onboarding_record(&id) {
        Ok((_, status, _)) => (
            [(header::CACHE_CONTROL, "no-store")],
            Json(json!({"status": wire_name(status)})),
        )
            .into_response(),
        Err(_) => (StatusCode::NOT_FOUND, Json(json!({"status": "unknown"}))).into_response(),
    }
}

#[derive(Deserialize)]
struct NoFields {}

async fn accept(
    State(verifier): State<Arc<Verifier>>,
    Path(id): Path<String>,
    posted: CheckedForm<NoFields>,
) -> Response {
    let user = posted.user;
    if let Some(refused) = user.refusal_without(HR, "accept an onboarding") {
        return refused;
    }
    match verifier.accept_onboarding(&id, &user.account.care_identity_uuid) {
        Ok(_) => Redirect::to(&format!("/console/onboardings/{id}")).into_response(),
        Err(OnboardingError::Conflict(why)) => show_page(
            &verifier,
            &user,
            &id,
            Some(sentence(&why)),
            String::new(),
            StatusCode::CONFLICT,
        ),
        Err(other) => failure(&user, other),
    }
}

#[derive(Deserialize)]
struct BypassForm {
    #[serde(default)]
    justification: String,
}

async fn bypass(
    State(verifier): State<Arc<Verifier>>,
    Path(id): Path<String>,
    posted: CheckedForm<BypassForm>,
) -> Response {
    let CheckedForm { user, form } = posted;
    if let Some(refused) = user.refusal_without(HR, "bypass a checklist") {
        return refused;
    }
    match verifier.bypass_onboarding(&id, &user.account.care_identity_uuid, &form.justification) {
        Ok(_) => Redirect::to(&format!("/console/onboardings/{id}")).into_response(),
        Err(OnboardingError::Invalid(why) | OnboardingError::Conflict(why)) => show_page(
            &verifier,
            &user,
            &id,
            Some(sentence(&why)),
            form.justification,
            StatusCode::BAD_REQUEST,
        ),
        Err(other) => failure(&user, other),
    }
}

fn csv_download(user: &SignedIn, rows: Result<String, OnboardingError>, name: &str) -> Response {
    match rows {
        Ok(csv) => (
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
            .into_response(),
        Err(error) => failure(user, error),
    }
}

async fn grants_of_csv(
    State(verifier): State<Arc<Verifier>>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Response {
    if let Some(refused) = user.refusal_without(HR, "export grants") {
        return refused;
    }
    let csv = verifier
        .recorded_grants(Some(&id))
        .and_then(|rows| grants_csv(&rows));
    csv_download(&user, csv, &format!("grants-{id}.csv"))
}

async fn all_grants_csv(State(verifier): State<Arc<Verifier>>, user: SignedIn) -> Response {
    if let Some(refused) = user.refusal_without(HR, "export grants") {
        return refused;
    }
    let csv = verifier
        .recorded_grants(None)
        .and_then(|rows| grants_csv(&rows));
    csv_download(&user, csv, "grants.csv")
}
