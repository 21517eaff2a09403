//! Carrying out ESR lifecycle events and RA decisions: the registry's status changes first
//! (so a leaver's credentials are revoked before the event is acknowledged, and a person
//! never holds an old and a new role at once), then issuance, then one atomic, flushed
//! commit of the record, the ledger, the issuance log and the event log.

use chrono::{DateTime, NaiveDate, Utc};
use credentials::catalogue::xsd_date_time;
use credentials::identifiers::{CareIdentityUuid, PersonRoleId};
use credentials::Cryptosuite;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{IssuerError, Result};
use crate::esr::EsrPerson;
use crate::events::{
    accept_new_starter, effect_name, grant_name_change, plan, read_event, EsrEvent, EventOutcome,
    EventRejection, EventType, IssueScope, Plan, RaRequestKind, ReasonCode, StatusChange,
};
use crate::issuance::{assignment_of, credentials_for};
use crate::service::Issuer;
use crate::store::{
    Commit, CredentialChanges, CredentialState, EventRecord, LedgerEntry, RaRequest,
    RaRequestState, StateChange,
};

/// What the ESR interface is told about an applied event.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventReply {
    pub event_id: String,
    pub outcome: EventOutcome,
    pub effects: Vec<String>,
    pub credentials: CredentialChanges,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ra_request: Option<String>,
    /// The event had been applied before; nothing changed this time.
    pub duplicate: bool,
}

impl EventReply {
    fn from_record(record: &EventRecord, duplicate: bool) -> Self {
        Self {
            event_id: record.event_id.clone(),
            outcome: record.outcome,
            effects: record.effects.clone(),
            credentials: record.credentials.clone(),
            ra_request: record.ra_request.clone(),
            duplicate,
        }
    }
}

/// An event's entry in the event log, changing no credential and opening no RA request.
fn logged_event(
    event: &EsrEvent,
    received_at: String,
    outcome: EventOutcome,
    effects: Vec<String>,
) -> EventRecord {
    EventRecord {
        event_id: event.event_id.clone(),
        event_type: event.event_type,
        person_id: event.person_id.clone(),
        occurred_at: xsd_date_time(&event.occurred_at),
        received_at,
        fingerprint: event.fingerprint.clone(),
        outcome,
        effects,
        credentials: CredentialChanges::default(),
        ra_request: None,
        event: event.body.clone(),
        scheduled_for: None,
    }
}

/// How a carried-out event goes into the event log besides what it did.
struct Logged {
    received_at: String,
    /// The date it was held for, if it was.
    scheduled_for: Option<NaiveDate>,
    /// Held events it ends.
    held_ended: Vec<EventRecord>,
}

/// What one run over the held events did.
#[derive(Debug, Default)]
pub struct DueRun {
    /// Carried out, or ended as not applied, in the order it happened.
    pub done: Vec<EventRecord>,
    /// Each person whose due event failed (theirs wait for the next run), with why.
    pub failed: Vec<(String, IssuerError)>,
}

/// The held events of this type among `held`, ended by the event `by`: recorded as not
/// applied, naming it.
fn ended_by(held: &[EventRecord], event_type: EventType, by: &str) -> Vec<EventRecord> {
    held.iter()
        .filter(|record| record.event_type == event_type)
        .map(|record| EventRecord {
            outcome: EventOutcome::NotApplied,
            effects: vec![format!("not_applied:superseded: by {by}")],
            ..record.clone()
        })
        .collect()
}

/// Why an event was not applied: refused (its fault: nothing changed) or failed (ours or
/// the registry's: retry it; nothing was acknowledged).
#[derive(Debug)]
pub enum EventError {
    Rejected(EventRejection),
    Failed(IssuerError),
}

impl From<IssuerError> for EventError {
    fn from(error: IssuerError) -> Self {
        EventError::Failed(error)
    }
}

fn rejected(event: &EsrEvent, code: ReasonCode, detail: String) -> EventError {
    EventError::Rejected(EventRejection {
        reason_code: code,
        detail,
        event_id: Some(event.event_id.clone()),
    })
}

/// One line of a batch's answer.
#[derive(Clone, Debug, Serialize)]
pub struct BatchLine {
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// `accepted`, `accepted_pending_manual_grant`, `scheduled` (held until its date),
    /// `duplicate`, `rejected` or `not_processed` (the batch stopped at a failure; send
    /// these again).
    pub result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<ReasonCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply: Option<EventReply>,
}

/// An RA's decision on a pending request.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RaDecision {
    /// The deciding RA's Care Identity UUID (BR-34).
    pub decided_by: String,
    /// Required to reject; recorded when accepting.
    pub reason: Option<String>,
    /// For a new starter: the wallet DID the RA bound at the identity check.
    pub holder: Option<String>,
}

impl Issuer {
    /// Applies one ESR event (given as JSON). Idempotent on `event_id`; an older event for
    /// a person than one already applied is refused (BR-22).
    pub async fn apply_event(&self, raw: &Value) -> std::result::Result<EventReply, EventError> {
        let _one_at_a_time = self.lifecycle.lock().await;
        let now = self.clock.now();
        let event = read_event(raw, &self.catalogue, now).map_err(EventError::Rejected)?;
        if let Some(record) = self.store.event(&event.event_id)? {
            if record.fingerprint == event.fingerprint {
                return Ok(EventReply::from_record(&record, true));
            }
            return Err(rejected(
                &event,
                ReasonCode::EventIdReused,
                format!(
                    "{} was applied before with different content",
                    event.event_id
                ),
            ));
        }
        if event.org_ods != self.organisation.ods_code {
            return Err(rejected(
                &event,
                ReasonCode::WrongOrganisation,
                format!(
                    "this issuer acts for {}, not {}",
                    self.organisation.ods_code, event.org_ods
                ),
            ));
        }
        let Some(record) = self.store.person(&event.person_id)? else {
            return Err(rejected(
                &event,
                ReasonCode::UnknownPerson,
                format!("no person {}", event.person_id),
            ));
        };
        let person: EsrPerson = serde_json::from_value(record)
            .map_err(|e| IssuerError::Store(format!("stored record unreadable: {e}")))?;
        if let Some(latest) = self.store.person_clock(&event.person_id)? {
            let latest = DateTime::parse_from_rfc3339(&latest)
                .map_err(|e| IssuerError::Store(format!("stored clock unreadable: {e}")))?;
            if event.occurred_at < latest {
                return Err(rejected(
                    &event,
                    ReasonCode::OutOfOrder,
                    format!(
                        "an event for {} that occurred at {latest} has been applied; this one occurred earlier, at {}",
                        event.person_id, event.occurred_at
                    ),
                ));
            }
        }
        let ledger = self.store.ledger_for(&event.person_id)?;
        let held = self.held_for(&event)?;
        let planned = plan(
            &event,
            &person,
            &ledger,
            &self.catalogue,
            now.date_naive(),
            &mut random_role_id,
        );
        let received_at = xsd_date_time(&now);
        let plan = match planned {
            Ok(plan) => plan,
            // A suspension lifted before the held suspension began: it never begins.
            Err(rejection)
                if rejection.reason_code == ReasonCode::InvalidState
                    && event.event_type == EventType::SuspensionLifted
                    && held.iter().any(|h| h.event_type == EventType::Suspension) =>
            {
                let cancelled = ended_by(&held, EventType::Suspension, &event.event_id);
                let record = logged_event(
                    &event,
                    received_at,
                    EventOutcome::Accepted,
                    cancelled
                        .iter()
                        .map(|h| format!("cancelled_held:{}", h.event_id))
                        .collect(),
                );
                self.store.commit(&Commit {
                    event: Some(record.clone()),
                    held_ended: cancelled,
                    ..Commit::default()
                })?;
                return Ok(EventReply::from_record(&record, false));
            }
            Err(mut rejection) => {
                rejection.event_id = Some(event.event_id.clone());
                return Err(EventError::Rejected(rejection));
            }
        };
        // A newer LEAVER, JOB_CHANGE or SUSPENSION for the assignment replaces one held.
        let replaced = ended_by(&held, event.event_type, &event.event_id);
        if let Some(date) = event
            .change
            .takes_effect_on()
            .filter(|date| *date > now.date_naive())
        {
            // Checked now against the record as it stands, carried out on its date (BR-17:
            // a leaver's credentials stay valid until they leave).
            let record = EventRecord {
                scheduled_for: Some(date),
                ..logged_event(
                    &event,
                    received_at,
                    EventOutcome::Scheduled,
                    vec![format!("scheduled_for:{date}")],
                )
            };
            self.store.commit(&Commit {
                event: Some(record.clone()),
                held_ended: replaced,
                ..Commit::default()
            })?;
            tracing::info!(
                event_id = %record.event_id,
                event_type = ?record.event_type,
                person_id = %record.person_id,
                %date,
                "ESR event scheduled for its date"
            );
            return Ok(EventReply::from_record(&record, false));
        }
        let record = self
            .carry_out_event(
                &event,
                &person,
                &ledger,
                &plan,
                Logged {
                    received_at,
                    scheduled_for: None,
                    held_ended: replaced,
                },
            )
            .await?;
        Ok(EventReply::from_record(&record, false))
    }

    /// The events held for this event's person and assignment.
    fn held_for(&self, event: &EsrEvent) -> Result<Vec<EventRecord>> {
        let assignment = event.assignment_number.to_string();
        Ok(self
            .store
            .events()?
            .into_iter()
            .filter(|record| {
                record.outcome == EventOutcome::Scheduled
                    && record.person_id == event.person_id
                    && record.event["assignment_number"].as_str() == Some(assignment.as_str())
            })
            .collect())
    }

    /// Carries out a planned event and commits it with its event-log record.
    async fn carry_out_event(
        &self,
        event: &EsrEvent,
        person: &EsrPerson,
        ledger: &[LedgerEntry],
        plan: &Plan,
        logged: Logged,
    ) -> Result<EventRecord> {
        let Logged {
            received_at,
            scheduled_for,
            held_ended,
        } = logged;
        let now = self.clock.now();
        let step = self
            .carry_out(plan, person, ledger, &event.event_id, None)
            .await?;
        let ra_request = plan.ra_request.clone().map(|request| RaRequest {
            request_id: format!("RA-{}", uuid::Uuid::new_v4().simple()),
            person_id: event.person_id.clone(),
            event_id: event.event_id.clone(),
            created_at: xsd_date_time(&now),
            request,
            state: RaRequestState::Pending,
            decided_by: None,
            decided_at: None,
            reason: None,
            effects: Vec::new(),
            credentials: CredentialChanges::default(),
        });
        let record = EventRecord {
            credentials: step.changes,
            ra_request: ra_request.as_ref().map(|r| r.request_id.clone()),
            scheduled_for,
            ..logged_event(event, received_at, plan.outcome, step.effects)
        };
        self.store.commit(&Commit {
            person: step.person,
            ledger: step.ledger,
            issuances: step.issuances,
            event: Some(record.clone()),
            held_ended,
            ra_request,
        })?;
        tracing::info!(
            event_id = %record.event_id,
            event_type = ?record.event_type,
            person_id = %record.person_id,
            revoked = record.credentials.revoked.len(),
            suspended = record.credentials.suspended.len(),
            issued = record.credentials.issued.len(),
            "ESR event applied"
        );
        Ok(record)
    }

    /// Carries out the held events whose date has come by `today`, oldest date first, each
    /// checked again against the record as it stands then. One that no longer fits is
    /// recorded as not applied and changes nothing. A failure (the registry refuses or is
    /// down) leaves that event, and that person's later ones, held for the next run; other
    /// people's go on. Returns what was carried out or ended, and the failures.
    pub async fn apply_due_events(&self, today: NaiveDate) -> Result<DueRun> {
        let mut due: Vec<EventRecord> = self
            .store
            .events()?
            .into_iter()
            .filter(|record| {
                record.outcome == EventOutcome::Scheduled
                    && record.scheduled_for.is_some_and(|date| date <= today)
            })
            .collect();
        due.sort_by(|a, b| {
            (a.scheduled_for, &a.occurred_at, &a.event_id).cmp(&(
                b.scheduled_for,
                &b.occurred_at,
                &b.event_id,
            ))
        });
        let mut done = Vec::with_capacity(due.len());
        let mut failed: Vec<(String, IssuerError)> = Vec::new();
        for listed in due {
            if failed.iter().any(|(person, _)| *person == listed.person_id) {
                continue;
            }
            // One at a time with ESR deliveries and RA decisions, event by event, so a long
            // run does not hold them up; what was listed is read again under the lock.
            let _one_at_a_time = self.lifecycle.lock().await;
            let Some(held) = self
                .store
                .event(&listed.event_id)?
                .filter(|record| record.outcome == EventOutcome::Scheduled)
            else {
                continue;
            };
            match self.apply_held_event(held, today).await {
                Ok(record) => done.push(record),
                Err(error) => {
                    tracing::error!(
                        event_id = %listed.event_id,
                        person_id = %listed.person_id,
                        %error,
                        "a held ESR event is due and could not be carried out; it stays held"
                    );
                    failed.push((listed.person_id, error));
                }
            }
        }
        Ok(DueRun { done, failed })
    }

    async fn apply_held_event(&self, held: EventRecord, today: NaiveDate) -> Result<EventRecord> {
        let now = self.clock.now();
        let checked = match read_event(&held.event, &self.catalogue, now) {
            Ok(event) => match self.store.person(&event.person_id)? {
                None => Err(EventRejection::new(
                    ReasonCode::UnknownPerson,
                    format!("no person {}", event.person_id),
                )),
                Some(record) => {
                    let person: EsrPerson = serde_json::from_value(record).map_err(|e| {
                        IssuerError::Store(format!("stored record unreadable: {e}"))
                    })?;
                    let ledger = self.store.ledger_for(&event.person_id)?;
                    plan(
                        &event,
                        &person,
                        &ledger,
                        &self.catalogue,
                        today,
                        &mut random_role_id,
                    )
                    .map(|plan| (event, person, ledger, plan))
                }
            },
            // It read when it came; if it no longer does (say the catalogue changed), it is
            // not dropped in silence: it stays held, overdue, and each run reports it.
            Err(rejection) => {
                return Err(IssuerError::Conflict(format!(
                    "held event {} no longer reads: {}",
                    held.event_id, rejection.detail
                )))
            }
        };
        match checked {
            Ok((event, person, ledger, plan)) => {
                self.carry_out_event(
                    &event,
                    &person,
                    &ledger,
                    &plan,
                    Logged {
                        received_at: held.received_at.clone(),
                        scheduled_for: held.scheduled_for,
                        held_ended: Vec::new(),
                    },
                )
                .await
            }
            Err(rejection) => {
                let record = EventRecord {
                    outcome: EventOutcome::NotApplied,
                    effects: vec![format!(
                        "not_applied:{}: {}",
                        rejection.reason_code.as_str(),
                        rejection.detail
                    )],
                    ..held
                };
                self.store.commit(&Commit {
                    event: Some(record.clone()),
                    ..Commit::default()
                })?;
                tracing::error!(
                    event_id = %record.event_id,
                    person_id = %record.person_id,
                    reason = %rejection.detail,
                    "a held ESR event no longer fits on its date: not applied; an RA should look"
                );
                Ok(record)
            }
        }
    }

    /// Applies a JSON Lines batch, in `occurred_at` order (BR-22), answering line by line.
    /// A refused line changes nothing and the batch goes on; a failure (the registry is
    /// down) stops it, and the lines not reached are reported as not processed.
    pub async fn apply_event_batch(&self, text: &str) -> Vec<BatchLine> {
        let mut lines: Vec<(usize, std::result::Result<Value, String>)> = text
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(index, line)| {
                (
                    index + 1,
                    serde_json::from_str::<Value>(line).map_err(|e| e.to_string()),
                )
            })
            .collect();
        // Stable: events that occurred at the same moment keep the order they were sent in.
        lines.sort_by_key(|(_, parsed)| {
            parsed
                .as_ref()
                .ok()
                .and_then(|v| v.get("occurred_at"))
                .and_then(Value::as_str)
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc))
        });
        let mut answers = Vec::with_capacity(lines.len());
        let mut stopped = false;
        for (line, parsed) in lines {
            let event_id = parsed
                .as_ref()
                .ok()
                .and_then(|v| v.get("event_id"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            let mut answer = BatchLine {
                line,
                event_id,
                result: "not_processed",
                reason_code: None,
                detail: None,
                reply: None,
            };
            match (stopped, parsed) {
                (true, _) => {}
                (false, Err(error)) => {
                    answer.result = "rejected";
                    answer.reason_code = Some(ReasonCode::MalformedEvent);
                    answer.detail = Some(format!("line {line} is not JSON: {error}"));
                }
                (false, Ok(value)) => match self.apply_event(&value).await {
                    Ok(reply) => {
                        if reply.duplicate {
                            answer.reason_code = Some(ReasonCode::DuplicateEvent);
                        }
                        answer.result = match (reply.duplicate, reply.outcome) {
                            (true, _) => "duplicate",
                            (false, EventOutcome::Accepted) => "accepted",
                            (false, EventOutcome::AcceptedPendingManualGrant) => {
                                "accepted_pending_manual_grant"
                            }
                            (false, EventOutcome::Scheduled) => "scheduled",
                            // Only a held event ends so, never a delivery.
                            (false, EventOutcome::NotApplied) => "rejected",
                        };
                        answer.reply = Some(reply);
                    }
                    Err(EventError::Rejected(rejection)) => {
                        answer.result = "rejected";
                        answer.reason_code = Some(rejection.reason_code);
                        answer.detail = Some(rejection.detail);
                    }
                    Err(EventError::Failed(error)) => {
                        tracing::error!(%error, line, "ESR batch stopped");
                        answer.detail = Some(
                            "the event could not be applied now (a service it needs is unavailable); send it again".into(),
                        );
                        stopped = true;
                    }
                },
            }
            answers.push(answer);
        }
        answers.sort_by_key(|a| a.line);
        answers
    }

    /// The event log, oldest first; for one person when asked.
    pub fn event_log(&self, person_id: Option<&str>) -> Result<Vec<EventRecord>> {
        let mut events = self.store.events()?;
        if let Some(id) = person_id {
            events.retain(|e| e.person_id == id);
        }
        Ok(events)
    }

    /// Every credential issued to a person here, with its state.
    pub fn person_ledger(&self, person_id: &str) -> Result<Vec<LedgerEntry>> {
        self.person(person_id)?;
        self.store.ledger_for(person_id)
    }

    pub fn ra_requests(&self, state: Option<RaRequestState>) -> Result<Vec<RaRequest>> {
        let mut requests = self.store.ra_requests()?;
        if let Some(state) = state {
            requests.retain(|r| r.state == state);
        }
        Ok(requests)
    }

    /// An RA accepts or rejects a pending request. Accepting a new starter issues their
    /// credentials (BR-15); accepting a name change reissues what carries the name (BR-12).
    pub async fn decide_ra_request(
        &self,
        request_id: &str,
        accept: bool,
        decision: RaDecision,
    ) -> Result<RaRequest> {
        let _one_at_a_time = self.lifecycle.lock().await;
        let mut request = self
            .store
            .ra_request(request_id)?
            .ok_or_else(|| IssuerError::NotFound(format!("no RA request {request_id}")))?;
        if request.state != RaRequestState::Pending {
            return Err(IssuerError::Conflict(format!(
                "{request_id} was already {}",
                if request.state == RaRequestState::Accepted {
                    "accepted"
                } else {
                    "rejected"
                }
            )));
        }
        CareIdentityUuid::parse(&decision.decided_by).map_err(|_| {
            IssuerError::BadRequest(
                "decided_by must be the deciding RA's Care Identity UUID (12 digits)".into(),
            )
        })?;
        let reason = decision
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned);
        if let Some(holder) = &decision.holder {
            if !holder.starts_with("did:") {
                return Err(IssuerError::BadRequest(
                    "holder must be a DID (e.g. did:key:z6Mk…)".into(),
                ));
            }
        }
        let now = self.clock.now();
        request.decided_by = Some(decision.decided_by.clone());
        request.decided_at = Some(xsd_date_time(&now));
        request.reason = reason.clone();
        if !accept {
            if reason.is_none() {
                return Err(IssuerError::BadRequest(
                    "a rejection must give a reason".into(),
                ));
            }
            request.state = RaRequestState::Rejected;
            request.effects = vec![match request.request {
                RaRequestKind::CreateUser => "cis_create_user_request_rejected".into(),
                RaRequestKind::ModifyUser { .. } => "name_change_rejected".into(),
            }];
            self.store.commit(&Commit {
                ra_request: Some(request.clone()),
                ..Commit::default()
            })?;
            return Ok(request);
        }
        let person: EsrPerson = serde_json::from_value(self.person(&request.person_id)?)
            .map_err(|e| IssuerError::Store(format!("stored record unreadable: {e}")))?;
        let ledger = self.store.ledger_for(&request.person_id)?;
        let plan = match &request.request {
            RaRequestKind::CreateUser => accept_new_starter(
                &person,
                &self.organisation.ods_code,
                &self.catalogue,
                &mut random_role_id,
            )
            .map_err(IssuerError::Conflict)?,
            RaRequestKind::ModifyUser { field, new, .. } => {
                grant_name_change(&person, *field, new, &ledger, request_id)
            }
        };
        let step = self
            .carry_out(&plan, &person, &ledger, request_id, decision.holder.clone())
            .await?;
        request.state = RaRequestState::Accepted;
        request.effects = step.effects;
        request.credentials = step.changes;
        self.store.commit(&Commit {
            person: step.person,
            ledger: step.ledger,
            issuances: step.issuances,
            event: None,
            held_ended: Vec::new(),
            ra_request: Some(request.clone()),
        })?;
        Ok(request)
    }

    /// Status changes at the registry, then the new credentials; returns what to commit.
    async fn carry_out(
        &self,
        plan: &Plan,
        person: &EsrPerson,
        ledger: &[LedgerEntry],
        cause: &str,
        holder: Option<String>,
    ) -> Result<Step> {
        let now = xsd_date_time(&self.clock.now());
        let mut step = Step {
            effects: plan.effects.clone(),
            ..Step::default()
        };
        for planned in &plan.status_changes {
            let Some(entry) = ledger
                .iter()
                .find(|e| e.credential_id == planned.credential_id)
            else {
                continue;
            };
            // A Data Integrity credential lists its entries; an SD-JWT VC names one in `status`.
            let carries_status = entry.credential.get("credentialStatus").is_some()
                || entry
                    .credential
                    .as_str()
                    .and_then(credentials::sd_jwt::SdJwtVcVerdict::status_reference_of)
                    .is_some();
            match (&self.status, carries_status) {
                (Some(registry), true) => {
                    registry
                        .change(&entry.credential_id, planned.change, &planned.reason, cause)
                        .await?
                }
                (None, true) => {
                    return Err(IssuerError::Registry(
                        "this issuer has no trust registry configured, so it cannot change a credential's status".into(),
                    ))
                }
                // Issued before this issuer had a registry: nothing to flip; the ledger
                // still records the decision and the effects say so.
                (_, false) => step
                    .effects
                    .push(format!("no_status_entry:{}", entry.credential_id)),
            }
            let state = match planned.change {
                StatusChange::Revoke => {
                    step.changes.revoked.push(entry.credential_id.clone());
                    CredentialState::Revoked
                }
                StatusChange::Suspend => {
                    step.changes.suspended.push(entry.credential_id.clone());
                    CredentialState::Suspended
                }
                StatusChange::Reinstate => {
                    step.changes.reinstated.push(entry.credential_id.clone());
                    CredentialState::Active
                }
            };
            let mut updated = entry.clone();
            updated.state = state;
            updated.history.push(StateChange {
                at: now.clone(),
                state,
                reason: planned.reason.clone(),
                cause: cause.to_owned(),
            });
            step.ledger.push(updated);
        }
        let after = plan.person.as_ref().unwrap_or(person);
        if plan.issue != IssueScope::Nothing {
            let holder = holder.or_else(|| latest_holder(ledger));
            let context = self.issuance_context(holder.clone());
            let candidates = match credentials_for(after, &context) {
                Ok(candidates) => candidates,
                // A record that now supports nothing here (e.g. a post not yet in force).
                Err(IssuerError::NotIssuable(why)) => {
                    step.effects.push(format!("nothing_issuable: {why}"));
                    Vec::new()
                }
                Err(other) => return Err(other),
            };
            let unsigned: Vec<_> = candidates
                .into_iter()
                .filter(|c| match &plan.issue {
                    IssueScope::Nothing => false,
                    IssueScope::Everything => true,
                    IssueScope::Assignment {
                        assignment_number,
                        kinds,
                    } => {
                        kinds.contains(&c.kind())
                            && (assignment_number.is_empty()
                                || assignment_of(&c.subject, after, &self.organisation.ods_code)
                                    .as_deref()
                                    == Some(assignment_number.as_str()))
                    }
                })
                .collect();
            for credential in &unsigned {
                step.effects.push(format!(
                    "issue:{}{}",
                    effect_name(credential.kind()),
                    plan.issue_label
                ));
            }
            let signed = self
                .sign_for_person(
                    after,
                    unsigned,
                    Cryptosuite::EddsaRdfc2022,
                    holder,
                    Some(cause),
                )
                .await?;
            step.changes.issued = signed
                .ledger
                .iter()
                .map(|e| e.credential_id.clone())
                .collect();
            step.ledger.extend(signed.ledger);
            step.issuances = signed.records;
        }
        if let Some(updated) = &plan.person {
            let value =
                serde_json::to_value(updated).map_err(|e| IssuerError::Store(e.to_string()))?;
            step.person = Some((updated.person_id.clone(), value));
        }
        Ok(step)
    }
}

#[derive(Default)]
struct Step {
    person: Option<(String, Value)>,
    ledger: Vec<LedgerEntry>,
    issuances: Vec<crate::store::IssuanceRecord>,
    effects: Vec<String>,
    changes: CredentialChanges,
}

/// New credentials go to the wallet the person last received credentials in.
fn latest_holder(ledger: &[LedgerEntry]) -> Option<String> {
    ledger
        .iter()
        .filter(|e| e.holder.is_some())
        .max_by(|a, b| a.issued_at.cmp(&b.issued_at))
        .and_then(|e| e.holder.clone())
}

/// A new RBAC role profile id (12 digits), as CIS allocates them.
fn random_role_id() -> PersonRoleId {
    let number: u64 = rand::thread_rng().gen_range(100_000_000_000..1_000_000_000_000);
    PersonRoleId::parse(&number.to_string())
        .expect("every number from 10^11 to 10^12 - 1 has twelve digits")
}
