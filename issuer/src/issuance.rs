//! From a person's record to the credentials it supports (pure: no I/O, no signing).
//! The issuance-time business rules live here: BR-6 (only the employing organisation
//! issues), BR-7 (only completed checks), BR-10 (prescribing rights), BR-11 (no right to
//! work from an expired identity document).

use chrono::{DateTime, NaiveDate, Utc};
use credentials::catalogue::{
    CareIdentitySubject, CheckStandard, Coded, EmploymentCheck, EmploymentChecksSubject,
    EmploymentSubject, IdentityProofing, OccupationalHealthClearance, Organisation,
    ProfessionalRegistrationSubject, RegistrationReference, RemoteSigningSubject, RoleSubject,
    TrainingRecord,
};
use credentials::identifiers::{ActivityCode, Regulator};
use credentials::{CredentialSubject, IssuerIdentity, UnsignedCredential};

use crate::error::{IssuerError, Result};
use crate::esr::{EsrCheck, EsrPerson};
use credentials::rbac::RbacCatalogue;

/// Activities that carry a prescribing right (BR-10); B0278 alone does not.
const PRESCRIBING_ACTIVITIES: [&str; 3] = ["B0420", "B0440", "B0058"];

pub struct IssuanceContext<'a> {
    pub issuer: &'a IssuerIdentity,
    pub organisation: &'a Organisation,
    pub catalogue: &'a RbacCatalogue,
    pub now: DateTime<Utc>,
    /// The holder DID the credentials are bound to, when the RA knows it.
    pub holder: Option<String>,
}

/// Every credential this organisation may issue from the record.
pub fn credentials_for(
    person: &EsrPerson,
    context: &IssuanceContext<'_>,
) -> Result<Vec<UnsignedCredential>> {
    let here = &context.organisation.ods_code;
    let today = context.now.date_naive();
    let assignments: Vec<_> = person
        .assignments
        .iter()
        .filter(|a| &a.org_ods == here && a.is_active() && a.start_date.is_some())
        .collect();
    if assignments.is_empty() {
        return Err(IssuerError::NotIssuable(format!(
            "{} has no active assignment at {here}; only an employing organisation issues their credentials (BR-6, BR-15)",
            person.person_id
        )));
    }
    let uuid = person.uuid.clone();
    let mut subjects = Vec::new();

    if let Some(identity) = completed(person, CheckStandard::Identity, today) {
        if let Some(method) = identity.identity_method() {
            subjects.push((
                CredentialSubject::CareIdentity(CareIdentitySubject {
                    id: None,
                    care_identity_uuid: uuid.clone(),
                    given_name: person.given_name.clone(),
                    middle_names: person.middle_names.clone().filter(|m| !m.is_empty()),
                    family_name: person.family_name.clone(),
                    identity_proofing: IdentityProofing {
                        method,
                        level: method.assurance_label().to_owned(),
                    },
                }),
                None,
            ));
        }
    }

    for assignment in &assignments {
        let Some(start_date) = assignment.start_date else {
            continue;
        };
        subjects.push((
            CredentialSubject::Employment(EmploymentSubject {
                id: None,
                care_identity_uuid: uuid.clone(),
                employer: context.organisation.clone(),
                assignment_number: assignment.assignment_number.clone(),
                primary_assignment: assignment.primary,
                position_number: assignment.position_number.clone(),
                position_title: assignment.position_title.clone(),
                staff_group: assignment.staff_group.clone(),
                start_date,
                end_date: assignment.end_date,
            }),
            None,
        ));
    }

    let registration = person
        .professional_registration
        .as_ref()
        .filter(|r| r.status == "registered");
    // BR-9: a local grant that does not name the RA who approved it confers nothing.
    for role in person
        .rbac_role_assignments
        .iter()
        .filter(|r| &r.org_ods == here && r.grant_is_attributable())
    {
        let job_role = context.catalogue.job_role(&role.job_role).ok_or_else(|| {
            IssuerError::NotIssuable(format!(
                "job role {} is not in the RBAC catalogue",
                role.job_role
            ))
        })?;
        let activities = role
            .activities
            .iter()
            .map(|code| Coded {
                code: code.clone(),
                name: context
                    .catalogue
                    .activity(code)
                    .map(|a| a.name.clone())
                    .unwrap_or_default(),
            })
            .collect();
        subjects.push((
            CredentialSubject::Role(RoleSubject {
                id: None,
                care_identity_uuid: uuid.clone(),
                person_role_id: role.person_roleid.clone(),
                organisation: context.organisation.clone(),
                job_role: Coded {
                    code: role.job_role.clone(),
                    name: job_role.name.clone(),
                },
                activities,
                workgroups: Vec::new(),
                granted_via: role.granted_via.clone(),
            }),
            None,
        ));

        let prescribing: Vec<ActivityCode> = role
            .activities
            .iter()
            .filter(|a| PRESCRIBING_ACTIVITIES.contains(&a.as_str()))
            .cloned()
            .collect();
        if let (false, Some(registration), Some(holder)) =
            (prescribing.is_empty(), registration, &context.holder)
        {
            if let Some(prescriber_type) = prescriber_type_of(registration.body) {
                subjects.push((
                    CredentialSubject::RemoteSigning(RemoteSigningSubject {
                        id: None,
                        care_identity_uuid: uuid.clone(),
                        signing_key: holder_verification_method(holder),
                        signing_scope: vec!["eps-prescription-signing".into()],
                        prescriber_type: prescriber_type.into(),
                        registration: RegistrationReference {
                            regulator: registration.body,
                            registration_number: registration.number.clone(),
                        },
                        person_role_id: role.person_roleid.clone(),
                        organisation: context.organisation.clone(),
                        prescribing_activities: prescribing,
                    }),
                    None,
                ));
            }
        }
    }

    if let Some(registration) = registration {
        let lapsed = registration.renewal_due.is_some_and(|due| due < today);
        let check = completed(
            person,
            CheckStandard::ProfessionalRegistrationAndQualification,
            today,
        );
        if let (false, Some(check)) = (lapsed, check) {
            subjects.push((
                CredentialSubject::ProfessionalRegistration(ProfessionalRegistrationSubject {
                    id: None,
                    care_identity_uuid: uuid.clone(),
                    regulator: registration.body,
                    registration_number: registration.number.clone(),
                    registration_status: registration.status.clone(),
                    registration_type: registration.registration_type.clone(),
                    renewal_due: registration.renewal_due,
                    register_checked_on: check.checked_on,
                    register_check_method: "NHS Employment Check Standard: professional registration and qualification check".into(),
                }),
                registration.renewal_due.and_then(end_of_day),
            ));
        }
    }

    let checks = issuable_checks(person, today);
    if !checks.is_empty() {
        let occupational_health = completed(person, CheckStandard::WorkHealthAssessment, today)
            .map(|_| OccupationalHealthClearance {
                clearance: person.occupational_health.clearance.clone(),
                exposure_prone_procedures: person.occupational_health.exposure_prone_procedures,
            });
        subjects.push((
            CredentialSubject::EmploymentChecks(EmploymentChecksSubject {
                id: None,
                care_identity_uuid: uuid.clone(),
                checked_by: context.organisation.clone(),
                checks,
                training: person
                    .cstf_training
                    .iter()
                    .map(|t| TrainingRecord {
                        training_subject: t.subject.clone(),
                        completed_on: t.completed_on,
                        refresher_years: t.refresher_years,
                    })
                    .collect(),
                occupational_health,
            }),
            None,
        ));
    }

    Ok(subjects
        .into_iter()
        .map(|(subject, valid_until)| {
            UnsignedCredential::new(context.issuer.clone(), context.now, subject)
                .bound_to(context.holder.clone())
                .with_valid_until(valid_until)
        })
        .collect())
}

fn completed(person: &EsrPerson, standard: CheckStandard, today: NaiveDate) -> Option<&EsrCheck> {
    person.employment_checks.iter().find(|c| {
        c.standard == standard && c.is_complete() && c.expires_on.is_none_or(|e| e >= today)
    })
}

/// BR-7: only completed, unexpired checks. BR-11: no right-to-work entry when the
/// identity document behind it has expired.
fn issuable_checks(person: &EsrPerson, today: NaiveDate) -> Vec<EmploymentCheck> {
    let identity_in_date = completed(person, CheckStandard::Identity, today).is_some();
    person
        .employment_checks
        .iter()
        .filter(|c| c.is_complete() && c.expires_on.is_none_or(|e| e >= today))
        .filter(|c| c.standard != CheckStandard::RightToWork || identity_in_date)
        .map(|c| EmploymentCheck {
            standard: c.standard,
            completed_on: c.checked_on,
            expires_on: c.expires_on,
            evidence_method: c.evidence_method(),
            dbs_level: c.dbs_level,
            dbs_certificate_number: c.dbs_certificate_number.clone(),
            dbs_update_service: c.update_service,
            outcome: c.outcome.clone(),
        })
        .collect()
}

/// Bodies whose registrants prescribe by virtue of registration. Nurses, pharmacists and
/// allied health professionals need a recorded prescribing qualification (BR-10), which
/// the ESR extract does not carry, so no signing credential is issued for them yet.
fn prescriber_type_of(regulator: Regulator) -> Option<&'static str> {
    match regulator {
        Regulator::Gmc => Some("medical_prescriber"),
        Regulator::Gdc => Some("dental_prescriber"),
        Regulator::Nmc | Regulator::Hcpc | Regulator::Gphc => None,
    }
}

fn holder_verification_method(holder: &str) -> String {
    match holder.strip_prefix("did:key:") {
        Some(multibase) if !holder.contains('#') => format!("{holder}#{multibase}"),
        _ => holder.to_owned(),
    }
}

fn end_of_day(date: NaiveDate) -> Option<DateTime<Utc>> {
    date.and_hms_opt(23, 59, 59).map(|t| t.and_utc())
}

/// The post a credential belongs to, so that a leaver or a job change acts on the right
/// credentials (BR-16, BR-17): an employment credential names its assignment; a role or
/// signing credential belongs to the post whose ACP gave the role; the rest belong to the
/// person's primary post here.
pub fn assignment_of(
    subject: &CredentialSubject,
    person: &EsrPerson,
    org: &credentials::identifiers::OdsCode,
) -> Option<String> {
    let here = || person.assignments.iter().filter(|a| &a.org_ods == org);
    let primary_here = || {
        here()
            .max_by_key(|a| (a.is_active(), a.primary))
            .map(|a| a.assignment_number.to_string())
    };
    let via_role = |role_id: &credentials::identifiers::PersonRoleId| {
        let acp = person
            .rbac_role_assignments
            .iter()
            .find(|r| &r.person_roleid == role_id)
            .map(|r| r.granted_via.clone())?;
        here()
            .filter(|a| a.access_control_position == acp)
            .max_by_key(|a| (a.is_active(), a.primary))
            .map(|a| a.assignment_number.to_string())
    };
    match subject {
        CredentialSubject::Employment(s) => Some(s.assignment_number.to_string()),
        CredentialSubject::Role(s) => via_role(&s.person_role_id).or_else(primary_here),
        CredentialSubject::RemoteSigning(s) => via_role(&s.person_role_id).or_else(primary_here),
        _ => primary_here(),
    }
}
