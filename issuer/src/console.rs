//! The RA console (issue 7), server-rendered at `/`: Registration Authority and HR officers
//! find a person, see their credentials and where each stands, hand them an invitation
//! (the offer's QR code and its PIN), decide the requests ESR events left for an RA (name
//! changes, new starters' identity checks), and read the ESR event log.
//! Thin: every decision is the issuer's; this turns forms into calls and results into
//! pages. Sign-in, sessions and CSRF are `service_kit::console_web`'s.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::json;
use service_kit::console::ConsoleAccounts;
use service_kit::console_web::{
    self, field, page, query_fields, sentence, when, wire_name, CheckedForm, Chrome, ConsoleHost,
    SignedIn,
};

use crate::error::IssuerError;
use crate::esr::EsrPerson;
use crate::events::{EventOutcome, NameField, RaRequestKind};
use crate::lifecycle::RaDecision;
use crate::offers::OfferRequest;
use crate::oid4vci::{display_name, parse_configuration_id, Format};
use crate::qr;
use crate::service::Issuer;
use crate::store::{CredentialState, RaRequest, RaRequestState};

/// Registration Authority officers: invitations and decisions on RA requests.
pub const RA: &str = "ra";
/// Read-only: people, credentials, the queue and the event log.
pub const AUDITOR: &str = "auditor";
/// Manages the console's accounts.
pub const ADMIN: &str = console_web::ADMIN;

/// Rows a list page shows at most; a search narrows it.
const PAGE_ROWS: usize = 200;

/// The PIN of an invitation is held (in memory only, by the console's accounts) for the
/// session that made it while the offer waits: reloading the invitation page neither loses
/// the PIN nor makes a second offer, and nobody else's session sees it.
fn pin_key(offer_id: &str) -> String {
    format!("pin:{offer_id}")
}

impl ConsoleHost for Issuer {
    fn console_accounts(&self) -> Option<&ConsoleAccounts> {
        self.console()
    }

    fn console_name(&self) -> &str {
        "RA console"
    }

    fn console_over_https(&self) -> bool {
        self.public_base_url().starts_with("https://")
    }

    fn console_cookie(&self) -> &'static str {
        "passport_ra"
    }

    fn console_roles(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (RA, "Make invitations and decide RA requests"),
            (
                AUDITOR,
                "See people, credentials, requests and the event log",
            ),
            (ADMIN, "Manage this console's accounts"),
        ]
    }
}

pub fn routes() -> Router<Arc<Issuer>> {
    Router::new()
        .route("/", get(home))
        .route("/console/people/{person_id}", get(person_page))
        .route("/console/people/{person_id}/invitations", post(invite))
        .route("/console/invitations/{offer_id}", get(invitation))
        .route(
            "/console/invitations/{offer_id}/status",
            get(invitation_status),
        )
        .route("/console/requests", get(requests))
        .route("/console/requests/{request_id}/accept", post(accept))
        .route("/console/requests/{request_id}/reject", post(reject))
        .route("/console/events", get(events))
        .merge(console_web::routes::<Issuer>())
}

fn failure(user: &SignedIn, error: IssuerError) -> Response {
    match error {
        IssuerError::UnknownPerson(id) => user.message(
            StatusCode::NOT_FOUND,
            "Not found",
            format!("There is no person {id} here."),
        ),
        IssuerError::NotFound(why) => {
            user.message(StatusCode::NOT_FOUND, "Not found", sentence(&why))
        }
        IssuerError::BadRequest(why)
        | IssuerError::UnknownOption(why)
        | IssuerError::NotIssuable(why) => user.message(
            StatusCode::BAD_REQUEST,
            "This cannot be done",
            sentence(&why),
        ),
        IssuerError::Conflict(why) => user.message(
            StatusCode::CONFLICT,
            "This cannot be done now",
            sentence(&why),
        ),
        IssuerError::Registry(why) => {
            tracing::error!(%why, "RA console: the trust registry failed");
            user.message(
                StatusCode::SERVICE_UNAVAILABLE,
                "The trust registry did not answer",
                "Nothing was changed. Try again in a minute.".into(),
            )
        }
        other => {
            tracing::error!(error = %other, "RA console");
            user.message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The issuer's records could not be read or saved. Nothing was changed.".into(),
            )
        }
    }
}

fn state_words(state: CredentialState) -> (&'static str, &'static str) {
    match state {
        CredentialState::Active => ("Active", "nhsuk-tag--green"),
        CredentialState::Suspended => ("Suspended", "nhsuk-tag--orange"),
        CredentialState::Revoked => ("Revoked", "nhsuk-tag--red"),
    }
}

fn offer_words(status: &str) -> (&'static str, &'static str) {
    match status {
        "pending" => ("Waiting to be collected", "nhsuk-tag--blue"),
        "redeemed" => ("Collected", "nhsuk-tag--green"),
        "locked" => ("Locked: too many wrong PINs", "nhsuk-tag--red"),
        _ => ("Expired", "nhsuk-tag--grey"),
    }
}

/// Everyone who may read this console: RAs and auditors (an account that only manages
/// accounts sees no one's records).
fn refusal_to_read(user: &SignedIn) -> Option<Response> {
    user.refusal_without_any(&[RA, AUDITOR], "see people and their credentials")
}

struct PersonRow {
    person_id: String,
    name: String,
    status: String,
    organisations: String,
}

#[derive(Template)]
#[template(path = "ra/home.html")]
struct HomePage {
    chrome: Chrome,
    organisation: String,
    query: String,
    rows: Vec<PersonRow>,
    matched: usize,
    total: usize,
    pending: usize,
}

async fn home(
    State(issuer): State<Arc<Issuer>>,
    user: SignedIn,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Some(refused) = refusal_to_read(&user) {
        return refused;
    }
    let fields = query_fields(raw);
    let query = field(&fields, "q").to_owned();
    let people = match issuer.people_summary() {
        Ok(people) => people,
        Err(error) => return failure(&user, error),
    };
    let total = people.len();
    let needle = query.to_lowercase();
    let matching: Vec<PersonRow> = people
        .into_iter()
        .filter(|p| {
            needle.is_empty()
                || p.person_id.to_lowercase().contains(&needle)
                || format!("{} {}", p.given_name, p.family_name)
                    .to_lowercase()
                    .contains(&needle)
        })
        .map(|p| PersonRow {
            name: format!("{} {}", p.given_name, p.family_name),
            person_id: p.person_id,
            status: p.status.replace('_', " "),
            organisations: p.organisations.join(", "),
        })
        .collect();
    let matched = matching.len();
    page(
        StatusCode::OK,
        &HomePage {
            chrome: user.chrome.clone(),
            organisation: format!(
                "{} ({})",
                issuer.organisation().name,
                issuer.organisation().ods_code
            ),
            query,
            rows: matching.into_iter().take(PAGE_ROWS).collect(),
            matched,
            total,
            pending: match issuer.ra_requests(Some(RaRequestState::Pending)) {
                Ok(pending) => pending.len(),
                Err(error) => return failure(&user, error),
            },
        },
    )
}

struct AssignmentRow {
    number: String,
    title: String,
    organisation: String,
    staff_group: String,
    status: String,
    primary: bool,
}

struct HistoryLine {
    at: String,
    text: String,
}

struct CredentialRow {
    credential_id: String,
    kind: String,
    assignment: String,
    issued: String,
    holder: String,
    state: &'static str,
    tag: &'static str,
    history: Vec<HistoryLine>,
}

struct OfferRow {
    offer_id: String,
    created: String,
    expires: String,
    status: &'static str,
    tag: &'static str,
    by: String,
}

struct Choice {
    value: String,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "ra/person.html")]
struct PersonPage {
    chrome: Chrome,
    error: Option<String>,
    person_id: String,
    name: String,
    care_identity: String,
    employee_number: String,
    status: String,
    assignments: Vec<AssignmentRow>,
    /// ESR events held until their date.
    held: Vec<HeldRow>,
    credentials: Vec<CredentialRow>,
    offers: Vec<OfferRow>,
    can_invite: bool,
    types: Vec<Choice>,
    lifetimes: Vec<Choice>,
}

struct HeldRow {
    on: String,
    /// Its date has passed and it is still held: a run failed (see the issuer's log).
    overdue: bool,
    what: String,
    assignment: String,
    event_id: String,
}

/// What an officer may choose for an invitation's life: minutes for one handed over in
/// person, longer for one sent to the starter; none longer than the issuer allows.
const LIFETIMES: [(i64, &str); 5] = [
    (300, "5 minutes"),
    (900, "15 minutes"),
    (3600, "1 hour"),
    (86_400, "1 day"),
    (604_800, "7 days"),
];

fn person_page_for(
    issuer: &Issuer,
    user: &SignedIn,
    person_id: &str,
    error: Option<String>,
    chosen: &[(String, String)],
    status: StatusCode,
) -> Response {
    let person: EsrPerson = match issuer.person(person_id).and_then(|record| {
        serde_json::from_value(record).map_err(|e| IssuerError::Store(e.to_string()))
    }) {
        Ok(person) => person,
        Err(error) => return failure(user, error),
    };
    let (ledger, offers, offerable) = match (
        issuer.person_ledger(person_id),
        issuer.offers_for(person_id),
        issuer.offerable_types(person_id),
    ) {
        (Ok(ledger), Ok(offers), Ok(offerable)) => (ledger, offers, offerable),
        // A record that supports nothing here can still be seen; it just offers nothing.
        (Ok(ledger), Ok(offers), Err(IssuerError::NotIssuable(_))) => (ledger, offers, Vec::new()),
        (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) => {
            return failure(user, error)
        }
    };
    let held = match issuer.event_log(Some(person_id)) {
        Ok(events) => events
            .into_iter()
            .filter(|e| e.outcome == EventOutcome::Scheduled)
            .filter_map(|e| {
                let date = e.scheduled_for?;
                Some(HeldRow {
                    on: date.format("%d %b %Y").to_string(),
                    overdue: date < issuer.clock.now().date_naive(),
                    what: wire_name(e.event_type).replace('_', " "),
                    assignment: e.event["assignment_number"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    event_id: e.event_id,
                })
            })
            .collect(),
        Err(error) => return failure(user, error),
    };
    let now = chrono::Utc::now();
    let first_visit = chosen.is_empty();
    let asked = |name: &str, value: &str| chosen.iter().any(|(k, v)| k == name && v == value);
    let longest = issuer.longest_offer_seconds();
    let mut lifetimes: Vec<Choice> = LIFETIMES
        .iter()
        .filter(|(seconds, _)| *seconds <= longest)
        .map(|(seconds, label)| Choice {
            value: seconds.to_string(),
            label: (*label).into(),
            checked: asked("expires_in_seconds", &seconds.to_string()),
        })
        .collect();
    if lifetimes.is_empty() || !LIFETIMES.iter().any(|(s, _)| *s == longest) {
        lifetimes.push(Choice {
            value: longest.to_string(),
            label: format!("{} minutes (the longest allowed here)", longest / 60),
            checked: asked("expires_in_seconds", &longest.to_string()),
        });
    }
    if !lifetimes.iter().any(|c| c.checked) {
        let default = lifetimes
            .iter()
            .position(|c| c.value == "900")
            .unwrap_or(lifetimes.len() - 1);
        lifetimes[default].checked = true;
    }
    page(
        status,
        &PersonPage {
            chrome: user.chrome.clone(),
            error,
            person_id: person.person_id.clone(),
            name: format!(
                "{} {} {}",
                person.title, person.given_name, person.family_name
            ),
            care_identity: person.uuid.to_string(),
            employee_number: person.esr_employee_number.clone(),
            status: wire_name(person.status).replace('_', " "),
            assignments: person
                .assignments
                .iter()
                .map(|a| AssignmentRow {
                    number: a.assignment_number.to_string(),
                    title: a.position_title.clone(),
                    organisation: a.org_ods.to_string(),
                    staff_group: a.staff_group.clone(),
                    status: wire_name(a.status).replace('_', " "),
                    primary: a.primary,
                })
                .collect(),
            held,
            credentials: ledger
                .iter()
                .rev()
                .map(|entry| {
                    let (state, tag) = state_words(entry.state);
                    CredentialRow {
                        credential_id: entry.credential_id.clone(),
                        kind: entry
                            .kind()
                            .map(|k| display_name(k).to_owned())
                            .unwrap_or_else(|| entry.credential_type.clone()),
                        assignment: entry.assignment_number.clone().unwrap_or_default(),
                        issued: when(&entry.issued_at),
                        holder: entry.holder.clone().unwrap_or_else(|| "not bound".into()),
                        state,
                        tag,
                        history: entry
                            .history
                            .iter()
                            .map(|change| HistoryLine {
                                at: when(&change.at),
                                text: format!(
                                    "{}: {} ({})",
                                    state_words(change.state).0,
                                    change.reason,
                                    change.cause
                                ),
                            })
                            .collect(),
                    }
                })
                .collect(),
            offers: offers
                .iter()
                .map(|offer| {
                    let (status, tag) = offer_words(offer.status(now));
                    OfferRow {
                        offer_id: offer.offer_id.clone(),
                        created: offer.created_at.format("%d %b %Y %H:%M").to_string(),
                        expires: offer.expires_at.format("%d %b %Y %H:%M").to_string(),
                        status,
                        tag,
                        by: offer.created_by.clone().unwrap_or_else(|| "the API".into()),
                    }
                })
                .collect(),
            can_invite: user.account.has_role(RA) && !offerable.is_empty(),
            types: offerable
                .iter()
                .map(|kind| Choice {
                    value: kind.type_name().to_owned(),
                    label: display_name(*kind).to_owned(),
                    checked: first_visit || asked("types", kind.type_name()),
                })
                .collect(),
            lifetimes,
        },
    )
}

async fn person_page(
    State(issuer): State<Arc<Issuer>>,
    user: SignedIn,
    Path(person_id): Path<String>,
) -> Response {
    if let Some(refused) = refusal_to_read(&user) {
        return refused;
    }
    person_page_for(&issuer, &user, &person_id, None, &[], StatusCode::OK)
}

#[derive(Template)]
#[template(path = "ra/invitation.html")]
struct InvitationPage {
    chrome: Chrome,
    offer_id: String,
    person_id: String,
    name: String,
    /// Only to the session that made the invitation, while it waits (`pin_key`).
    pin: Option<String>,
    qr_svg: Option<String>,
    link: String,
    status: &'static str,
    status_code: &'static str,
    tag: &'static str,
    expires: String,
    types: Vec<String>,
    by: String,
}

async fn invite(
    State(issuer): State<Arc<Issuer>>,
    Path(person_id): Path<String>,
    posted: CheckedForm<Vec<(String, String)>>,
) -> Response {
    let CheckedForm { user, form } = posted;
    if let Some(refused) = user.refusal_without(RA, "make an invitation") {
        return refused;
    }
    let types: Vec<String> = form
        .iter()
        .filter(|(key, _)| key == "types")
        .map(|(_, value)| value.clone())
        .collect();
    let refuse = |why: &str| {
        person_page_for(
            &issuer,
            &user,
            &person_id,
            Some(why.into()),
            &form,
            StatusCode::BAD_REQUEST,
        )
    };
    if types.is_empty() {
        return refuse("Choose at least one credential to offer.");
    }
    let longest = issuer.longest_offer_seconds();
    let expires_in_seconds = match field(&form, "expires_in_seconds").parse::<i64>() {
        Ok(seconds) if (1..=longest).contains(&seconds) => seconds.unsigned_abs(),
        _ => {
            return refuse(&format!(
                "Choose how long the invitation lasts: at most {} minutes here.",
                longest / 60
            ))
        }
    };
    let request = OfferRequest {
        formats: None,
        types: Some(types),
        expires_in_seconds: Some(expires_in_seconds),
        created_by: Some(user.account.care_identity_uuid.clone()),
    };
    match issuer.create_offer(&person_id, &request) {
        Ok(created) => {
            tracing::info!(
                person_id,
                by = %user.account.care_identity_uuid,
                "invitation made in the RA console"
            );
            // The offer's own expiry; should it not read, the lifetime asked for.
            let until = DateTime::parse_from_rfc3339(&created.expires_at)
                .map(|at| at.with_timezone(&Utc))
                .unwrap_or_else(|_| {
                    issuer.clock.now() + chrono::Duration::seconds(expires_in_seconds as i64)
                });
            if let Some(accounts) = issuer.console() {
                accounts.hold_for_session(
                    &user.session,
                    &pin_key(&created.offer_id),
                    created.tx_code,
                    until,
                    issuer.clock.now(),
                );
            }
            // Posted, then shown by a redirect: reloading the page makes no second offer.
            Redirect::to(&format!("/console/invitations/{}", created.offer_id)).into_response()
        }
        Err(IssuerError::BadRequest(why) | IssuerError::NotIssuable(why)) => {
            refuse(&sentence(&why))
        }
        Err(other) => failure(&user, other),
    }
}

fn invitation_page(issuer: &Issuer, user: &SignedIn, offer_id: &str) -> Response {
    let (offer, status) = match issuer.offer_record(offer_id) {
        Ok(found) => found,
        Err(error) => return failure(user, error),
    };
    let pin = issuer.console().and_then(|accounts| {
        if status == "pending" {
            accounts.held_for_session(&user.session, &pin_key(offer_id), issuer.clock.now())
        } else {
            accounts.forget_held(&pin_key(offer_id));
            None
        }
    });
    let name = match issuer.person(&offer.person_id) {
        Ok(record) => format!(
            "{} {}",
            record["given_name"].as_str().unwrap_or_default(),
            record["family_name"].as_str().unwrap_or_default()
        ),
        Err(error) => return failure(user, error),
    };
    let link = issuer.offer_link(&offer.offer_id);
    let qr_svg = if status == "pending" {
        match qr::svg(&link) {
            Ok(svg) => Some(svg),
            Err(error) => return failure(user, error),
        }
    } else {
        None
    };
    let (words, tag) = offer_words(status);
    page(
        StatusCode::OK,
        &InvitationPage {
            chrome: user.chrome.clone(),
            offer_id: offer.offer_id.clone(),
            person_id: offer.person_id.clone(),
            name,
            pin,
            qr_svg,
            link,
            status: words,
            status_code: status,
            tag,
            expires: offer.expires_at.format("%d %b %Y %H:%M UTC").to_string(),
            types: offer
                .credential_configuration_ids
                .iter()
                .map(|id| configuration_words(id))
                .collect(),
            by: offer.created_by.clone().unwrap_or_else(|| "the API".into()),
        },
    )
}

/// A configuration id (`EmploymentCredential_ldp_vc`) as an officer reads it.
fn configuration_words(id: &str) -> String {
    match parse_configuration_id(id) {
        Some((kind, Format::LdpVc)) => format!("{} (W3C VC)", display_name(kind)),
        Some((kind, Format::DcSdJwt)) => format!("{} (SD-JWT VC)", display_name(kind)),
        None => id.to_owned(),
    }
}

async fn invitation(
    State(issuer): State<Arc<Issuer>>,
    user: SignedIn,
    Path(offer_id): Path<String>,
) -> Response {
    if let Some(refused) = refusal_to_read(&user) {
        return refused;
    }
    invitation_page(&issuer, &user, &offer_id)
}

async fn invitation_status(
    State(issuer): State<Arc<Issuer>>,
    user: SignedIn,
    Path(offer_id): Path<String>,
) -> Response {
    if refusal_to_read(&user).is_some() {
        return (StatusCode::FORBIDDEN, Json(json!({"status": "unknown"}))).into_response();
    }
    match issuer.offer_record(&offer_id) {
        Ok((_, status)) => (
            [(header::CACHE_CONTROL, "no-store")],
            Json(json!({ "status": status })),
        )
            .into_response(),
        Err(IssuerError::NotFound(_)) => {
            (StatusCode::NOT_FOUND, Json(json!({"status": "unknown"}))).into_response()
        }
        Err(error) => {
            tracing::error!(%error, "RA console: an invitation's status");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"status": "unknown"})),
            )
                .into_response()
        }
    }
}

struct RequestRow {
    request_id: String,
    person_id: String,
    what: String,
    is_new_starter: bool,
    event_id: String,
    created: String,
    state: &'static str,
    tag: &'static str,
    decision: String,
    effects: String,
    /// Why the last decision on this request was refused, and the reason typed then.
    error: Option<String>,
    reason: String,
}

#[derive(Template)]
#[template(path = "ra/requests.html")]
struct RequestsPage {
    chrome: Chrome,
    error: Option<(String, String)>,
    pending: Vec<RequestRow>,
    decided: Vec<RequestRow>,
    can_decide: bool,
}

fn request_row(request: &RaRequest) -> RequestRow {
    let what = match &request.request {
        RaRequestKind::CreateUser => {
            "New starter: check their identity and photo, then create their Care Identity".into()
        }
        RaRequestKind::ModifyUser { field, old, new } => format!(
            "Name change: {} from “{old}” to “{new}”",
            match field {
                NameField::GivenName => "given name",
                NameField::FamilyName => "family name",
                NameField::MiddleNames => "middle names",
            }
        ),
    };
    let (state, tag) = match request.state {
        RaRequestState::Pending => ("Waiting", "nhsuk-tag--orange"),
        RaRequestState::Accepted => ("Accepted", "nhsuk-tag--green"),
        RaRequestState::Rejected => ("Rejected", "nhsuk-tag--red"),
    };
    RequestRow {
        request_id: request.request_id.clone(),
        person_id: request.person_id.clone(),
        is_new_starter: matches!(request.request, RaRequestKind::CreateUser),
        what,
        event_id: request.event_id.clone(),
        created: when(&request.created_at),
        state,
        tag,
        decision: match (&request.decided_by, &request.decided_at) {
            (Some(by), Some(at)) => format!(
                "by {by} on {}{}",
                when(at),
                request
                    .reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
            _ => String::new(),
        },
        effects: request.effects.join(", ").replace('_', " "),
        error: None,
        reason: String::new(),
    }
}

fn requests_page(
    issuer: &Issuer,
    user: &SignedIn,
    error: Option<(String, String)>,
    reason: String,
    status: StatusCode,
) -> Response {
    let all = match issuer.ra_requests(None) {
        Ok(all) => all,
        Err(error) => return failure(user, error),
    };
    let (mut pending, mut decided): (Vec<_>, Vec<_>) =
        all.iter().partition(|r| r.state == RaRequestState::Pending);
    pending.sort_by(|a, b| a.created_at.cmp(&b.created_at));
    decided.sort_by(|a, b| b.decided_at.cmp(&a.decided_at));
    page(
        status,
        &RequestsPage {
            chrome: user.chrome.clone(),
            pending: pending
                .into_iter()
                .map(|request| {
                    let mut row = request_row(request);
                    if let Some((failed, message)) = &error {
                        if *failed == row.request_id {
                            row.error = Some(message.clone());
                            row.reason = reason.clone();
                        }
                    }
                    row
                })
                .collect(),
            error,
            decided: decided
                .into_iter()
                .take(PAGE_ROWS)
                .map(request_row)
                .collect(),
            can_decide: user.account.has_role(RA),
        },
    )
}

async fn requests(State(issuer): State<Arc<Issuer>>, user: SignedIn) -> Response {
    if let Some(refused) = refusal_to_read(&user) {
        return refused;
    }
    requests_page(&issuer, &user, None, String::new(), StatusCode::OK)
}

#[derive(serde::Deserialize)]
struct DecisionForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    holder: String,
}

async fn decide(
    issuer: &Issuer,
    request_id: &str,
    accept: bool,
    posted: CheckedForm<DecisionForm>,
) -> Response {
    let CheckedForm { user, form } = posted;
    if let Some(refused) = user.refusal_without(RA, "decide an RA request") {
        return refused;
    }
    let decision = RaDecision {
        decided_by: user.account.care_identity_uuid.clone(),
        reason: Some(form.reason.clone()).filter(|r| !r.trim().is_empty()),
        holder: Some(form.holder.trim().to_owned()).filter(|h| !h.is_empty()),
    };
    match issuer.decide_ra_request(request_id, accept, decision).await {
        Ok(_) => Redirect::to("/console/requests").into_response(),
        Err(IssuerError::BadRequest(why) | IssuerError::Conflict(why)) => requests_page(
            issuer,
            &user,
            Some((request_id.to_owned(), sentence(&why))),
            form.reason,
            StatusCode::BAD_REQUEST,
        ),
        Err(other) => failure(&user, other),
    }
}

async fn accept(
    State(issuer): State<Arc<Issuer>>,
    Path(request_id): Path<String>,
    posted: CheckedForm<DecisionForm>,
) -> Response {
    decide(&issuer, &request_id, true, posted).await
}

async fn reject(
    State(issuer): State<Arc<Issuer>>,
    Path(request_id): Path<String>,
    posted: CheckedForm<DecisionForm>,
) -> Response {
    decide(&issuer, &request_id, false, posted).await
}

struct EventRow {
    event_id: String,
    event_type: String,
    person_id: String,
    occurred: String,
    received: String,
    outcome: String,
    effects: String,
    changes: String,
    ra_request: Option<String>,
}

#[derive(Template)]
#[template(path = "ra/events.html")]
struct EventsPage {
    chrome: Chrome,
    person: String,
    event_type: String,
    types: Vec<String>,
    rows: Vec<EventRow>,
    matched: usize,
}

async fn events(
    State(issuer): State<Arc<Issuer>>,
    user: SignedIn,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Some(refused) = refusal_to_read(&user) {
        return refused;
    }
    let fields = query_fields(raw);
    let person = field(&fields, "person").to_owned();
    let event_type = field(&fields, "type").to_owned();
    let mut log = match issuer.event_log(None) {
        Ok(log) => log,
        Err(error) => return failure(&user, error),
    };
    let mut types: Vec<String> = log.iter().map(|e| wire_name(e.event_type)).collect();
    types.sort();
    types.dedup();
    log.retain(|e| {
        (person.is_empty() || e.person_id == person)
            && (event_type.is_empty() || wire_name(e.event_type) == event_type)
    });
    log.sort_by(|a, b| b.received_at.cmp(&a.received_at));
    let matched = log.len();
    let rows = log
        .into_iter()
        .take(PAGE_ROWS)
        .map(|e| {
            let c = &e.credentials;
            let changes = [
                ("issued", c.issued.len()),
                ("revoked", c.revoked.len()),
                ("suspended", c.suspended.len()),
                ("reinstated", c.reinstated.len()),
            ]
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(what, n)| format!("{n} {what}"))
            .collect::<Vec<_>>()
            .join(", ");
            EventRow {
                event_type: wire_name(e.event_type),
                person_id: e.person_id.clone(),
                occurred: when(&e.occurred_at),
                received: when(&e.received_at),
                outcome: match e.scheduled_for {
                    Some(date) if e.outcome == EventOutcome::Scheduled => {
                        format!("scheduled for {}", date.format("%d %b %Y"))
                    }
                    _ => wire_name(e.outcome).replace('_', " "),
                },
                effects: e.effects.join(", ").replace('_', " "),
                changes: if changes.is_empty() {
                    "none".into()
                } else {
                    changes
                },
                ra_request: e.ra_request.clone(),
                event_id: e.event_id,
            }
        })
        .collect();
    page(
        StatusCode::OK,
        &EventsPage {
            chrome: user.chrome.clone(),
            person,
            event_type,
            types,
            rows,
            matched,
        },
    )
}
