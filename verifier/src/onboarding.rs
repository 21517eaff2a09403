//! Onboarding at the receiving trust (BR-26 to BR-28, BR-34). An officer starts an
//! onboarding for a new starter and the post they are joining (one of this trust's access
//! control positions, a staff group, an employment type); the post's checklist becomes a
//! presentation request, whose QR code the new starter's wallet answers. The presentation,
//! once checked, is judged against the policy ([`crate::access`]); an HR user then accepts
//! (the proposed grants are recorded) or bypasses the checklist with a justification.
//!
//! Every step is an audit entry written in the same sled transaction as the record it
//! changes, flushed before the answer. Audit entries carry who, what, when and the
//! onboarding, never the content of a check (BR-34).

use std::path::Path;

use chrono::{DateTime, Utc};
use credentials::identifiers::CareIdentityUuid;
use credentials::rbac::RbacCatalogue;
use credentials::CredentialKind;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use service_kit::auth::BearerToken;
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

use crate::access::{decide, AccessDecision, Evidence, OverallState};
use crate::dcql::DcqlQuery;
use crate::oid4vp::{query_for_needs, random_token, Need, IDENTITY};
use crate::policy::{Checklist, EmploymentType, LocalGrant, Policy, Post, Requirement};
use crate::presentations::{rfc3339, Oid4vp, RequestError};
use crate::service::Verifier;

const ONBOARDING_TREE: &str = "onboardings";
const AUDIT_TREE: &str = "onboarding-audit";
/// A bypass must say why: a word or two is not a justification (BR-27).
const MIN_JUSTIFICATION: usize = 20;

/// Why an onboarding call failed (problem JSON at the API).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum OnboardingError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// The onboarding is not in a state that allows this.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Internal(String),
}

impl From<RequestError> for OnboardingError {
    fn from(error: RequestError) -> Self {
        match error {
            RequestError::NotFound(why) => OnboardingError::NotFound(why),
            RequestError::Malformed(why) => OnboardingError::Invalid(why),
            RequestError::Internal(why) => OnboardingError::Internal(why),
        }
    }
}

fn internal(error: impl std::fmt::Display) -> OnboardingError {
    OnboardingError::Internal(error.to_string())
}

/// What the officer says when starting an onboarding.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartOnboarding {
    /// The new starter's name as the officer knows it, to find the onboarding again.
    pub person: String,
    /// One of this trust's access control positions (e.g. `RTH-ACP-04`).
    pub position: String,
    pub staff_group: String,
    pub employment_type: EmploymentType,
    /// The officer's Care Identity UUID (BR-34).
    pub by: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HrAction {
    Accepted,
    Bypassed,
}

/// An HR user's decision, with the grants it records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HrDecision {
    pub action: HrAction,
    pub by: String,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    pub grants: Vec<LocalGrant>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OnboardingRecord {
    pub id: String,
    pub person: String,
    pub position: String,
    pub position_name: String,
    pub post: Post,
    pub checklist: Checklist,
    pub request_id: String,
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    /// Who presented, from their Care Identity credential, once they have.
    #[serde(default)]
    pub presented_by: Option<String>,
    #[serde(default)]
    pub presented_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub decision: Option<AccessDecision>,
    #[serde(default)]
    pub hr: Option<HrDecision>,
    /// When the checklist's reasons and notes were removed, its retention having passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_removed_at: Option<DateTime<Utc>>,
}

impl OnboardingRecord {
    /// The record with the checklist's reasons and notes removed, if HR decided it more
    /// than `keep` ago and they are still there; the outcome of each requirement, the
    /// grants and who decided stay.
    pub fn without_old_evidence(
        &self,
        now: DateTime<Utc>,
        keep: chrono::Duration,
    ) -> Option<OnboardingRecord> {
        let decided_at = self.hr.as_ref()?.at;
        if self.evidence_removed_at.is_some() || now - decided_at < keep {
            return None;
        }
        let mut kept = self.clone();
        if let Some(decision) = &mut kept.decision {
            for requirement in &mut decision.requirements {
                requirement.reason.clear();
            }
            decision.notes.clear();
        }
        kept.evidence_removed_at = Some(now);
        Some(kept)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnboardingStatus {
    AwaitingPresentation,
    /// The request expired (or was pruned) before the wallet answered.
    Expired,
    /// Presented and judged: waiting for HR.
    AwaitingHr,
    Accepted,
    Bypassed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: u64,
    pub at: DateTime<Utc>,
    /// A Care Identity UUID, or `wallet` for the new starter's presentation.
    pub actor: String,
    pub organisation: String,
    pub action: String,
    pub onboarding: String,
    pub detail: String,
}

/// Onboarding records and their audit log, beside the presentation requests.
struct OnboardingStore {
    db: sled::Db,
    records: sled::Tree,
    audit: sled::Tree,
}

impl OnboardingStore {
    fn open(db: sled::Db) -> Result<Self, String> {
        Ok(Self {
            records: db.open_tree(ONBOARDING_TREE).map_err(|e| e.to_string())?,
            audit: db.open_tree(AUDIT_TREE).map_err(|e| e.to_string())?,
            db,
        })
    }

    fn get(&self, id: &str) -> Result<Option<OnboardingRecord>, OnboardingError> {
        match self.records.get(id.as_bytes()).map_err(internal)? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(internal),
        }
    }

    fn all(&self) -> Result<Vec<OnboardingRecord>, OnboardingError> {
        let mut records = Vec::new();
        for entry in self.records.iter() {
            let (_, bytes) = entry.map_err(internal)?;
            records.push(serde_json::from_slice::<OnboardingRecord>(&bytes).map_err(internal)?);
        }
        records.sort_by_key(|r| std::cmp::Reverse(r.started_at));
        Ok(records)
    }

    /// Writes `after` in place of `before` (nothing, for a new record) and appends the audit
    /// entry, in one transaction, then flushes. `Conflict` when the record changed meanwhile.
    fn commit(
        &self,
        before: Option<&OnboardingRecord>,
        after: &OnboardingRecord,
        mut entry: AuditEntry,
    ) -> Result<AuditEntry, OnboardingError> {
        let before = before
            .map(serde_json::to_vec)
            .transpose()
            .map_err(internal)?;
        let after_bytes = serde_json::to_vec(after).map_err(internal)?;
        entry.seq = self.db.generate_id().map_err(internal)?;
        let entry_bytes = serde_json::to_vec(&entry).map_err(internal)?;
        let outcome = (&self.records, &self.audit).transaction(|(records, audit)| {
            let current = records.get(after.id.as_bytes())?;
            if current.as_deref() != before.as_deref() {
                return Err(ConflictableTransactionError::Abort(()));
            }
            records.insert(after.id.as_bytes(), after_bytes.as_slice())?;
            audit.insert(&entry.seq.to_be_bytes(), entry_bytes.as_slice())?;
            Ok(())
        });
        match outcome {
            Ok(()) => {}
            Err(TransactionError::Abort(())) => {
                return Err(OnboardingError::Conflict(
                    "the onboarding changed meanwhile; read it again".into(),
                ))
            }
            Err(TransactionError::Storage(e)) => return Err(internal(e)),
        }
        self.db.flush().map_err(internal)?;
        Ok(entry)
    }

    fn audit(&self, onboarding: Option<&str>) -> Result<Vec<AuditEntry>, OnboardingError> {
        let mut entries = Vec::new();
        for entry in self.audit.iter() {
            let (_, bytes) = entry.map_err(internal)?;
            let entry: AuditEntry = serde_json::from_slice(&bytes).map_err(internal)?;
            if onboarding.is_none_or(|id| entry.onboarding == id) {
                entries.push(entry);
            }
        }
        Ok(entries)
    }
}

/// The onboarding side of a verifier: the trust's policy, the RBAC catalogue its
/// positions come from, the records, and who may decide.
pub struct Onboarding {
    policy: Policy,
    catalogue: RbacCatalogue,
    store: OnboardingStore,
    hr: Option<BearerToken>,
    /// How long after HR's decision the checklist's evidence is kept.
    evidence_kept: chrono::Duration,
}

impl Onboarding {
    /// Reads the policy (refused with its line and problem) and opens the records in the
    /// OpenID4VP store.
    pub fn open(
        policy_path: &Path,
        catalogue: RbacCatalogue,
        oid: &Oid4vp,
        hr_token: Option<&str>,
    ) -> Result<Self, String> {
        let text = std::fs::read_to_string(policy_path)
            .map_err(|e| format!("{}: {e}", policy_path.display()))?;
        let policy = Policy::from_toml(&text, &catalogue)
            .map_err(|e| format!("{} {e}", policy_path.display()))?;
        let hr = match hr_token {
            Some(token) if token.len() < 16 => {
                return Err("hr_token must be at least 16 characters".into())
            }
            Some(token) => Some(BearerToken::new(token)),
            None => None,
        };
        Ok(Self {
            policy,
            catalogue,
            store: OnboardingStore::open(oid.database())?,
            hr,
            evidence_kept: chrono::Duration::days(90),
        })
    }

    /// How many days after HR's decision the checklist's reasons and notes are kept.
    pub fn keeping_evidence_for(mut self, days: u64) -> Result<Self, String> {
        if !(1..=3650).contains(&days) {
            return Err("onboarding_evidence_days must be from 1 to 3650".into());
        }
        self.evidence_kept = chrono::Duration::days(days as i64);
        Ok(self)
    }

    pub fn evidence_days(&self) -> i64 {
        self.evidence_kept.num_days()
    }

    pub fn hr_token(&self) -> Option<&BearerToken> {
        self.hr.as_ref()
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// What an officer can choose from: this trust's positions, the staff groups and the
    /// employment types.
    pub fn choices(&self) -> Value {
        let positions: Vec<Value> = self
            .catalogue
            .access_control_positions_of(&self.policy.organisation)
            .map(|acp| {
                json!({
                    "id": acp.acp_id,
                    "name": acp.name,
                    "job_role": acp.job_role,
                    "activities": self.catalogue.pbac_activities(acp),
                })
            })
            .collect();
        json!({
            "organisation": self.policy.organisation,
            "positions": positions,
            "staff_groups": self.catalogue.staff_groups().collect::<Vec<_>>(),
            "employment_types": EmploymentType::ALL,
        })
    }

    fn post_for(&self, start: &StartOnboarding) -> Result<(Post, String), OnboardingError> {
        let acp = self
            .catalogue
            .access_control_position(&start.position)
            .filter(|acp| acp.org_ods == self.policy.organisation)
            .ok_or_else(|| {
                OnboardingError::Invalid(format!(
                    "position {:?} is not one of {}'s access control positions",
                    start.position, self.policy.organisation
                ))
            })?;
        if !self.catalogue.has_staff_group(&start.staff_group) {
            return Err(OnboardingError::Invalid(format!(
                "{:?} is not an ESR staff group",
                start.staff_group
            )));
        }
        Ok((
            Post {
                staff_group: start.staff_group.clone(),
                job_role: acp.job_role.clone(),
                activities: self.catalogue.pbac_activities(acp),
                employment_type: start.employment_type,
            },
            acp.name.clone(),
        ))
    }
}

fn actor(by: &str) -> Result<String, OnboardingError> {
    CareIdentityUuid::parse(by.trim())
        .map(|uuid| uuid.to_string())
        .map_err(|_| {
            OnboardingError::Invalid(
                "by must be the Care Identity UUID (12 digits) of who acts".into(),
            )
        })
}

const CHECKS: &[&str] = &["checkedBy", "checks"];

/// What to ask the wallet for, from the checklist: identity always (to know who answers),
/// each credential type a requirement rests on as optional, so that a new starter without
/// one still presents the rest and the decision says what is missing.
fn request_for(checklist: &Checklist) -> DcqlQuery {
    let needs_any =
        |requirements: &[Requirement]| requirements.iter().any(|r| checklist.require.contains(r));
    let mut needs = vec![IDENTITY];
    if needs_any(&[Requirement::Employment]) {
        needs.push(Need {
            id: "employment",
            kind: CredentialKind::Employment,
            claims: &["employer", "positionTitle", "staffGroup", "startDate"],
            optional_claims: &["endDate"],
            required: false,
        });
    }
    if needs_any(&[
        Requirement::RightToWork,
        Requirement::EmploymentHistory,
        Requirement::Dbs,
        Requirement::Training,
        Requirement::OccupationalHealth,
    ]) {
        let training = checklist.require.contains(&Requirement::Training);
        let health = checklist.require.contains(&Requirement::OccupationalHealth);
        needs.push(Need {
            id: "checks",
            kind: CredentialKind::EmploymentChecks,
            claims: CHECKS,
            optional_claims: match (training, health) {
                (true, true) => &["training", "occupationalHealth"],
                (true, false) => &["training"],
                (false, true) => &["occupationalHealth"],
                (false, false) => &[],
            },
            required: false,
        });
    }
    if needs_any(&[Requirement::Registration]) {
        needs.push(Need {
            id: "registration",
            kind: CredentialKind::ProfessionalRegistration,
            claims: &["regulator", "registrationNumber", "registrationStatus"],
            optional_claims: &["renewalDue"],
            required: false,
        });
    }
    query_for_needs(&needs)
}

impl Verifier {
    fn onboarding_parts(&self) -> Result<(&Oid4vp, &Onboarding), OnboardingError> {
        match (self.oid4vp(), self.onboarding()) {
            (Some(oid), Some(onboarding)) => Ok((oid, onboarding)),
            _ => Err(OnboardingError::NotFound(
                "onboarding is not enabled on this verifier (it has no policy_file)".into(),
            )),
        }
    }

    fn audit_entry(
        &self,
        onboarding: &Onboarding,
        actor: &str,
        action: &str,
        id: &str,
        detail: String,
    ) -> AuditEntry {
        AuditEntry {
            seq: 0,
            at: self.clock.now(),
            actor: actor.to_owned(),
            organisation: onboarding.policy.organisation.to_string(),
            action: action.to_owned(),
            onboarding: id.to_owned(),
            detail,
        }
    }

    /// Removes the checklist's reasons and notes from every onboarding HR decided longer
    /// ago than the trust keeps them (storage limitation): each removal is one audited
    /// change. Returns how many records it changed.
    pub fn remove_old_evidence(&self, now: DateTime<Utc>) -> Result<usize, OnboardingError> {
        let (_, onboarding) = self.onboarding_parts()?;
        let mut removed = 0;
        for record in onboarding.store.all()? {
            let Some(kept) = record.without_old_evidence(now, onboarding.evidence_kept) else {
                continue;
            };
            let mut entry = self.audit_entry(
                onboarding,
                "retention",
                "evidence_removed",
                &record.id,
                format!(
                    "the checklist's reasons and notes, {} days after HR's decision",
                    onboarding.evidence_kept.num_days()
                ),
            );
            entry.at = now;
            onboarding.store.commit(Some(&record), &kept, entry)?;
            removed += 1;
        }
        if removed > 0 {
            tracing::info!(removed, "old onboarding evidence removed");
        }
        Ok(removed)
    }

    /// Starts an onboarding: the post's checklist, and the presentation request for it.
    pub fn start_onboarding(&self, start: &StartOnboarding) -> Result<Value, OnboardingError> {
        let (oid, onboarding) = self.onboarding_parts()?;
        // Like the presentation results, old evidence goes when new work starts.
        if let Err(error) = self.remove_old_evidence(self.clock.now()) {
            tracing::warn!(?error, "could not remove old onboarding evidence");
        }
        let by = actor(&start.by)?;
        let person = start.person.trim();
        if person.is_empty() || person.chars().count() > 200 {
            return Err(OnboardingError::Invalid(
                "person must name the new starter (at most 200 characters)".into(),
            ));
        }
        let (post, position_name) = onboarding.post_for(start)?;
        let checklist = onboarding.policy.checklist_for(&post);
        let request = self.start_request(oid, "onboarding", request_for(&checklist))?;
        let request_id = request
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| internal("a started request has no id"))?
            .to_owned();
        let record = OnboardingRecord {
            id: random_token(16),
            person: person.to_owned(),
            position: start.position.clone(),
            position_name,
            post,
            checklist,
            request_id,
            started_by: by.clone(),
            started_at: self.clock.now(),
            presented_by: None,
            presented_at: None,
            decision: None,
            hr: None,
            evidence_removed_at: None,
        };
        let entry = self.audit_entry(
            onboarding,
            &by,
            "onboarding_started",
            &record.id,
            format!(
                "{} as {} ({}, {})",
                record.person,
                record.position_name,
                record.post.staff_group,
                record.post.employment_type
            ),
        );
        onboarding.store.commit(None, &record, entry)?;
        tracing::info!(onboarding = %record.id, "onboarding started");
        let mut view = self.onboarding_view(oid, onboarding, record)?;
        view["request"] = request;
        Ok(view)
    }

    /// One onboarding as the console shows it; judges the presentation the first time it
    /// is seen.
    pub fn read_onboarding(&self, id: &str) -> Result<Value, OnboardingError> {
        let (oid, onboarding) = self.onboarding_parts()?;
        let record = self.current(oid, onboarding, id)?;
        self.onboarding_view(oid, onboarding, record)
    }

    /// Every onboarding, newest first.
    pub fn onboardings(&self) -> Result<Vec<Value>, OnboardingError> {
        Ok(self
            .onboarding_records()?
            .into_iter()
            .map(|(record, status)| {
                json!({
                    "id": record.id,
                    "person": record.person,
                    "position_name": record.position_name,
                    "started_at": rfc3339(record.started_at),
                    "status": status,
                    "overall": record.decision.as_ref().map(|d| d.overall),
                })
            })
            .collect())
    }

    /// Every onboarding with its status, newest first (each judged if it has just been
    /// presented).
    pub fn onboarding_records(
        &self,
    ) -> Result<Vec<(OnboardingRecord, OnboardingStatus)>, OnboardingError> {
        let (oid, onboarding) = self.onboarding_parts()?;
        onboarding
            .store
            .all()?
            .into_iter()
            .map(|record| {
                let record = self.judged(oid, onboarding, record)?;
                let status = self.status_of(oid, &record);
                Ok((record, status))
            })
            .collect()
    }

    /// One onboarding with its status and the grants its post calls for.
    pub fn onboarding_record(
        &self,
        id: &str,
    ) -> Result<(OnboardingRecord, OnboardingStatus, Vec<LocalGrant>), OnboardingError> {
        let (oid, onboarding) = self.onboarding_parts()?;
        let record = self.current(oid, onboarding, id)?;
        let status = self.status_of(oid, &record);
        let grants = onboarding.policy.grants_for(&record.post);
        Ok((record, status, grants))
    }

    /// The QR code (SVG) of an onboarding's presentation request, and the link it carries.
    pub fn onboarding_qr_svg(
        &self,
        record: &OnboardingRecord,
    ) -> Result<(String, String), OnboardingError> {
        let (oid, _) = self.onboarding_parts()?;
        let bytes = self.request_qr(oid, &record.request_id, crate::presentations::QrImage::Svg)?;
        let svg = String::from_utf8(bytes).map_err(internal)?;
        Ok((svg, oid.link(&record.request_id)))
    }

    fn current(
        &self,
        oid: &Oid4vp,
        onboarding: &Onboarding,
        id: &str,
    ) -> Result<OnboardingRecord, OnboardingError> {
        let record = onboarding
            .store
            .get(id)?
            .ok_or_else(|| OnboardingError::NotFound("no onboarding with this id".into()))?;
        self.judged(oid, onboarding, record)
    }

    /// The record with its decision, made (and stored, with its audit entry) if the
    /// presentation has arrived since it was last read.
    fn judged(
        &self,
        oid: &Oid4vp,
        onboarding: &Onboarding,
        record: OnboardingRecord,
    ) -> Result<OnboardingRecord, OnboardingError> {
        if record.decision.is_some() {
            return Ok(record);
        }
        let Ok(request) = oid.request_record(&record.request_id) else {
            return Ok(record);
        };
        let (Some(result), Some(presented_at)) = (&request.result, request.answered_at) else {
            return Ok(record);
        };
        let evidence = Evidence::from_result(result);
        let decision = decide(
            &onboarding.policy,
            &record.post,
            &evidence,
            self.clock.now().date_naive(),
        );
        let presented_by = evidence
            .iter()
            .find(|e| e.kind == CredentialKind::CareIdentity)
            .map(|identity| {
                let text = |key: &str| identity.claims.get(key).and_then(Value::as_str);
                format!(
                    "{} {} ({})",
                    text("givenName").unwrap_or("?"),
                    text("familyName").unwrap_or("?"),
                    text("careIdentityUuid").unwrap_or("?")
                )
            });
        let mut judged = record.clone();
        judged.decision = Some(decision.clone());
        judged.presented_by = presented_by;
        judged.presented_at = Some(presented_at);
        let met = decision
            .requirements
            .iter()
            .filter(|r| r.state == crate::access::RequirementState::Met)
            .count();
        let entry = self.audit_entry(
            onboarding,
            "wallet",
            "presentation_received",
            &record.id,
            format!(
                "{:?}: {met} of {} requirements met",
                decision.overall,
                decision.requirements.len()
            ),
        );
        match onboarding.store.commit(Some(&record), &judged, entry) {
            Ok(_) => Ok(judged),
            // Another reader judged it first: theirs is the stored one.
            Err(OnboardingError::Conflict(_)) => onboarding
                .store
                .get(&record.id)?
                .ok_or_else(|| internal("an onboarding vanished")),
            Err(other) => Err(other),
        }
    }

    fn status_of(&self, oid: &Oid4vp, record: &OnboardingRecord) -> OnboardingStatus {
        match (&record.hr, &record.decision) {
            (Some(hr), _) if hr.action == HrAction::Accepted => OnboardingStatus::Accepted,
            (Some(_), _) => OnboardingStatus::Bypassed,
            (None, Some(_)) => OnboardingStatus::AwaitingHr,
            (None, None) => match oid.request_record(&record.request_id) {
                Ok(request) if request.expires_at > self.clock.now() => {
                    OnboardingStatus::AwaitingPresentation
                }
                _ => OnboardingStatus::Expired,
            },
        }
    }

    fn onboarding_view(
        &self,
        oid: &Oid4vp,
        onboarding: &Onboarding,
        record: OnboardingRecord,
    ) -> Result<Value, OnboardingError> {
        let status = self.status_of(oid, &record);
        let proposed = onboarding.policy.grants_for(&record.post);
        let mut view = serde_json::to_value(&record).map_err(internal)?;
        view["status"] = json!(status);
        view["proposed_grants"] = json!(proposed);
        view["request_url"] = json!(format!("/presentation-requests/{}", record.request_id));
        Ok(view)
    }

    /// HR accepts a complete checklist: the proposed grants are recorded (BR-27).
    pub fn accept_onboarding(&self, id: &str, by: &str) -> Result<Value, OnboardingError> {
        let (oid, onboarding) = self.onboarding_parts()?;
        let by = actor(by)?;
        let record = self.current(oid, onboarding, id)?;
        undecided(&record)?;
        let Some(decision) = &record.decision else {
            return Err(OnboardingError::Conflict(
                "nothing has been presented yet: accept needs a complete checklist (or bypass it with a justification)".into(),
            ));
        };
        if decision.overall != OverallState::Complete {
            return Err(OnboardingError::Conflict(format!(
                "the checklist is {}: only a complete one can be accepted; bypass it with a justification instead",
                serde_json::to_value(decision.overall)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
                    .replace('_', " ")
            )));
        }
        let grants = decision.proposed_grants.clone();
        self.record_hr(
            oid,
            onboarding,
            record,
            HrAction::Accepted,
            by,
            None,
            grants,
        )
    }

    /// HR bypasses the checklist, satisfied the checks are done, with a written reason
    /// (BR-27); the post's grants are recorded.
    pub fn bypass_onboarding(
        &self,
        id: &str,
        by: &str,
        justification: &str,
    ) -> Result<Value, OnboardingError> {
        let (oid, onboarding) = self.onboarding_parts()?;
        let by = actor(by)?;
        let justification = justification.trim();
        if justification.chars().count() < MIN_JUSTIFICATION {
            return Err(OnboardingError::Invalid(format!(
                "a bypass needs a written justification of at least {MIN_JUSTIFICATION} characters"
            )));
        }
        let record = self.current(oid, onboarding, id)?;
        undecided(&record)?;
        let grants = onboarding.policy.grants_for(&record.post);
        self.record_hr(
            oid,
            onboarding,
            record,
            HrAction::Bypassed,
            by,
            Some(justification.to_owned()),
            grants,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn record_hr(
        &self,
        oid: &Oid4vp,
        onboarding: &Onboarding,
        record: OnboardingRecord,
        action: HrAction,
        by: String,
        justification: Option<String>,
        grants: Vec<LocalGrant>,
    ) -> Result<Value, OnboardingError> {
        let mut decided = record.clone();
        decided.hr = Some(HrDecision {
            action,
            by: by.clone(),
            at: self.clock.now(),
            justification: justification.clone(),
            grants: grants.clone(),
        });
        let (name, detail) = match action {
            HrAction::Accepted => ("accepted", format!("{} grants", grants.len())),
            HrAction::Bypassed => (
                "bypassed",
                format!(
                    "{} grants; justification: {}",
                    grants.len(),
                    justification.unwrap_or_default()
                ),
            ),
        };
        let entry = self.audit_entry(onboarding, &by, name, &record.id, detail);
        onboarding.store.commit(Some(&record), &decided, entry)?;
        tracing::info!(onboarding = %record.id, action = name, "onboarding decided");
        self.onboarding_view(oid, onboarding, decided)
    }

    /// The grants recorded by HR decisions: of one onboarding, or of all.
    pub fn recorded_grants(&self, id: Option<&str>) -> Result<Vec<GrantRow>, OnboardingError> {
        let (_, onboarding) = self.onboarding_parts()?;
        let records = match id {
            Some(id) => vec![onboarding
                .store
                .get(id)?
                .ok_or_else(|| OnboardingError::NotFound("no onboarding with this id".into()))?],
            None => onboarding.store.all()?,
        };
        Ok(records
            .iter()
            .filter_map(|record| record.hr.as_ref().map(|hr| (record, hr)))
            .flat_map(|(record, hr)| {
                hr.grants.iter().map(move |grant| GrantRow {
                    onboarding: record.id.clone(),
                    person: record.person.clone(),
                    presented_by: record.presented_by.clone().unwrap_or_default(),
                    organisation: onboarding.policy.organisation.to_string(),
                    position: record.position.clone(),
                    system: grant.system.clone(),
                    role: grant.role.clone(),
                    because: grant.because.clone(),
                    decision: match hr.action {
                        HrAction::Accepted => "accepted".into(),
                        HrAction::Bypassed => "bypassed".into(),
                    },
                    decided_by: hr.by.clone(),
                    decided_at: rfc3339(hr.at),
                })
            })
            .collect())
    }

    /// The onboarding audit log, oldest first; of one onboarding when `id` is given.
    pub fn onboarding_audit(&self, id: Option<&str>) -> Result<Vec<AuditEntry>, OnboardingError> {
        let (_, onboarding) = self.onboarding_parts()?;
        onboarding.store.audit(id)
    }
}

fn undecided(record: &OnboardingRecord) -> Result<(), OnboardingError> {
    match &record.hr {
        None => Ok(()),
        Some(hr) => Err(OnboardingError::Conflict(format!(
            "this onboarding was already {} by {}",
            match hr.action {
                HrAction::Accepted => "accepted",
                HrAction::Bypassed => "bypassed",
            },
            hr.by
        ))),
    }
}

/// One recorded grant, for the JSON and CSV exports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GrantRow {
    pub onboarding: String,
    pub person: String,
    pub presented_by: String,
    pub organisation: String,
    pub position: String,
    pub system: String,
    pub role: String,
    pub because: String,
    pub decision: String,
    pub decided_by: String,
    pub decided_at: String,
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) is prefixed
/// with `'`: names and reasons are typed by people, and the export is opened in Excel.
fn spreadsheet_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// The grants as CSV, one row each, with a header.
pub fn grants_csv(rows: &[GrantRow]) -> Result<String, OnboardingError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        let safe = GrantRow {
            onboarding: spreadsheet_safe(&row.onboarding),
            person: spreadsheet_safe(&row.person),
            presented_by: spreadsheet_safe(&row.presented_by),
            organisation: spreadsheet_safe(&row.organisation),
            position: spreadsheet_safe(&row.position),
            system: spreadsheet_safe(&row.system),
            role: spreadsheet_safe(&row.role),
            because: spreadsheet_safe(&row.because),
            decision: spreadsheet_safe(&row.decision),
            decided_by: spreadsheet_safe(&row.decided_by),
            decided_at: spreadsheet_safe(&row.decided_at),
        };
        writer.serialize(safe).map_err(internal)?;
    }
    if rows.is_empty() {
        writer
            .write_record([
                "onboarding",
                "person",
                "presented_by",
                "organisation",
                "position",
                "system",
                "role",
                "because",
                "decision",
                "decided_by",
                "decided_at",
            ])
            .map_err(internal)?;
    }
    let bytes = writer.into_inner().map_err(internal)?;
    String::from_utf8(bytes).map_err(internal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::tests::{post, sample_policy};

    fn row(person: &str) -> GrantRow {
        GrantRow {
            onboarding: "o1".into(),
            person: person.into(),
            presented_by: String::new(),
            organisation: "RTH".into(),
            position: "RTH-ACP-01".into(),
            system: "EPR".into(),
            role: "Doctor".into(),
            because: "job role R8000".into(),
            decision: "accepted".into(),
            decided_by: "555000000002".into(),
            decided_at: "2026-11-24T10:00:00Z".into(),
        }
    }

    #[test]
    fn the_csv_export_quotes_and_defuses_what_people_typed() {
        let csv = grants_csv(&[row("=HYPERLINK(\"http://x\")"), row("O'Neil, \"Sam\"")]).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "onboarding,person,presented_by,organisation,position,system,role,because,decision,decided_by,decided_at");
        assert!(
            lines[1].starts_with("o1,\"'=HYPERLINK(\"\"http://x\"\")\","),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].starts_with("o1,\"O'Neil, \"\"Sam\"\"\","),
            "{}",
            lines[2]
        );
        assert_eq!(
            grants_csv(&[]).unwrap().lines().count(),
            1,
            "a header even when empty"
        );
    }

    #[test]
    fn the_request_asks_for_what_the_checklist_rests_on_and_no_more() {
        let policy = sample_policy();
        let doctor = request_for(&policy.checklist_for(&post("Medical and Dental", "R8000", &[])));
        doctor.validate().unwrap();
        let ids: Vec<&str> = doctor.credentials.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "identity_ldp",
                "identity_sd_jwt",
                "employment_ldp",
                "employment_sd_jwt",
                "checks_ldp",
                "checks_sd_jwt",
                "registration_ldp",
                "registration_sd_jwt"
            ]
        );
        let checks = &doctor.credentials[5];
        assert_eq!(
            checks.claim_sets.as_ref().unwrap(),
            &vec![
                vec![
                    "checkedBy".to_owned(),
                    "checks".into(),
                    "training".into(),
                    "occupationalHealth".into()
                ],
                vec!["checkedBy".to_owned(), "checks".into(), "training".into()],
                vec![
                    "checkedBy".to_owned(),
                    "checks".into(),
                    "occupationalHealth".into()
                ],
                vec!["checkedBy".to_owned(), "checks".into()],
            ]
        );
        let receptionist =
            request_for(&policy.checklist_for(&post("Administrative and Clerical", "R8009", &[])));
        assert!(!receptionist
            .credentials
            .iter()
            .any(|c| c.id.starts_with("registration")));
    }

    #[test]
    fn evidence_is_removed_only_from_decided_onboardings_and_only_after_its_time() {
        let policy = sample_policy();
        let post = post("Medical and Dental", "R8000", &[]);
        let now = Utc::now();
        let decision = crate::access::decide(&policy, &post, &[], now.date_naive());
        assert!(decision.requirements.iter().all(|r| !r.reason.is_empty()));
        let awaiting_hr = OnboardingRecord {
            id: "o1".into(),
            person: "Amara Notreal".into(),
            position: "RTH-ACP-01".into(),
            position_name: "Consultant Physician".into(),
            checklist: policy.checklist_for(&post),
            post,
            request_id: "r1".into(),
            started_by: "555000000001".into(),
            started_at: now - chrono::Duration::days(400),
            presented_by: None,
            presented_at: None,
            decision: Some(decision),
            hr: None,
            evidence_removed_at: None,
        };
        let keep = chrono::Duration::days(90);
        assert_eq!(
            awaiting_hr.without_old_evidence(now, keep),
            None,
            "HR still needs it"
        );
        let mut decided = awaiting_hr.clone();
        decided.hr = Some(HrDecision {
            action: HrAction::Bypassed,
            by: "555000000002".into(),
            at: now - chrono::Duration::days(89),
            justification: Some("Checks seen at the lead employer.".into()),
            grants: Vec::new(),
        });
        assert_eq!(decided.without_old_evidence(now, keep), None, "not yet");
        let later = now + chrono::Duration::days(2);
        let removed = decided.without_old_evidence(later, keep).unwrap();
        let (before, after) = (decided.decision.unwrap(), removed.decision.clone().unwrap());
        assert!(after.requirements.iter().all(|r| r.reason.is_empty()));
        assert_eq!(
            after
                .requirements
                .iter()
                .map(|r| r.state)
                .collect::<Vec<_>>(),
            before
                .requirements
                .iter()
                .map(|r| r.state)
                .collect::<Vec<_>>()
        );
        assert_eq!(removed.hr, decided.hr);
        assert_eq!(removed.evidence_removed_at, Some(later));
        assert_eq!(removed.without_old_evidence(later, keep), None, "once");
    }

    #[test]
    fn a_stale_write_is_refused_and_leaves_no_audit_entry() {
        let dir = tempfile::tempdir().unwrap();
        let store = OnboardingStore::open(sled::open(dir.path()).unwrap()).unwrap();
        let policy = sample_policy();
        let post = post("Medical and Dental", "R8000", &[]);
        let record = OnboardingRecord {
            id: "o1".into(),
            person: "Amara Notreal".into(),
            position: "RTH-ACP-01".into(),
            position_name: "Consultant Physician".into(),
            checklist: policy.checklist_for(&post),
            post,
            request_id: "r1".into(),
            started_by: "555000000001".into(),
            started_at: Utc::now(),
            presented_by: None,
            presented_at: None,
            decision: None,
            hr: None,
            evidence_removed_at: None,
        };
        let entry = |action: &str| AuditEntry {
            seq: 0,
            at: Utc::now(),
            actor: "555000000001".into(),
            organisation: "RTH".into(),
            action: action.into(),
            onboarding: "o1".into(),
            detail: String::new(),
        };
        store
            .commit(None, &record, entry("onboarding_started"))
            .unwrap();
        assert!(matches!(
            store.commit(None, &record, entry("onboarding_started")),
            Err(OnboardingError::Conflict(_))
        ));
        let mut renamed = record.clone();
        renamed.person = "Someone Else".into();
        store
            .commit(Some(&record), &renamed, entry("renamed"))
            .unwrap();
        assert!(matches!(
            store.commit(Some(&record), &renamed, entry("stale")),
            Err(OnboardingError::Conflict(_))
        ));
        let actions: Vec<String> = store
            .audit(None)
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(actions, ["onboarding_started", "renamed"]);
        assert_eq!(store.get("o1").unwrap().unwrap().person, "Someone Else");
    }
}
