//! The access decision (BR-26, BR-28): from what a new starter presented (only credentials
//! that verified, from issuers the trust registry trusts, with their status good now) and
//! the post they are joining, each requirement of the post's checklist is met or not, with
//! the reason; then an overall state and the local grants the post calls for.
//!
//! Pure: the caller passes today's date. Reads claims the same way whether they came as a
//! Data Integrity `credentialSubject` or as disclosed SD-JWT VC claims (the names match).

use chrono::{Months, NaiveDate};
use credentials::catalogue::{
    CheckStandard, DbsLevel, EmploymentCheck, OccupationalHealthClearance, TrainingRecord,
};
use credentials::identifiers::Regulator;
use credentials::CredentialKind;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::policy::{Checklist, LocalGrant, Policy, Post, Requirement};

/// One verified credential the new starter presented.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    pub kind: CredentialKind,
    pub issuer: String,
    pub claims: Value,
}

impl Evidence {
    /// The verified credentials of a presentation result (`credentials` of the result the
    /// verifier stores); anything that did not verify is not evidence.
    pub fn from_result(result: &Value) -> Vec<Evidence> {
        let Some(queries) = result.get("credentials").and_then(Value::as_object) else {
            return Vec::new();
        };
        queries
            .values()
            .filter_map(Value::as_array)
            .flatten()
            .filter(|entry| entry.get("verified") == Some(&Value::Bool(true)))
            .filter_map(|entry| {
                Some(Evidence {
                    kind: CredentialKind::from_type_name(entry.get("credential_type")?.as_str()?)?,
                    issuer: entry.get("issuer")?.as_str()?.to_owned(),
                    claims: entry.get("claims")?.clone(),
                })
            })
            .collect()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequirementState {
    Met,
    /// Nothing acceptable was presented for it.
    Unmet,
    /// Presented and verified, but outside this trust's acceptance window: HR decides.
    Review,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequirementOutcome {
    pub requirement: Requirement,
    pub label: String,
    pub state: RequirementState,
    pub reason: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverallState {
    /// Every requirement met.
    Complete,
    /// Something required was not presented (or did not verify).
    Incomplete,
    /// Everything was presented, but something is outside a window, or no rule covers the
    /// post: an authorised HR user decides (BR-27).
    NeedsHrReview,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessDecision {
    pub overall: OverallState,
    pub rules: Vec<String>,
    pub requirements: Vec<RequirementOutcome>,
    pub proposed_grants: Vec<LocalGrant>,
    /// What the officer should know that is not a requirement (e.g. BR-28).
    pub notes: Vec<String>,
}

/// Decides on one presentation for one post.
pub fn decide(
    policy: &Policy,
    post: &Post,
    evidence: &[Evidence],
    today: NaiveDate,
) -> AccessDecision {
    let checklist = policy.checklist_for(post);
    let requirements: Vec<RequirementOutcome> = checklist
        .require
        .iter()
        .map(|requirement| {
            let (state, reason) = judge(*requirement, &checklist, evidence, today);
            RequirementOutcome {
                requirement: *requirement,
                label: requirement.label().to_owned(),
                state,
                reason,
            }
        })
        .collect();
    let mut notes = Vec::new();
    if checklist.rules.is_empty() {
        notes.push(format!(
            "No checklist rule of {} covers this post ({}, {}, {}): HR must review it.",
            policy.organisation, post.staff_group, post.job_role, post.employment_type
        ));
    }
    for role in evidence.iter().filter(|e| e.kind == CredentialKind::Role) {
        let organisation = text(&role.claims, &["organisation", "name"])
            .or_else(|| text(&role.claims, &["organisation", "odsCode"]))
            .unwrap_or("another organisation");
        notes.push(format!(
            "A role credential from {organisation} was presented: it is for information only and grants nothing here (BR-28)."
        ));
    }
    let overall = if requirements
        .iter()
        .any(|r| r.state == RequirementState::Unmet)
    {
        OverallState::Incomplete
    } else if checklist.rules.is_empty()
        || requirements
            .iter()
            .any(|r| r.state == RequirementState::Review)
    {
        OverallState::NeedsHrReview
    } else {
        OverallState::Complete
    };
    AccessDecision {
        overall,
        rules: checklist.rules.clone(),
        requirements,
        proposed_grants: policy.grants_for(post),
        notes,
    }
}

type Judgement = (RequirementState, String);

fn met(reason: String) -> Judgement {
    (RequirementState::Met, reason)
}

fn unmet(reason: impl Into<String>) -> Judgement {
    (RequirementState::Unmet, reason.into())
}

fn review(reason: String) -> Judgement {
    (RequirementState::Review, reason)
}

fn judge(
    requirement: Requirement,
    checklist: &Checklist,
    evidence: &[Evidence],
    today: NaiveDate,
) -> Judgement {
    match requirement {
        Requirement::Identity => identity(evidence),
        Requirement::Employment => employment(evidence, today),
        Requirement::RightToWork => {
            completed_check(evidence, CheckStandard::RightToWork, "right-to-work", today)
        }
        Requirement::EmploymentHistory => completed_check(
            evidence,
            CheckStandard::EmploymentHistoryAndReferences,
            "employment history and references",
            today,
        ),
        Requirement::Dbs => dbs(evidence, checklist, today),
        Requirement::Registration => registration(evidence, checklist, today),
        Requirement::Training => training(evidence, checklist, today),
        Requirement::OccupationalHealth => occupational_health(evidence, checklist),
    }
}

fn first(evidence: &[Evidence], kind: CredentialKind) -> Option<&Evidence> {
    evidence.iter().find(|e| e.kind == kind)
}

fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(value, |value, key| value.get(key))
        .and_then(Value::as_str)
}

fn date(value: &Value, key: &str) -> Option<NaiveDate> {
    value.get(key)?.as_str()?.parse().ok()
}

fn identity(evidence: &[Evidence]) -> Judgement {
    let Some(identity) = first(evidence, CredentialKind::CareIdentity) else {
        return unmet("No verified Care Identity credential was presented.");
    };
    let proofing =
        text(&identity.claims, &["identityProofing", "level"]).unwrap_or("not disclosed");
    met(format!(
        "Care Identity {} ({proofing}), issued by {}.",
        text(&identity.claims, &["careIdentityUuid"]).unwrap_or("(UUID not disclosed)"),
        identity.issuer
    ))
}

fn employment(evidence: &[Evidence], today: NaiveDate) -> Judgement {
    let Some(employment) = first(evidence, CredentialKind::Employment) else {
        return unmet("No verified employment credential was presented.");
    };
    let employer = text(&employment.claims, &["employer", "name"]).unwrap_or("an NHS employer");
    let title = text(&employment.claims, &["positionTitle"]).unwrap_or("a post");
    match date(&employment.claims, "endDate") {
        Some(ended) if ended < today => review(format!(
            "The employment as {title} at {employer} ended on {ended}."
        )),
        _ => met(format!("Employed as {title} at {employer}.")),
    }
}

/// The employment checks disclosed in any presented EmploymentChecks credential.
fn checks(evidence: &[Evidence]) -> Option<(Vec<EmploymentCheck>, String)> {
    let credential = first(evidence, CredentialKind::EmploymentChecks)?;
    let list = credential.claims.get("checks")?.as_array()?;
    let checks = list
        .iter()
        .filter_map(|c| EmploymentCheck::deserialize(c).ok())
        .collect();
    let by = text(&credential.claims, &["checkedBy", "name"])
        .unwrap_or(&credential.issuer)
        .to_owned();
    Some((checks, by))
}

fn completed_check(
    evidence: &[Evidence],
    standard: CheckStandard,
    what: &str,
    today: NaiveDate,
) -> Judgement {
    let Some((checks, by)) = checks(evidence) else {
        return unmet("No verified employment checks credential was presented (or its checks were not disclosed).");
    };
    let Some(check) = checks.iter().find(|c| c.standard == standard) else {
        return unmet(format!(
            "The employment checks presented include no {what} check."
        ));
    };
    match check.expires_on {
        Some(expired) if expired < today => {
            review(format!("The {what} check by {by} expired on {expired}."))
        }
        _ => met(format!(
            "The {what} check was completed by {by} on {}.",
            check.completed_on
        )),
    }
}

fn dbs_label(level: DbsLevel) -> &'static str {
    match level {
        DbsLevel::Basic => "basic",
        DbsLevel::Standard => "standard",
        DbsLevel::Enhanced => "enhanced",
        DbsLevel::EnhancedWithBarredLists => "enhanced with barred lists",
    }
}

fn dbs(evidence: &[Evidence], checklist: &Checklist, today: NaiveDate) -> Judgement {
    let needed = checklist.dbs_level;
    let Some((checks, by)) = checks(evidence) else {
        return unmet("No verified employment checks credential was presented (or its checks were not disclosed).");
    };
    let Some(check) = checks
        .iter()
        .find(|c| c.standard == CheckStandard::CriminalRecord)
    else {
        return unmet("The employment checks presented include no criminal record (DBS) check.");
    };
    let Some(level) = check.dbs_level else {
        return review(format!("The DBS check by {by} does not state its level."));
    };
    if let Some(needed) = needed.filter(|needed| level < *needed) {
        return review(format!(
            "The DBS check by {by} is {}; this post needs {}.",
            dbs_label(level),
            dbs_label(needed)
        ));
    }
    if let Some(expired) = check.expires_on.filter(|e| *e < today) {
        return review(format!("The DBS check by {by} expired on {expired}."));
    }
    let on_update_service = check.dbs_update_service == Some(true);
    if let Some(years) = checklist.dbs_max_age_years.filter(|_| !on_update_service) {
        let too_old = check
            .completed_on
            .checked_add_months(chrono::Months::new(years * 12))
            .is_none_or(|limit| limit < today);
        if too_old {
            return review(format!(
                "The DBS check by {by} was done on {}, more than {years} years ago, and is not on the DBS Update Service: ask for a status check or a new one.",
                check.completed_on
            ));
        }
    }
    let update = if on_update_service {
        ", on the DBS Update Service"
    } else {
        ""
    };
    met(format!(
        "A {} DBS check by {by} on {}{update}.",
        dbs_label(level),
        check.completed_on
    ))
}

fn registration(evidence: &[Evidence], checklist: &Checklist, today: NaiveDate) -> Judgement {
    let Some(registration) = first(evidence, CredentialKind::ProfessionalRegistration) else {
        return unmet("No verified professional registration credential was presented.");
    };
    let claims = &registration.claims;
    let regulator: Option<Regulator> = claims
        .get("regulator")
        .and_then(|r| Regulator::deserialize(r).ok());
    let number = text(claims, &["registrationNumber"]).unwrap_or("(number not disclosed)");
    let Some(regulator) = regulator else {
        return unmet("The registration presented does not disclose its regulator.");
    };
    let name = serde_json::to_value(regulator)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    if !checklist.regulators.is_empty() && !checklist.regulators.contains(&regulator) {
        let wanted: Vec<String> = checklist
            .regulators
            .iter()
            .filter_map(|r| serde_json::to_value(r).ok())
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        return review(format!(
            "Registered with the {name}; this post needs registration with {}.",
            wanted.join(" or ")
        ));
    }
    match text(claims, &["registrationStatus"]) {
        Some("registered") => {}
        Some(other) => return review(format!("{name} {number} is {other}, not registered.")),
        None => {
            return unmet(format!(
                "{name} {number}: the registration status was not disclosed."
            ))
        }
    }
    match date(claims, "renewalDue") {
        Some(due) if due < today => {
            review(format!("{name} {number} was due for renewal on {due}."))
        }
        Some(due) => met(format!("{name} {number}, registered, renewal due {due}.")),
        None => met(format!("{name} {number}, registered.")),
    }
}

fn training(evidence: &[Evidence], checklist: &Checklist, today: NaiveDate) -> Judgement {
    let Some(credential) = first(evidence, CredentialKind::EmploymentChecks) else {
        return unmet(
            "No verified employment checks credential was presented, so no training record.",
        );
    };
    let records: Vec<TrainingRecord> = credential
        .claims
        .get("training")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|r| TrainingRecord::deserialize(r).ok())
                .collect()
        })
        .unwrap_or_default();
    let mut missing = Vec::new();
    let mut lapsed = Vec::new();
    for subject in &checklist.training {
        let due = records
            .iter()
            .filter(|r| &r.training_subject == subject)
            .filter_map(|r| {
                r.completed_on
                    .checked_add_months(Months::new(12 * r.refresher_years))
            })
            .max();
        match due {
            None => missing.push(subject.clone()),
            Some(due) if due <= today => lapsed.push(format!("{subject} (refresher due {due})")),
            Some(_) => {}
        }
    }
    if !missing.is_empty() {
        return unmet(format!("No record of: {}.", missing.join("; ")));
    }
    if !lapsed.is_empty() {
        return review(format!("Refresher overdue: {}.", lapsed.join("; ")));
    }
    met(format!(
        "All {} required subjects are inside their refresher intervals.",
        checklist.training.len()
    ))
}

fn occupational_health(evidence: &[Evidence], checklist: &Checklist) -> Judgement {
    let Some(credential) = first(evidence, CredentialKind::EmploymentChecks) else {
        return unmet("No verified employment checks credential was presented, so no occupational health clearance.");
    };
    let Some(clearance) = credential
        .claims
        .get("occupationalHealth")
        .and_then(|c| OccupationalHealthClearance::deserialize(c).ok())
    else {
        return unmet("The employment checks presented disclose no occupational health clearance.");
    };
    if clearance.clearance != "cleared" {
        return review(format!(
            "Occupational health clearance is {}, not cleared.",
            clearance.clearance
        ));
    }
    if checklist.exposure_prone_procedures && !clearance.exposure_prone_procedures {
        return review(
            "Cleared, but not for exposure-prone procedures, which this post needs.".into(),
        );
    }
    let epp = if clearance.exposure_prone_procedures {
        ", including exposure-prone procedures"
    } else {
        ""
    };
    met(format!("Cleared{epp}."))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::policy::tests::{post, sample_policy};

    const ISSUER: &str = "did:web:issuer.rj1.example";

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    fn evidence(kind: CredentialKind, claims: Value) -> Evidence {
        Evidence {
            kind,
            issuer: ISSUER.into(),
            claims,
        }
    }

    fn training(completed_on: &str) -> Value {
        let subjects = [
            "Equality, diversity and human rights",
            "Fire safety",
            "Health, safety and welfare",
            "Information governance and data security",
            "Infection prevention and control",
            "Moving and handling",
            "Resuscitation",
            "Safeguarding adults",
            "Safeguarding children",
        ];
        subjects
            .iter()
            .map(
                |s| json!({"trainingSubject": s, "completedOn": completed_on, "refresherYears": 1}),
            )
            .collect()
    }

    /// A doctor from RJ1 with everything RTH asks of a doctor, in date.
    fn a_good_doctor() -> Vec<Evidence> {
        vec![
            evidence(
                CredentialKind::CareIdentity,
                json!({
                    "careIdentityUuid": "966786164588", "givenName": "Amara", "familyName": "Notreal",
                    "identityProofing": {"method": "face_to_face_documents", "level": "NHS Identity Check Standard (documents seen in person)"}
                }),
            ),
            evidence(
                CredentialKind::Employment,
                json!({
                    "employer": {"odsCode": "RJ1", "name": "Guy's and St Thomas' NHS Foundation Trust"},
                    "positionTitle": "Consultant Physician", "staffGroup": "Medical and Dental", "startDate": "2020-06-01"
                }),
            ),
            evidence(
                CredentialKind::EmploymentChecks,
                json!({
                    "checkedBy": {"odsCode": "RJ1", "name": "Guy's and St Thomas' NHS Foundation Trust"},
                    "checks": [
                        {"standard": "identity", "completedOn": "2020-05-27"},
                        {"standard": "right_to_work", "completedOn": "2020-05-08"},
                        {"standard": "employment_history_and_references", "completedOn": "2020-04-15"},
                        {"standard": "criminal_record", "completedOn": "2020-03-18", "dbsLevel": "enhanced_with_barred_lists", "dbsUpdateService": true},
                        {"standard": "work_health_assessment", "completedOn": "2020-05-12", "outcome": "fit"}
                    ],
                    "training": training("2026-06-01"),
                    "occupationalHealth": {"clearance": "cleared", "exposureProneProcedures": true}
                }),
            ),
            evidence(
                CredentialKind::ProfessionalRegistration,
                json!({
                    "regulator": "GMC", "registrationNumber": "4095647", "registrationStatus": "registered", "renewalDue": "2027-07-01"
                }),
            ),
        ]
    }

    fn doctor_post() -> Post {
        post("Medical and Dental", "R8000", &["B0420", "B0401"])
    }

    fn state_of(decision: &AccessDecision, requirement: Requirement) -> (RequirementState, &str) {
        let outcome = decision
            .requirements
            .iter()
            .find(|r| r.requirement == requirement)
            .unwrap();
        (outcome.state, outcome.reason.as_str())
    }

    fn change(evidence: &mut [Evidence], kind: CredentialKind, pointer: &str, value: Value) {
        let credential = evidence.iter_mut().find(|e| e.kind == kind).unwrap();
        *credential.claims.pointer_mut(pointer).unwrap() = value;
    }

    #[test]
    fn a_doctor_with_everything_in_date_is_complete_and_gets_the_post_grants() {
        let decision = decide(&sample_policy(), &doctor_post(), &a_good_doctor(), today());
        assert_eq!(decision.overall, OverallState::Complete, "{decision:#?}");
        assert_eq!(decision.requirements.len(), 8);
        assert!(decision
            .requirements
            .iter()
            .all(|r| r.state == RequirementState::Met));
        assert_eq!(
            state_of(&decision, Requirement::Dbs).1,
            "A enhanced with barred lists DBS check by Guy's and St Thomas' NHS Foundation Trust on 2020-03-18, on the DBS Update Service."
        );
        assert_eq!(decision.proposed_grants.len(), 2);
        assert!(decision.notes.is_empty());
    }

    #[test]
    fn what_is_outside_a_window_goes_to_hr_review_with_the_reason() {
        let policy = sample_policy();
        let cases: Vec<(CredentialKind, &str, Value, Requirement, &str)> = vec![
            (CredentialKind::EmploymentChecks, "/checks/3/dbsLevel", json!("enhanced"), Requirement::Dbs, "is enhanced; this post needs enhanced with barred lists"),
            (CredentialKind::EmploymentChecks, "/checks/3/dbsUpdateService", json!(false), Requirement::Dbs, "was done on 2020-03-18, more than 3 years ago, and is not on the DBS Update Service"),
            (CredentialKind::EmploymentChecks, "/training", training("2025-01-10"), Requirement::Training, "Refresher overdue: Equality, diversity and human rights (refresher due 2026-01-10)"),
            (CredentialKind::EmploymentChecks, "/occupationalHealth/clearance", json!("pending"), Requirement::OccupationalHealth, "is pending, not cleared"),
            (CredentialKind::EmploymentChecks, "/occupationalHealth/exposureProneProcedures", json!(false), Requirement::OccupationalHealth, "not for exposure-prone procedures"),
            (CredentialKind::ProfessionalRegistration, "/regulator", json!("NMC"), Requirement::Registration, "Registered with the NMC; this post needs registration with GMC or GDC"),
            (CredentialKind::ProfessionalRegistration, "/registrationStatus", json!("suspended"), Requirement::Registration, "GMC 4095647 is suspended, not registered"),
            (CredentialKind::ProfessionalRegistration, "/renewalDue", json!("2026-07-01"), Requirement::Registration, "was due for renewal on 2026-07-01"),
            (CredentialKind::EmploymentChecks, "/checks/1", json!({"standard": "right_to_work", "completedOn": "2024-01-01", "expiresOn": "2026-11-01"}), Requirement::RightToWork, "expired on 2026-11-01"),
        ];
        for (kind, pointer, value, requirement, reason) in cases {
            let mut presented = a_good_doctor();
            change(&mut presented, kind, pointer, value);
            let decision = decide(&policy, &doctor_post(), &presented, today());
            let (state, said) = state_of(&decision, requirement);
            assert_eq!(
                (decision.overall, state),
                (OverallState::NeedsHrReview, RequirementState::Review),
                "{pointer}: {decision:#?}"
            );
            assert!(said.contains(reason), "{pointer}: {said}");
        }
    }

    #[test]
    fn what_was_not_presented_leaves_the_checklist_incomplete() {
        let policy = sample_policy();
        let mut presented = a_good_doctor();
        presented.retain(|e| e.kind != CredentialKind::EmploymentChecks);
        let decision = decide(&policy, &doctor_post(), &presented, today());
        assert_eq!(decision.overall, OverallState::Incomplete);
        for requirement in [
            Requirement::RightToWork,
            Requirement::EmploymentHistory,
            Requirement::Dbs,
            Requirement::Training,
            Requirement::OccupationalHealth,
        ] {
            assert_eq!(
                state_of(&decision, requirement).0,
                RequirementState::Unmet,
                "{requirement:?}"
            );
        }
        assert_eq!(
            state_of(&decision, Requirement::Identity).0,
            RequirementState::Met
        );

        let mut presented = a_good_doctor();
        change(
            &mut presented,
            CredentialKind::EmploymentChecks,
            "/training",
            json!([]),
        );
        let decision = decide(&policy, &doctor_post(), &presented, today());
        assert_eq!(decision.overall, OverallState::Incomplete);
        assert!(state_of(&decision, Requirement::Training)
            .1
            .starts_with("No record of: Equality"));
    }

    #[test]
    fn a_role_credential_from_another_trust_is_noted_and_grants_nothing() {
        let policy = sample_policy();
        let mut presented = a_good_doctor();
        presented.push(evidence(CredentialKind::Role, json!({
            "organisation": {"odsCode": "RJ1", "name": "Guy's and St Thomas' NHS Foundation Trust"},
            "jobRole": {"code": "R5080", "name": "Registration Authority Manager"}
        })));
        let with_role = decide(&policy, &doctor_post(), &presented, today());
        let without = decide(&policy, &doctor_post(), &a_good_doctor(), today());
        assert_eq!(with_role.proposed_grants, without.proposed_grants);
        assert_eq!(with_role.notes.len(), 1);
        assert!(with_role.notes[0].contains("Guy's and St Thomas' NHS Foundation Trust"));
        assert!(with_role.notes[0].contains("BR-28"));
    }

    #[test]
    fn a_post_no_rule_covers_needs_hr_review() {
        let policy = Policy::from_toml(
            "organisation = \"RTH\"\n[[checklist]]\nname = \"Nurses\"\nstaff_groups = [\"Nursing and Midwifery Registered\"]\nrequire = [\"identity\"]\n",
            &crate::policy::tests::catalogue(),
        )
        .unwrap();
        let decision = decide(&policy, &doctor_post(), &a_good_doctor(), today());
        assert_eq!(decision.overall, OverallState::NeedsHrReview);
        assert!(decision.requirements.is_empty());
        assert!(decision.notes[0].contains("No checklist rule of RTH covers this post"));
    }

    #[test]
    fn only_verified_credentials_of_a_result_are_evidence() {
        let result = json!({
            "verified": false,
            "credentials": {
                "identity_sd_jwt": [{"verified": true, "credential_type": "CareIdentityCredential", "issuer": ISSUER, "claims": {"careIdentityUuid": "966786164588"}}],
                "checks_ldp": [{"verified": false, "credential_type": "EmploymentChecksCredential", "issuer": ISSUER, "claims": null}],
                "other": [{"verified": true, "credential_type": "DrivingLicence", "issuer": ISSUER, "claims": {}}]
            }
        });
        let evidence = Evidence::from_result(&result);
        assert_eq!(evidence.len(), 1);
        assert_eq!(evidence[0].kind, CredentialKind::CareIdentity);
        assert!(Evidence::from_result(&json!({"credentials": "nonsense"})).is_empty());
    }
}
