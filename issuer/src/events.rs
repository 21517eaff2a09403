//! ESR lifecycle events (BR-12…BR-22): reading and checking one event, and deciding what
//! it does to a person's record and to the credentials this organisation issued them.
//! Pure: [`crate::lifecycle`] carries a [`Plan`] out (registry calls, signing, storing).

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use credentials::identifiers::{AssignmentNumber, JobRoleCode, OdsCode, PersonRoleId};
use credentials::CredentialKind;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::esr::{AssignmentStatus, EsrPerson, EsrRoleAssignment, PersonStatus};
use crate::store::{CredentialState, LedgerEntry};
use credentials::rbac::RbacCatalogue;

/// Keys a test harness or a replay file may carry beside the event; they are not part of
/// it and do not count towards its identity.
const ANNOTATIONS: [&str; 3] = ["expected", "comment", "note"];
const ENVELOPE: [&str; 7] = [
    "event_id",
    "event_type",
    "occurred_at",
    "org_ods",
    "person_id",
    "assignment_number",
    "payload",
];

/// BR-14: the domains whose addresses may go into the CIS-facing profile.
const CIS_EMAIL_DOMAINS: [&str; 4] = ["nhs.net", "nhs.uk", "gov.uk", "mod.uk"];

/// The kinds a holder keeps when moving to another NHS employer (BR-18): checks, identity
/// and registration are about the person, not the post.
const PORTABLE_KINDS: [CredentialKind; 3] = [
    CredentialKind::CareIdentity,
    CredentialKind::EmploymentChecks,
    CredentialKind::ProfessionalRegistration,
];

/// The kinds that describe one post and the access it gives.
const ASSIGNMENT_KINDS: [CredentialKind; 3] = [
    CredentialKind::Employment,
    CredentialKind::Role,
    CredentialKind::RemoteSigning,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventType {
    NewStarter,
    JobChange,
    NameChange,
    PersonalDetailsChange,
    EmailChange,
    Suspension,
    SuspensionLifted,
    Leaver,
    Return,
}

/// Why an event was refused. Stable codes: an ESR integration may branch on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    MalformedEvent,
    UnknownEventType,
    InvalidTimestamp,
    OccurredInFuture,
    InvalidOdsCode,
    WrongOrganisation,
    UnknownPerson,
    UnknownAssignment,
    AssignmentAtOtherOrganisation,
    UnknownAccessControlPosition,
    AccessControlPositionAtOtherOrganisation,
    UnknownJobRole,
    JobRoleMismatch,
    InvalidEmail,
    InvalidField,
    InvalidDate,
    /// The event does not fit the person's current state (e.g. a leaver who has left).
    InvalidState,
    /// An older event for a person arrived after a newer one was applied (BR-22).
    OutOfOrder,
    /// The same `event_id` arrived with different content.
    EventIdReused,
    /// The event was applied before; this delivery changed nothing.
    DuplicateEvent,
}

impl ReasonCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::MalformedEvent => "malformed_event",
            ReasonCode::UnknownEventType => "unknown_event_type",
            ReasonCode::InvalidTimestamp => "invalid_timestamp",
            ReasonCode::OccurredInFuture => "occurred_in_future",
            ReasonCode::InvalidOdsCode => "invalid_ods_code",
            ReasonCode::WrongOrganisation => "wrong_organisation",
            ReasonCode::UnknownPerson => "unknown_person",
            ReasonCode::UnknownAssignment => "unknown_assignment",
            ReasonCode::AssignmentAtOtherOrganisation => "assignment_at_other_organisation",
            ReasonCode::UnknownAccessControlPosition => "unknown_access_control_position",
            ReasonCode::AccessControlPositionAtOtherOrganisation => {
                "access_control_position_at_other_organisation"
            }
            ReasonCode::UnknownJobRole => "unknown_job_role",
            ReasonCode::JobRoleMismatch => "job_role_mismatch",
            ReasonCode::InvalidEmail => "invalid_email",
            ReasonCode::InvalidField => "invalid_field",
            ReasonCode::InvalidDate => "invalid_date",
            ReasonCode::InvalidState => "invalid_state",
            ReasonCode::OutOfOrder => "out_of_order",
            ReasonCode::EventIdReused => "event_id_reused",
            ReasonCode::DuplicateEvent => "duplicate_event",
        }
    }
}

/// A refused event: the reason code, what was wrong, and which event (when it could be read).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventRejection {
    pub reason_code: ReasonCode,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
}

impl EventRejection {
    pub(crate) fn new(reason_code: ReasonCode, detail: impl Into<String>) -> Self {
        Self {
            reason_code,
            detail: detail.into(),
            event_id: None,
        }
    }
}

type Checked<T> = std::result::Result<T, EventRejection>;

/// A read, well-formed event. Whether it fits the person's record is [`plan`]'s business.
#[derive(Clone, Debug, PartialEq)]
pub struct EsrEvent {
    pub event_id: String,
    pub event_type: EventType,
    pub occurred_at: DateTime<Utc>,
    pub org_ods: OdsCode,
    pub person_id: String,
    pub assignment_number: AssignmentNumber,
    pub change: Change,
    /// SHA-256 of the event's canonical JSON (without annotations): a second event with the
    /// same id must match it, or it is a different event reusing the id.
    pub fingerprint: String,
    /// The event as received, without annotations, for the event log.
    pub body: Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameField {
    GivenName,
    MiddleNames,
    FamilyName,
}

/// Personal details other than names (BR-13). Only title and date of birth are held here;
/// an address or phone change is acknowledged and not stored (we keep no more than the
/// credentials need).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetailField {
    Title,
    DateOfBirth,
    Address,
    PhoneNumber,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// NEW_STARTER and RETURN: the post the person starts in.
    Starter {
        position_title: String,
        access_control_position: String,
        start_date: NaiveDate,
    },
    JobChange {
        to_position_title: Option<String>,
        to_access_control_position: String,
        effective_date: NaiveDate,
    },
    Name {
        field: NameField,
        old: String,
        new: String,
    },
    PersonalDetails {
        field: DetailField,
        new: String,
    },
    Email {
        new: String,
    },
    Suspension {
        reason_category: String,
        from: NaiveDate,
    },
    SuspensionLifted,
    Leaver {
        leaving_date: NaiveDate,
        reason: String,
        staying_in_nhs: bool,
    },
}

impl Change {
    /// The date the change takes effect, for the changes ESR sends ahead of time.
    pub fn takes_effect_on(&self) -> Option<NaiveDate> {
        match self {
            Change::JobChange { effective_date, .. } => Some(*effective_date),
            Change::Suspension { from, .. } => Some(*from),
            Change::Leaver { leaving_date, .. } => Some(*leaving_date),
            _ => None,
        }
    }
}

/// Reads an event and checks everything that needs no stored state: shape, type,
/// timestamp, ODS code, ACP and job role, e-mail syntax, field names (BR-21).
pub fn read_event(raw: &Value, catalogue: &RbacCatalogue, now: DateTime<Utc>) -> Checked<EsrEvent> {
    let object = raw.as_object().ok_or_else(|| {
        EventRejection::new(ReasonCode::MalformedEvent, "an event must be a JSON object")
    })?;
    let event_id = object
        .get("event_id")
        .and_then(Value::as_str)
        .filter(|id| {
            !id.trim().is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_graphic())
        })
        .ok_or_else(|| {
            EventRejection::new(
                ReasonCode::MalformedEvent,
                "event_id must be a non-empty printable string of at most 64 characters",
            )
        })?
        .to_owned();
    read_identified_event(object, &event_id, catalogue, now).map_err(|mut rejection| {
        rejection.event_id = Some(event_id.clone());
        rejection
    })
}

fn read_identified_event(
    object: &Map<String, Value>,
    event_id: &str,
    catalogue: &RbacCatalogue,
    now: DateTime<Utc>,
) -> Checked<EsrEvent> {
    for key in object.keys() {
        if !ENVELOPE.contains(&key.as_str()) && !ANNOTATIONS.contains(&key.as_str()) {
            return Err(EventRejection::new(
                ReasonCode::MalformedEvent,
                format!("unknown member {key}"),
            ));
        }
    }
    let text = |name: &str| -> Checked<&str> {
        object.get(name).and_then(Value::as_str).ok_or_else(|| {
            EventRejection::new(
                ReasonCode::MalformedEvent,
                format!("{name} must be a string"),
            )
        })
    };
    let event_type: EventType = serde_json::from_value(Value::String(text("event_type")?.to_owned()))
        .map_err(|_| {
            EventRejection::new(
                ReasonCode::UnknownEventType,
                "event_type must be one of NEW_STARTER, JOB_CHANGE, NAME_CHANGE, PERSONAL_DETAILS_CHANGE, EMAIL_CHANGE, SUSPENSION, SUSPENSION_LIFTED, LEAVER, RETURN",
            )
        })?;
    let occurred_at = parse_timestamp(text("occurred_at")?)?;
    // Clocks drift; an event from well into the future is not something ESR sent.
    if occurred_at > now + chrono::Duration::minutes(5) {
        return Err(EventRejection::new(
            ReasonCode::OccurredInFuture,
            format!("occurred_at {occurred_at} is in the future"),
        ));
    }
    let ods_text = text("org_ods")?;
    let org_ods = OdsCode::parse(ods_text)
        .ok()
        .filter(|ods| catalogue.trust(ods).is_some())
        .ok_or_else(|| {
            EventRejection::new(
                ReasonCode::InvalidOdsCode,
                format!("org_ods {ods_text} is not the ODS code of a known NHS organisation"),
            )
        })?;
    let person_id = text("person_id")?.to_owned();
    let assignment_text = text("assignment_number")?;
    let assignment_number = AssignmentNumber::parse(assignment_text).map_err(|_| {
        EventRejection::new(
            ReasonCode::UnknownAssignment,
            format!("assignment_number {assignment_text} is not an ESR assignment number"),
        )
    })?;
    let payload = object
        .get("payload")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            EventRejection::new(ReasonCode::MalformedEvent, "payload must be a JSON object")
        })?;
    let change = read_payload(event_type, payload, &org_ods, catalogue)?;
    let body: Map<String, Value> = object
        .iter()
        .filter(|(k, _)| ENVELOPE.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let body = Value::Object(body);
    let canonical = serde_json_canonicalizer::to_vec(&body).map_err(|e| {
        EventRejection::new(ReasonCode::MalformedEvent, format!("unreadable event: {e}"))
    })?;
    Ok(EsrEvent {
        event_id: event_id.to_owned(),
        event_type,
        occurred_at,
        org_ods,
        person_id,
        assignment_number,
        change,
        fingerprint: hex::encode(Sha256::digest(&canonical)),
        body,
    })
}

/// ISO 8601 / RFC 3339 in UTC, as ESR sends them (`2025-09-01T09:01:00Z`).
fn parse_timestamp(text: &str) -> Checked<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            EventRejection::new(
                ReasonCode::InvalidTimestamp,
                format!("occurred_at {text:?} is not an ISO 8601 timestamp (YYYY-MM-DDThh:mm:ssZ)"),
            )
        })
}

struct Payload<'a> {
    object: &'a Map<String, Value>,
}

impl<'a> Payload<'a> {
    fn allow_only(&self, names: &[&str]) -> Checked<()> {
        for key in self.object.keys() {
            if !names.contains(&key.as_str()) && key != "note" {
                return Err(EventRejection::new(
                    ReasonCode::MalformedEvent,
                    format!("payload member {key} is not expected here"),
                ));
            }
        }
        Ok(())
    }

    fn text(&self, name: &str) -> Checked<&'a str> {
        self.object
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| {
                EventRejection::new(
                    ReasonCode::MalformedEvent,
                    format!("payload.{name} must be a string"),
                )
            })
    }

    fn optional_text(&self, name: &str) -> Checked<Option<&'a str>> {
        match self.object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(EventRejection::new(
                ReasonCode::MalformedEvent,
                format!("payload.{name} must be a string"),
            )),
        }
    }

    fn date(&self, name: &str) -> Checked<NaiveDate> {
        let text = self.text(name)?;
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
            EventRejection::new(
                ReasonCode::InvalidDate,
                format!("payload.{name} {text:?} is not a date (YYYY-MM-DD)"),
            )
        })
    }
}

fn read_payload(
    event_type: EventType,
    object: &Map<String, Value>,
    org: &OdsCode,
    catalogue: &RbacCatalogue,
) -> Checked<Change> {
    let payload = Payload { object };
    let acp_at_org = |id: &str| -> Checked<String> {
        let acp = catalogue.access_control_position(id).ok_or_else(|| {
            EventRejection::new(
                ReasonCode::UnknownAccessControlPosition,
                format!("access control position {id} is not in the RBAC catalogue"),
            )
        })?;
        if &acp.org_ods != org {
            return Err(EventRejection::new(
                ReasonCode::AccessControlPositionAtOtherOrganisation,
                format!("access control position {id} belongs to {}", acp.org_ods),
            ));
        }
        Ok(id.to_owned())
    };
    Ok(match event_type {
        EventType::NewStarter | EventType::Return => {
            payload.allow_only(&["position_title", "access_control_position", "start_date"])?;
            Change::Starter {
                position_title: non_empty(payload.text("position_title")?, "position_title")?,
                access_control_position: acp_at_org(payload.text("access_control_position")?)?,
                start_date: payload.date("start_date")?,
            }
        }
        EventType::JobChange => {
            payload.allow_only(&[
                "from_position_title",
                "to_position_title",
                "to_access_control_position",
                "to_job_role",
                "effective_date",
            ])?;
            let to_job_role = payload.optional_text("to_job_role")?;
            // Both unknowns are reported together: the ESR team fixes them in one go.
            let acp_id = payload.text("to_access_control_position")?;
            let acp = catalogue.access_control_position(acp_id);
            if let Some(code) = to_job_role {
                let known = JobRoleCode::parse(code)
                    .ok()
                    .and_then(|c| catalogue.job_role(&c).cloned());
                match (known, acp) {
                    (None, None) => {
                        return Err(EventRejection::new(
                            ReasonCode::UnknownAccessControlPosition,
                            format!("access control position {acp_id} and job role {code} are not in the RBAC catalogue"),
                        ))
                    }
                    (None, Some(_)) => {
                        return Err(EventRejection::new(
                            ReasonCode::UnknownJobRole,
                            format!("job role {code} is not in the RBAC catalogue"),
                        ))
                    }
                    (Some(role), Some(acp)) if role.code != acp.job_role => {
                        return Err(EventRejection::new(
                            ReasonCode::JobRoleMismatch,
                            format!(
                                "access control position {acp_id} maps to job role {}, not {code}",
                                acp.job_role
                            ),
                        ))
                    }
                    _ => {}
                }
            }
            Change::JobChange {
                to_position_title: payload
                    .optional_text("to_position_title")?
                    .map(|t| non_empty(t, "to_position_title"))
                    .transpose()?,
                to_access_control_position: acp_at_org(acp_id)?,
                effective_date: payload.date("effective_date")?,
            }
        }
        EventType::NameChange => {
            payload.allow_only(&["field", "old", "new"])?;
            let field: NameField = serde_json::from_value(Value::String(
                payload.text("field")?.to_owned(),
            ))
            .map_err(|_| {
                EventRejection::new(
                    ReasonCode::InvalidField,
                    "a NAME_CHANGE changes given_name, middle_names or family_name",
                )
            })?;
            let new = payload.text("new")?.trim().to_owned();
            if new.is_empty() && field != NameField::MiddleNames {
                return Err(EventRejection::new(
                    ReasonCode::InvalidField,
                    "a given or family name cannot be changed to nothing",
                ));
            }
            Change::Name {
                field,
                old: payload.optional_text("old")?.unwrap_or_default().to_owned(),
                new,
            }
        }
        EventType::PersonalDetailsChange => {
            payload.allow_only(&["field", "old", "new"])?;
            let name = payload.text("field")?;
            if ["given_name", "middle_names", "family_name"].contains(&name) {
                return Err(EventRejection::new(
                    ReasonCode::InvalidField,
                    "names change through NAME_CHANGE, which an RA must grant (BR-12)",
                ));
            }
            let field: DetailField = serde_json::from_value(Value::String(name.to_owned()))
                .map_err(|_| {
                    EventRejection::new(
                        ReasonCode::InvalidField,
                        format!("{name} is not a personal detail this issuer knows (title, date_of_birth, address, phone_number)"),
                    )
                })?;
            let new = payload.text("new")?.to_owned();
            if field == DetailField::DateOfBirth {
                payload.date("new")?;
            }
            if field == DetailField::Title && new.trim().is_empty() {
                return Err(EventRejection::new(
                    ReasonCode::InvalidField,
                    "title cannot be empty",
                ));
            }
            Change::PersonalDetails { field, new }
        }
        EventType::EmailChange => {
            payload.allow_only(&["old", "new"])?;
            let new = payload.text("new")?;
            if !is_email_address(new) {
                return Err(EventRejection::new(
                    ReasonCode::InvalidEmail,
                    format!("{new:?} is not an e-mail address"),
                ));
            }
            Change::Email {
                new: new.to_owned(),
            }
        }
        EventType::Suspension => {
            payload.allow_only(&["reason_category", "from"])?;
            Change::Suspension {
                reason_category: non_empty(payload.text("reason_category")?, "reason_category")?,
                from: payload.date("from")?,
            }
        }
        EventType::SuspensionLifted => {
            payload.allow_only(&["to"])?;
            if payload.object.contains_key("to") {
                payload.date("to")?;
            }
            Change::SuspensionLifted
        }
        EventType::Leaver => {
            payload.allow_only(&["leaving_date", "reason", "staying_in_nhs"])?;
            Change::Leaver {
                leaving_date: payload.date("leaving_date")?,
                reason: non_empty(payload.text("reason")?, "reason")?,
                staying_in_nhs: payload
                    .object
                    .get("staying_in_nhs")
                    .and_then(Value::as_bool)
                    .ok_or_else(|| {
                        EventRejection::new(
                            ReasonCode::MalformedEvent,
                            "payload.staying_in_nhs must be true or false",
                        )
                    })?,
            }
        }
    })
}

fn non_empty(text: &str, name: &str) -> Checked<String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(EventRejection::new(
            ReasonCode::MalformedEvent,
            format!("payload.{name} must not be empty"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// `local@domain.tld`: a local part without spaces, and a domain of at least two
/// letter/digit/hyphen labels. Deliberately not the whole of RFC 5322: ESR and CIS accept
/// no more than this.
pub fn is_email_address(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    let labels: Vec<&str> = domain.split('.').collect();
    !local.is_empty()
        && !local.contains(char::is_whitespace)
        && labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

/// BR-14: whether the address may be stored in the CIS-facing profile.
pub fn email_domain_allowed(address: &str) -> bool {
    let Some((_, domain)) = address.rsplit_once('@') else {
        return false;
    };
    let domain = domain.to_ascii_lowercase();
    CIS_EMAIL_DOMAINS
        .iter()
        .any(|allowed| domain == *allowed || domain.ends_with(&format!(".{allowed}")))
}

/// The result the ESR interface is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventOutcome {
    Accepted,
    AcceptedPendingManualGrant,
    /// Checked and held: it takes effect on its date (a leaving date, a job change's or a
    /// suspension's effective date), when it is checked again and carried out.
    Scheduled,
    /// Held for its date, then no longer fitting the person's record on that date (say,
    /// the assignment had already ended): nothing changed.
    NotApplied,
}

/// What an RA must decide before an event's change takes effect.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RaRequestKind {
    /// BR-15: a new starter's Care Identity: the RA checks photo and identity.
    CreateUser,
    /// BR-12: a name change the RA must grant.
    ModifyUser {
        field: NameField,
        old: String,
        new: String,
    },
}

/// Which credentials to issue once the record has changed.
#[derive(Clone, Debug, PartialEq)]
pub enum IssueScope {
    Nothing,
    /// Everything the record supports (a return to work).
    Everything,
    /// These kinds, where linked to this assignment.
    Assignment {
        assignment_number: String,
        kinds: Vec<CredentialKind>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StatusChange {
    Revoke,
    Suspend,
    Reinstate,
}

/// One credential's status change and why, in RFC 5280 reason-code terms (BR-24).
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedStatusChange {
    pub credential_id: String,
    pub change: StatusChange,
    pub reason: String,
}

/// What an accepted event does. Carried out by the service: status changes first (a
/// person never holds old and new at once, BR-16), then issuance, then one atomic commit.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub outcome: EventOutcome,
    /// The record after the event, when it changes.
    pub person: Option<EsrPerson>,
    pub status_changes: Vec<PlannedStatusChange>,
    pub issue: IssueScope,
    /// Appended to `issue:<kind>` effects, e.g. `(new)` after a job change.
    pub issue_label: &'static str,
    pub ra_request: Option<RaRequestKind>,
    pub effects: Vec<String>,
}

impl Plan {
    fn accepted(effects: Vec<String>) -> Self {
        Self {
            outcome: EventOutcome::Accepted,
            person: None,
            status_changes: Vec::new(),
            issue: IssueScope::Nothing,
            issue_label: "",
            ra_request: None,
            effects,
        }
    }
}

/// The name an effect uses for a credential kind, e.g. `role_credential`.
pub fn effect_name(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::CareIdentity => "care_identity_credential",
        CredentialKind::Employment => "employment_credential",
        CredentialKind::Role => "role_credential",
        CredentialKind::ProfessionalRegistration => "professional_registration_credential",
        CredentialKind::EmploymentChecks => "employment_checks_credential",
        CredentialKind::Smartcard => "smartcard_credential",
        CredentialKind::RemoteSigning => "prescriber_credential",
    }
}

/// Decides what an event does to this person at this organisation. Rejects an event that
/// does not fit the record (BR-21), changing nothing.
pub fn plan(
    event: &EsrEvent,
    person: &EsrPerson,
    ledger: &[LedgerEntry],
    catalogue: &RbacCatalogue,
    today: NaiveDate,
    new_role_id: &mut dyn FnMut() -> PersonRoleId,
) -> Checked<Plan> {
    let here = &event.org_ods;
    let assignment = person
        .assignments
        .iter()
        .find(|a| a.assignment_number == event.assignment_number)
        .ok_or_else(|| {
            EventRejection::new(
                ReasonCode::UnknownAssignment,
                format!(
                    "{} has no assignment {}",
                    person.person_id, event.assignment_number
                ),
            )
        })?;
    if &assignment.org_ods != here {
        return Err(EventRejection::new(
            ReasonCode::AssignmentAtOtherOrganisation,
            format!(
                "assignment {} is at {}, not {here}",
                assignment.assignment_number, assignment.org_ods
            ),
        ));
    }
    let number = assignment.assignment_number.to_string();
    let live = |entry: &&LedgerEntry| entry.state != CredentialState::Revoked;
    let state_error = |detail: String| EventRejection::new(ReasonCode::InvalidState, detail);
    let mut updated = person.clone();

    match &event.change {
        Change::Starter {
            position_title,
            access_control_position,
            start_date,
        } => {
            let returning = event.event_type == EventType::Return;
            let expected = if returning {
                AssignmentStatus::Ended
            } else {
                AssignmentStatus::PreHire
            };
            if assignment.status != expected {
                return Err(state_error(format!(
                    "assignment {number} is {:?}; a {} needs one that is {:?}",
                    assignment.status,
                    if returning { "RETURN" } else { "NEW_STARTER" },
                    expected
                )));
            }
            for a in updated.assignments.iter_mut() {
                if a.assignment_number == event.assignment_number {
                    a.position_title = position_title.clone();
                    a.access_control_position = access_control_position.clone();
                    a.start_date = Some(*start_date);
                    a.end_date = None;
                }
            }
            if !returning {
                // BR-15: nothing is issued until the RA has seen the person.
                return Ok(Plan {
                    person: Some(updated),
                    ra_request: Some(RaRequestKind::CreateUser),
                    ..Plan::accepted(vec!["cis_create_user_request_for_RA".into()])
                });
            }
            // BR-20: same person, same UUID; fresh credentials; lapsed checks re-verified.
            let lapsed = mark_lapsed_checks(&mut updated, today);
            start_assignment(
                &mut updated,
                &event.assignment_number,
                catalogue,
                new_role_id,
            );
            let mut effects = vec!["re-verify_expired_checks".to_owned()];
            effects.extend(lapsed.into_iter().map(|c| format!("re-verify:{c}")));
            Ok(Plan {
                person: Some(updated),
                issue: IssueScope::Everything,
                ..Plan::accepted(effects)
            })
        }
        Change::JobChange {
            to_position_title,
            to_access_control_position,
            ..
        } => {
            if assignment.status != AssignmentStatus::Active {
                return Err(state_error(format!(
                    "assignment {number} is {:?}; only an active post changes job",
                    assignment.status
                )));
            }
            let new_title = to_position_title
                .clone()
                .unwrap_or_else(|| assignment.position_title.clone());
            let acp_changes = *to_access_control_position != assignment.access_control_position;
            let title_changes = new_title != assignment.position_title;
            if !acp_changes && !title_changes {
                // BR-16: band or hours only; nothing any credential says has changed.
                return Ok(Plan::accepted(vec!["no_change_to_role_credential".into()]));
            }
            let old_acp = assignment.access_control_position.clone();
            for a in updated.assignments.iter_mut() {
                if a.assignment_number == event.assignment_number {
                    a.position_title = new_title.clone();
                    a.access_control_position = to_access_control_position.clone();
                }
            }
            let mut kinds = vec![CredentialKind::Employment];
            let mut effects = Vec::new();
            if acp_changes {
                kinds.extend([CredentialKind::Role, CredentialKind::RemoteSigning]);
                end_roles_via(&mut updated, here, &old_acp);
                add_role_for_acp(
                    &mut updated,
                    to_access_control_position,
                    catalogue,
                    new_role_id,
                );
                effects.push("end:rbac_role(old)".to_owned());
            } else {
                effects.push("no_change_to_role_credential".to_owned());
            }
            let status_changes: Vec<PlannedStatusChange> = ledger
                .iter()
                .filter(live)
                .filter(|e| e.assignment_number.as_deref() == Some(number.as_str()))
                .filter(|e| e.kind().is_some_and(|k| kinds.contains(&k)))
                .map(|e| {
                    if let Some(kind) = e.kind() {
                        effects.push(format!("revoke:{}(old)", effect_name(kind)));
                    }
                    PlannedStatusChange {
                        credential_id: e.credential_id.clone(),
                        change: StatusChange::Revoke,
                        reason: format!("superseded: JOB_CHANGE {}", event.event_id),
                    }
                })
                .collect();
            Ok(Plan {
                person: Some(updated),
                status_changes,
                issue: IssueScope::Assignment {
                    assignment_number: number,
                    kinds,
                },
                issue_label: "(new)",
                ..Plan::accepted(effects)
            })
        }
        Change::Name { field, old, new } => Ok(Plan {
            outcome: EventOutcome::AcceptedPendingManualGrant,
            ra_request: Some(RaRequestKind::ModifyUser {
                field: *field,
                old: old.clone(),
                new: new.clone(),
            }),
            ..Plan::accepted(vec![
                "cis_modify_user_request_for_RA".into(),
                "hold:reissue_credentials_until_granted".into(),
            ])
        }),
        Change::PersonalDetails { field, new } => {
            match field {
                DetailField::Title => updated.title = new.clone(),
                DetailField::DateOfBirth => {
                    if let Ok(date) = NaiveDate::parse_from_str(new, "%Y-%m-%d") {
                        updated.date_of_birth = date;
                    }
                }
                DetailField::Address | DetailField::PhoneNumber => {}
            }
            // BR-13: reissue only credentials that carry the field; none of ours carries
            // title, date of birth, address or phone.
            Ok(Plan {
                person: (updated != *person).then_some(updated),
                ..Plan::accepted(vec![
                    "auto_granted".into(),
                    "no_credential_carries_field".into(),
                ])
            })
        }
        Change::Email { new } => {
            if email_domain_allowed(new) {
                updated.email = new.clone();
                Ok(Plan {
                    person: Some(updated),
                    ..Plan::accepted(vec!["email_stored_in_cis".into()])
                })
            } else {
                Ok(Plan::accepted(vec![
                    "email_not_stored_in_cis(domain_not_allowed)".into(),
                ]))
            }
        }
        Change::Suspension { .. } => {
            if assignment.status != AssignmentStatus::Active {
                return Err(state_error(format!(
                    "assignment {number} is {:?}; only an active post is suspended",
                    assignment.status
                )));
            }
            for a in updated.assignments.iter_mut() {
                if &a.org_ods == here && a.status == AssignmentStatus::Active {
                    a.status = AssignmentStatus::Suspended;
                }
            }
            updated.status = PersonStatus::Suspended;
            let status_changes = ledger
                .iter()
                .filter(|e| e.state == CredentialState::Active)
                .map(|e| PlannedStatusChange {
                    credential_id: e.credential_id.clone(),
                    change: StatusChange::Suspend,
                    reason: format!("certificateHold: SUSPENSION {}", event.event_id),
                })
                .collect();
            Ok(Plan {
                person: Some(updated),
                status_changes,
                ..Plan::accepted(vec![
                    "suspend:all_credentials".into(),
                    "suspend:rbac_roles".into(),
                ])
            })
        }
        Change::SuspensionLifted => {
            if assignment.status != AssignmentStatus::Suspended {
                return Err(state_error(format!(
                    "assignment {number} is {:?}, not suspended",
                    assignment.status
                )));
            }
            for a in updated.assignments.iter_mut() {
                if &a.org_ods == here && a.status == AssignmentStatus::Suspended {
                    a.status = AssignmentStatus::Active;
                }
            }
            updated.status = PersonStatus::Active;
            let status_changes = ledger
                .iter()
                .filter(|e| e.state == CredentialState::Suspended)
                .map(|e| PlannedStatusChange {
                    credential_id: e.credential_id.clone(),
                    change: StatusChange::Reinstate,
                    reason: format!("removeFromCRL: SUSPENSION_LIFTED {}", event.event_id),
                })
                .collect();
            Ok(Plan {
                person: Some(updated),
                status_changes,
                ..Plan::accepted(vec![
                    "unsuspend:all_credentials".into(),
                    "unsuspend:rbac_roles".into(),
                ])
            })
        }
        Change::Leaver {
            leaving_date,
            reason,
            staying_in_nhs,
        } => {
            if !matches!(
                assignment.status,
                AssignmentStatus::Active | AssignmentStatus::Suspended
            ) {
                return Err(state_error(format!(
                    "assignment {number} is {:?}; only a current post can end",
                    assignment.status
                )));
            }
            let ended_acp = assignment.access_control_position.clone();
            for a in updated.assignments.iter_mut() {
                if a.assignment_number == event.assignment_number {
                    a.status = AssignmentStatus::Ended;
                    a.end_date = Some(*leaving_date);
                }
            }
            let remaining_here = updated.assignments.iter().any(|a| {
                &a.org_ods == here
                    && matches!(
                        a.status,
                        AssignmentStatus::Active | AssignmentStatus::Suspended
                    )
            });
            let rfc5280 = if reason == "dismissal" {
                "privilegeWithdrawn"
            } else {
                "affiliationChanged"
            };
            let revoke = |e: &LedgerEntry| PlannedStatusChange {
                credential_id: e.credential_id.clone(),
                change: StatusChange::Revoke,
                reason: format!("{rfc5280}: LEAVER {} ({reason})", event.event_id),
            };
            if remaining_here {
                // BR-17: only the ended post's credentials, and roles no other post here gives.
                end_roles_via(&mut updated, here, &ended_acp);
                let status_changes = ledger
                    .iter()
                    .filter(live)
                    .filter(|e| e.assignment_number.as_deref() == Some(number.as_str()))
                    .map(revoke)
                    .collect();
                let scope = if assignment.primary {
                    "end:primary_assignment_only"
                } else {
                    "end:secondary_assignment_only"
                };
                return Ok(Plan {
                    person: Some(updated),
                    status_changes,
                    ..Plan::accepted(vec![
                        scope.into(),
                        if assignment.primary {
                            "secondary_assignment_credentials_unchanged".into()
                        } else {
                            "primary_assignment_credentials_unchanged".into()
                        },
                    ])
                });
            }
            updated.rbac_role_assignments.retain(|r| &r.org_ods != here);
            if !updated.assignments.iter().any(|a| {
                matches!(
                    a.status,
                    AssignmentStatus::Active | AssignmentStatus::Suspended
                )
            }) {
                updated.status = PersonStatus::Left;
            }
            // BR-18: someone moving to another NHS employer keeps what is about them (checks,
            // identity, registration); what is about this post and its access ends.
            let revoked: Vec<PlannedStatusChange> = ledger
                .iter()
                .filter(live)
                .filter(|e| {
                    !staying_in_nhs || e.kind().is_none_or(|k| !PORTABLE_KINDS.contains(&k))
                })
                .map(revoke)
                .collect();
            let mut effects = if *staying_in_nhs {
                vec![
                    "revoke:all_credentials_issued_by_org(except_portable:BR-18)".to_owned(),
                    "retain:portable_credentials".to_owned(),
                    "end:rbac_roles_at_org".to_owned(),
                    "smartcard_retained_if_staying_in_healthcare".to_owned(),
                ]
            } else {
                vec![
                    "revoke:all_credentials_issued_by_org".to_owned(),
                    "end:rbac_roles_at_org".to_owned(),
                    "request_smartcard_return".to_owned(),
                ]
            };
            if revoked.is_empty() {
                effects.push("no_live_credentials".into());
            }
            Ok(Plan {
                person: Some(updated),
                status_changes: revoked,
                ..Plan::accepted(effects)
            })
        }
    }
}

/// The RA grants a name change (BR-12): the record takes the new name, and the
/// credentials that carry the name are superseded.
pub fn grant_name_change(
    person: &EsrPerson,
    field: NameField,
    new: &str,
    ledger: &[LedgerEntry],
    request_id: &str,
) -> Plan {
    let mut updated = person.clone();
    match field {
        NameField::GivenName => updated.given_name = new.to_owned(),
        NameField::FamilyName => updated.family_name = new.to_owned(),
        NameField::MiddleNames => updated.middle_names = (!new.is_empty()).then(|| new.to_owned()),
    }
    let carries_name = [CredentialKind::CareIdentity];
    let status_changes: Vec<PlannedStatusChange> = ledger
        .iter()
        .filter(|e| e.state != CredentialState::Revoked)
        .filter(|e| e.kind().is_some_and(|k| carries_name.contains(&k)))
        .map(|e| PlannedStatusChange {
            credential_id: e.credential_id.clone(),
            change: StatusChange::Revoke,
            reason: format!("superseded: name change granted ({request_id})"),
        })
        .collect();
    let mut effects = vec!["name_change_granted".to_owned()];
    effects.extend(
        status_changes
            .iter()
            .map(|_| "revoke:care_identity_credential(old)".to_owned()),
    );
    Plan {
        person: Some(updated),
        issue: if status_changes.is_empty() {
            IssueScope::Nothing
        } else {
            IssueScope::Assignment {
                assignment_number: String::new(),
                kinds: carries_name.to_vec(),
            }
        },
        status_changes,
        issue_label: "(new)",
        ..Plan::accepted(effects)
    }
}

/// The RA accepts a new starter (BR-15): the post starts and its role profile is created.
/// The required checks must be complete; a work health assessment may follow the start
/// (the offer is conditional on it), so it does not hold the credentials back.
pub fn accept_new_starter(
    person: &EsrPerson,
    org: &OdsCode,
    catalogue: &RbacCatalogue,
    new_role_id: &mut dyn FnMut() -> PersonRoleId,
) -> std::result::Result<Plan, String> {
    use credentials::catalogue::CheckStandard;
    let required = [
        CheckStandard::Identity,
        CheckStandard::RightToWork,
        CheckStandard::ProfessionalRegistrationAndQualification,
        CheckStandard::EmploymentHistoryAndReferences,
        CheckStandard::CriminalRecord,
    ];
    let incomplete: Vec<String> = required
        .iter()
        .filter(|standard| {
            !person.employment_checks.iter().any(|c| {
                c.standard == **standard
                    && matches!(
                        c.status,
                        crate::esr::CheckStatus::Complete | crate::esr::CheckStatus::NotApplicable
                    )
            })
        })
        .map(|s| format!("{s:?}"))
        .collect();
    if !incomplete.is_empty() {
        return Err(format!(
            "required checks are not complete: {}",
            incomplete.join(", ")
        ));
    }
    let mut updated = person.clone();
    let starting: Vec<AssignmentNumber> = updated
        .assignments
        .iter()
        .filter(|a| &a.org_ods == org && a.status == AssignmentStatus::PreHire)
        .map(|a| a.assignment_number.clone())
        .collect();
    if starting.is_empty() {
        return Err(format!(
            "{} has no post starting at {org}",
            person.person_id
        ));
    }
    for number in &starting {
        start_assignment(&mut updated, number, catalogue, new_role_id);
    }
    Ok(Plan {
        person: Some(updated),
        issue: IssueScope::Everything,
        ..Plan::accepted(vec!["cis_user_created".into()])
    })
}

/// Puts a post in force and gives the person its PBAC role profile.
fn start_assignment(
    person: &mut EsrPerson,
    number: &AssignmentNumber,
    catalogue: &RbacCatalogue,
    new_role_id: &mut dyn FnMut() -> PersonRoleId,
) {
    let mut acp = None;
    for a in person.assignments.iter_mut() {
        if &a.assignment_number == number {
            a.status = AssignmentStatus::Active;
            a.end_date = None;
            acp = Some(a.access_control_position.clone());
        }
    }
    person.status = PersonStatus::Active;
    if let Some(acp) = acp {
        add_role_for_acp(person, &acp, catalogue, new_role_id);
    }
}

fn add_role_for_acp(
    person: &mut EsrPerson,
    acp_id: &str,
    catalogue: &RbacCatalogue,
    new_role_id: &mut dyn FnMut() -> PersonRoleId,
) {
    let Some(acp) = catalogue.access_control_position(acp_id) else {
        return;
    };
    if person
        .rbac_role_assignments
        .iter()
        .any(|r| r.granted_via == acp_id && r.org_ods == acp.org_ods)
    {
        return;
    }
    let activities: BTreeSet<_> = catalogue.pbac_activities(acp);
    person.rbac_role_assignments.push(EsrRoleAssignment {
        person_roleid: new_role_id(),
        org_ods: acp.org_ods.clone(),
        job_role: acp.job_role.clone(),
        activities: activities.into_iter().collect(),
        granted_via: acp_id.to_owned(),
        granted_by: None,
    });
}

/// Ends the role profiles given through this ACP, unless another current post here still
/// maps to it.
fn end_roles_via(person: &mut EsrPerson, org: &OdsCode, acp: &str) {
    let still_given = person.assignments.iter().any(|a| {
        &a.org_ods == org
            && a.access_control_position == acp
            && matches!(
                a.status,
                AssignmentStatus::Active | AssignmentStatus::Suspended
            )
    });
    if !still_given {
        person
            .rbac_role_assignments
            .retain(|r| !(&r.org_ods == org && r.granted_via == acp));
    }
}

/// BR-20: checks whose validity has lapsed go back to pending until re-verified.
fn mark_lapsed_checks(person: &mut EsrPerson, today: NaiveDate) -> Vec<String> {
    let mut lapsed = Vec::new();
    for check in person.employment_checks.iter_mut() {
        if check.is_complete() && check.expires_on.is_some_and(|e| e < today) {
            check.status = crate::esr::CheckStatus::Pending;
            lapsed.push(format!("{:?}", check.standard));
        }
    }
    lapsed
}

/// The kinds that belong to one post; see [`ASSIGNMENT_KINDS`].
pub fn is_assignment_kind(kind: CredentialKind) -> bool {
    ASSIGNMENT_KINDS.contains(&kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::esr::parse_extract;
    use serde_json::json;

    const PEOPLE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/sample-data/esr-people.json"
    );
    const CATALOGUE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/sample-data/rbac-roles.json"
    );
    const EVENTS: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/sample-data/esr-events.jsonl"
    );

    fn catalogue() -> RbacCatalogue {
        RbacCatalogue::from_json_str(&std::fs::read_to_string(CATALOGUE).unwrap()).unwrap()
    }

    fn person(id: &str) -> EsrPerson {
        let extract: Value =
            serde_json::from_str(&std::fs::read_to_string(PEOPLE).unwrap()).unwrap();
        parse_extract(&extract, &catalogue())
            .unwrap()
            .valid()
            .find(|p| p.person_id == id)
            .unwrap()
            .clone()
    }

    fn sample_event(id: &str) -> Value {
        std::fs::read_to_string(EVENTS)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|e| e["event_id"] == id)
            .unwrap()
    }

    fn now() -> DateTime<Utc> {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    fn today() -> NaiveDate {
        now().date_naive()
    }

    fn read(id: &str) -> Checked<EsrEvent> {
        read_event(&sample_event(id), &catalogue(), now())
    }

    fn entry(
        id: &str,
        kind: CredentialKind,
        assignment: &str,
        state: CredentialState,
    ) -> LedgerEntry {
        LedgerEntry {
            credential_id: id.into(),
            credential_type: kind.type_name().into(),
            person_id: "P".into(),
            assignment_number: Some(assignment.into()),
            holder: None,
            issued_at: "2025-01-01T00:00:00Z".into(),
            issued_for: None,
            state,
            history: Vec::new(),
            credential: json!({}),
        }
    }

    fn role_ids() -> impl FnMut() -> PersonRoleId {
        let mut n = 500_000_000_000u64;
        move || {
            n += 1;
            PersonRoleId::parse(&n.to_string()).unwrap()
        }
    }

    fn plan_for(id: &str, ledger: &[LedgerEntry]) -> Checked<Plan> {
        let event = read(id)?;
        plan(
            &event,
            &person(&event.person_id),
            ledger,
            &catalogue(),
            today(),
            &mut role_ids(),
        )
    }

    fn changed(plan: &Plan, change: StatusChange) -> Vec<&str> {
        plan.status_changes
            .iter()
            .filter(|c| c.change == change)
            .map(|c| c.credential_id.as_str())
            .collect()
    }

    #[test]
    fn the_malformed_sample_events_are_refused_with_their_reason() {
        assert_eq!(
            read("EVT-0027").unwrap_err().reason_code,
            ReasonCode::UnknownAccessControlPosition
        );
        assert_eq!(
            read("EVT-0028").unwrap_err().reason_code,
            ReasonCode::InvalidEmail
        );
        assert_eq!(
            read("EVT-0029").unwrap_err().reason_code,
            ReasonCode::InvalidOdsCode
        );
        assert_eq!(
            read("EVT-0030").unwrap_err().reason_code,
            ReasonCode::InvalidTimestamp
        );
        // EVT-0026 reads well; its person is unknown, which only the store can tell.
        assert!(read("EVT-0026").is_ok());
        assert_eq!(
            read("EVT-0030").unwrap_err().event_id.as_deref(),
            Some("EVT-0030")
        );
    }

    #[test]
    fn every_valid_sample_event_reads() {
        for line in std::fs::read_to_string(EVENTS).unwrap().lines() {
            let raw: Value = serde_json::from_str(line).unwrap();
            let bad = raw["expected"]["outcome"] == "rejected";
            let read = read_event(&raw, &catalogue(), now());
            if !bad {
                assert!(read.is_ok(), "{}: {:?}", raw["event_id"], read.err());
            }
        }
    }

    #[test]
    fn malformed_envelopes_are_refused() {
        let base = sample_event("EVT-0010");
        let cases: Vec<(Value, ReasonCode)> = vec![
            (json!([1]), ReasonCode::MalformedEvent),
            (json!({"event_type": "LEAVER"}), ReasonCode::MalformedEvent),
            (
                with(&base, "event_type", json!("PROMOTION")),
                ReasonCode::UnknownEventType,
            ),
            (
                with(&base, "occurred_at", json!("2099-01-01T00:00:00Z")),
                ReasonCode::OccurredInFuture,
            ),
            (
                with(&base, "occurred_at", json!(20250910)),
                ReasonCode::MalformedEvent,
            ),
            (
                with(&base, "org_ods", json!("ZZZ")),
                ReasonCode::InvalidOdsCode,
            ),
            (
                with(&base, "assignment_number", json!("12")),
                ReasonCode::UnknownAssignment,
            ),
            (
                with(&base, "payload", json!("x")),
                ReasonCode::MalformedEvent,
            ),
            (
                with(
                    &base,
                    "payload",
                    json!({"reason_category": "x", "from": "10/09/2025"}),
                ),
                ReasonCode::InvalidDate,
            ),
            (
                with(
                    &base,
                    "payload",
                    json!({"reason_category": "x", "from": "2025-09-08", "extra": 1}),
                ),
                ReasonCode::MalformedEvent,
            ),
            (
                with(&base, "surprise", json!(1)),
                ReasonCode::MalformedEvent,
            ),
        ];
        for (raw, code) in cases {
            let got = read_event(&raw, &catalogue(), now());
            assert_eq!(
                got.as_ref().err().map(|r| r.reason_code),
                Some(code),
                "{raw}"
            );
        }
        let mut name_as_detail = sample_event("EVT-0007");
        name_as_detail["payload"] = json!({"field": "family_name", "old": "A", "new": "B"});
        assert_eq!(
            read_event(&name_as_detail, &catalogue(), now())
                .unwrap_err()
                .reason_code,
            ReasonCode::InvalidField
        );
    }

    fn with(base: &Value, key: &str, value: Value) -> Value {
        let mut v = base.clone();
        v[key] = value;
        v
    }

    #[test]
    fn annotations_do_not_change_an_events_identity() {
        let raw = sample_event("EVT-0010");
        let mut bare = raw.clone();
        bare.as_object_mut().unwrap().remove("expected");
        let mut other = raw.clone();
        other["payload"]["reason_category"] = json!("conduct");
        let fingerprint = |v: &Value| read_event(v, &catalogue(), now()).unwrap().fingerprint;
        assert_eq!(fingerprint(&raw), fingerprint(&bare));
        assert_ne!(fingerprint(&raw), fingerprint(&other));
    }

    #[test]
    fn email_syntax_and_the_cis_domain_rule() {
        for good in [
            "a@nhs.net",
            "x.y@leeds.gov.uk",
            "n@army.mod.uk",
            "q@example.com",
        ] {
            assert!(is_email_address(good), "{good}");
        }
        for bad in [
            "not-an-email",
            "a@b",
            "a b@nhs.net",
            "@nhs.net",
            "a@nhs..net",
            "a@",
        ] {
            assert!(!is_email_address(bad), "{bad}");
        }
        for allowed in [
            "a@nhs.net",
            "a@NHS.NET",
            "a@leeds.gov.uk",
            "a@army.mod.uk",
            "a@trust.nhs.uk",
        ] {
            assert!(email_domain_allowed(allowed), "{allowed}");
        }
        for refused in [
            "a@example.com",
            "a@evilnhs.net",
            "a@nhs.net.example.com",
            "a@gov.uk.evil",
        ] {
            assert!(!email_domain_allowed(refused), "{refused}");
        }
    }

    #[test]
    fn a_job_change_to_another_position_supersedes_the_posts_role_and_employment() {
        let ledger = [
            entry(
                "emp",
                CredentialKind::Employment,
                "37131272",
                CredentialState::Active,
            ),
            entry(
                "role",
                CredentialKind::Role,
                "37131272",
                CredentialState::Active,
            ),
            entry(
                "checks",
                CredentialKind::EmploymentChecks,
                "37131272",
                CredentialState::Active,
            ),
            entry(
                "old-role",
                CredentialKind::Role,
                "37131272",
                CredentialState::Revoked,
            ),
        ];
        let plan = plan_for("EVT-0004", &ledger).unwrap();
        assert_eq!(changed(&plan, StatusChange::Revoke), ["emp", "role"]);
        let after = plan.person.unwrap();
        let roles: Vec<_> = after
            .rbac_role_assignments
            .iter()
            .map(|r| (r.granted_via.as_str(), r.job_role.as_str()))
            .collect();
        assert_eq!(roles, [("RJ1-ACP-01", "R8000")]);
        assert_eq!(after.assignments[0].position_title, "Consultant Physician");
        assert!(plan
            .effects
            .contains(&"revoke:role_credential(old)".to_owned()));
        assert!(
            matches!(plan.issue, IssueScope::Assignment { ref kinds, .. } if kinds.contains(&CredentialKind::Role))
        );
    }

    #[test]
    fn a_job_change_within_the_same_position_touches_no_credential() {
        let ledger = [entry(
            "role",
            CredentialKind::Role,
            "37826944",
            CredentialState::Active,
        )];
        let plan = plan_for("EVT-0025", &ledger).unwrap();
        assert!(plan.status_changes.is_empty());
        assert_eq!(plan.issue, IssueScope::Nothing);
        assert_eq!(plan.effects, ["no_change_to_role_credential"]);
    }

    #[test]
    fn a_secondary_leaver_revokes_only_that_posts_credentials() {
        let ledger = [
            entry(
                "primary-emp",
                CredentialKind::Employment,
                "35370946",
                CredentialState::Active,
            ),
            entry(
                "bank-emp",
                CredentialKind::Employment,
                "35370946-2",
                CredentialState::Active,
            ),
            entry(
                "role",
                CredentialKind::Role,
                "35370946",
                CredentialState::Active,
            ),
        ];
        let plan = plan_for("EVT-0021", &ledger).unwrap();
        assert_eq!(changed(&plan, StatusChange::Revoke), ["bank-emp"]);
        let after = plan.person.unwrap();
        // The primary post still maps to the same ACP, so the role profile stays.
        assert_eq!(after.rbac_role_assignments.len(), 1);
        assert_eq!(after.status, PersonStatus::Active);
        assert!(plan
            .effects
            .contains(&"end:secondary_assignment_only".to_owned()));
    }

    #[test]
    fn a_leaver_staying_in_the_nhs_keeps_what_is_about_them() {
        let ledger = [
            entry(
                "emp",
                CredentialKind::Employment,
                "34582644",
                CredentialState::Active,
            ),
            entry(
                "role",
                CredentialKind::Role,
                "34582644",
                CredentialState::Suspended,
            ),
            entry(
                "checks",
                CredentialKind::EmploymentChecks,
                "34582644",
                CredentialState::Active,
            ),
            entry(
                "identity",
                CredentialKind::CareIdentity,
                "34582644",
                CredentialState::Active,
            ),
        ];
        let plan = plan_for("EVT-0011", &ledger).unwrap();
        assert_eq!(changed(&plan, StatusChange::Revoke), ["emp", "role"]);
        let after = plan.person.unwrap();
        assert!(after.rbac_role_assignments.is_empty());
        assert_eq!(after.status, PersonStatus::Left);
        // Leaving healthcare altogether: everything goes.
        let plan = plan_for(
            "EVT-0016",
            &[
                entry(
                    "emp",
                    CredentialKind::Employment,
                    "32613889",
                    CredentialState::Active,
                ),
                entry(
                    "checks",
                    CredentialKind::EmploymentChecks,
                    "32613889",
                    CredentialState::Active,
                ),
            ],
        )
        .unwrap();
        assert_eq!(changed(&plan, StatusChange::Revoke), ["emp", "checks"]);
        assert!(plan
            .effects
            .contains(&"request_smartcard_return".to_owned()));
    }

    #[test]
    fn suspension_is_reversible_and_never_touches_revoked_credentials() {
        let ledger = [
            entry(
                "live",
                CredentialKind::Role,
                "33836590",
                CredentialState::Active,
            ),
            entry(
                "gone",
                CredentialKind::Role,
                "33836590",
                CredentialState::Revoked,
            ),
        ];
        let suspended = plan_for("EVT-0010", &ledger).unwrap();
        assert_eq!(changed(&suspended, StatusChange::Suspend), ["live"]);
        let after = suspended.person.unwrap();
        assert_eq!(after.assignments[0].status, AssignmentStatus::Suspended);

        let event = read("EVT-0013").unwrap();
        let ledger = [
            entry(
                "live",
                CredentialKind::Role,
                "33836590",
                CredentialState::Suspended,
            ),
            entry(
                "gone",
                CredentialKind::Role,
                "33836590",
                CredentialState::Revoked,
            ),
        ];
        let lifted = plan(
            &event,
            &after,
            &ledger,
            &catalogue(),
            today(),
            &mut role_ids(),
        )
        .unwrap();
        assert_eq!(changed(&lifted, StatusChange::Reinstate), ["live"]);
        assert_eq!(
            lifted.person.unwrap().assignments[0].status,
            AssignmentStatus::Active
        );
        // Lifting a suspension that is not there is refused.
        let not_suspended = plan(
            &event,
            &person("P0011"),
            &ledger,
            &catalogue(),
            today(),
            &mut role_ids(),
        );
        assert_eq!(
            not_suspended.unwrap_err().reason_code,
            ReasonCode::InvalidState
        );
    }

    #[test]
    fn a_new_starter_waits_for_the_ra_and_a_name_change_for_its_grant() {
        let starter = plan_for("EVT-0001", &[]).unwrap();
        assert_eq!(starter.ra_request, Some(RaRequestKind::CreateUser));
        assert_eq!(starter.issue, IssueScope::Nothing);
        let accepted = accept_new_starter(
            &starter.person.unwrap(),
            &OdsCode::parse("RJ1").unwrap(),
            &catalogue(),
            &mut role_ids(),
        )
        .unwrap();
        let after = accepted.person.unwrap();
        assert_eq!(after.status, PersonStatus::Active);
        assert_eq!(after.rbac_role_assignments[0].granted_via, "RJ1-ACP-13");
        assert_eq!(after.rbac_role_assignments[0].job_role.as_str(), "R5090");

        let name = plan_for("EVT-0005", &[]).unwrap();
        assert_eq!(name.outcome, EventOutcome::AcceptedPendingManualGrant);
        assert_eq!(
            name.person, None,
            "the record keeps the old name until granted"
        );
        let ledger = [entry(
            "id",
            CredentialKind::CareIdentity,
            "30012620",
            CredentialState::Active,
        )];
        let granted = grant_name_change(
            &person("P0014"),
            NameField::FamilyName,
            "Newsurname",
            &ledger,
            "RA-1",
        );
        assert_eq!(changed(&granted, StatusChange::Revoke), ["id"]);
        assert_eq!(granted.person.unwrap().family_name, "Newsurname");
    }

    #[test]
    fn events_that_do_not_fit_the_record_are_refused() {
        // A new starter event for someone already in post.
        let mut raw = sample_event("EVT-0001");
        raw["person_id"] = json!("P0002");
        raw["assignment_number"] = json!("37131272");
        let event = read_event(&raw, &catalogue(), now()).unwrap();
        let got = plan(
            &event,
            &person("P0002"),
            &[],
            &catalogue(),
            today(),
            &mut role_ids(),
        );
        assert_eq!(got.unwrap_err().reason_code, ReasonCode::InvalidState);
        // An assignment that is not the person's.
        let mut raw = sample_event("EVT-0010");
        raw["assignment_number"] = json!("37131272");
        let event = read_event(&raw, &catalogue(), now()).unwrap();
        let got = plan(
            &event,
            &person("P0011"),
            &[],
            &catalogue(),
            today(),
            &mut role_ids(),
        );
        assert_eq!(got.unwrap_err().reason_code, ReasonCode::UnknownAssignment);
    }
}
