//! The ESR extract: typed person records and their import validation (BR-1…BR-5, BR-7…BR-10).
//!
//! Each record is read field by field from `serde_json::Value`, so one bad record never hides
//! the others and a wrong type is reported against its field. Every problem of a record is
//! reported, each with the business rule it breaks. Problem texts never repeat personal values
//! (names, UUIDs, NI or registration numbers, e-mail addresses, dates of birth); they may repeat
//! reference codes (ODS, job role, activity, ACP, status values).
//!
//! BR-6 (only an employing organisation issues) and BR-11 (no right to work from an expired
//! identity document) are issuance-time rules: they belong in `crate::issuance`, not here.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use credentials::catalogue::{CheckStandard, DbsLevel, IdentityProofingMethod};
use credentials::identifiers::{
    ActivityCode, AssignmentNumber, CareIdentityUuid, JobRoleCode, OdsCode, PersonRoleId,
    RegistrationNumber, Regulator,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use credentials::rbac::RbacCatalogue;

/// `granted_via` value of a role profile granted locally by an RA rather than through PBAC.
pub const LOCAL_GRANT: &str = "local-grant";

/// Activities that carry a prescribing right (BR-10). B0278 ("prepare") is deliberately absent.
pub const PRESCRIBING_ACTIVITIES: [&str; 3] = ["B0420", "B0440", "B0058"];

/// Job roles that may approve a local grant (RA Manager, RA Agent), besides a Sponsor (BR-9).
const RA_JOB_ROLES: [&str; 2] = ["R5080", "R5090"];
const SPONSOR_ACTIVITY: &str = "B1300";

/// Why an extract could not be read at all (as opposed to records in it being invalid).
#[derive(Debug, thiserror::Error)]
pub enum EsrError {
    #[error("an ESR extract must be a JSON object, found {0}")]
    NotAnObject(&'static str),
    #[error("an ESR extract must have a \"people\" array")]
    MissingPeople,
}

/// One person of an ESR extract, as validated on import and stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EsrPerson {
    /// Internal key, used by ESR events.
    pub person_id: String,
    /// Marks synthetic test data.
    #[serde(default)]
    pub fictional: bool,
    pub uuid: CareIdentityUuid,
    pub esr_employee_number: String,
    pub title: String,
    pub given_name: String,
    /// May be empty.
    #[serde(default)]
    pub middle_names: Option<String>,
    pub family_name: String,
    pub date_of_birth: NaiveDate,
    pub ni_number: String,
    pub email: String,
    pub status: PersonStatus,
    pub assignments: Vec<EsrAssignment>,
    pub professional_registration: Option<EsrRegistration>,
    pub rbac_role_assignments: Vec<EsrRoleAssignment>,
    pub employment_checks: Vec<EsrCheck>,
    pub cstf_training: Vec<EsrTraining>,
    pub occupational_health: EsrOccupationalHealth,
}

impl EsrPerson {
    /// The primary assignment (validation guarantees exactly one).
    pub fn primary_assignment(&self) -> Option<&EsrAssignment> {
        self.assignments.iter().find(|a| a.primary)
    }
}

/// A person's employment status in ESR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonStatus {
    Active,
    /// Offered a post, not started (a `NEW_STARTER` event).
    PreHire,
    Left,
    Suspended,
}

/// An ESR assignment: one post held at one organisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EsrAssignment {
    pub assignment_number: AssignmentNumber,
    pub primary: bool,
    pub org_ods: OdsCode,
    pub position_number: String,
    pub position_title: String,
    pub staff_group: String,
    /// The ACP id (PBAC) the position maps to in the RBAC catalogue.
    pub access_control_position: String,
    /// Absent for a pre-hire assignment.
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub status: AssignmentStatus,
}

impl EsrAssignment {
    /// Whether the assignment is in force (not pre-hire, ended or suspended).
    pub fn is_active(&self) -> bool {
        self.status == AssignmentStatus::Active
    }
}

/// An assignment's state in ESR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentStatus {
    Active,
    PreHire,
    Ended,
    Suspended,
}

/// A professional registration as ESR holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EsrRegistration {
    pub body: Regulator,
    /// Passed the body's format check on import (BR-5); see [`EsrRegistration::registration_number`].
    pub number: String,
    /// The register status, e.g. `registered`.
    pub status: String,
    pub renewal_due: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_type: Option<String>,
    /// When the live register was last checked (BR-5: a format pass is not a register check).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register_checked_on: Option<NaiveDate>,
    /// How the live register was checked, recorded together with `register_checked_on`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register_check_method: Option<String>,
}

impl EsrRegistration {
    /// The number as a format-checked [`RegistrationNumber`].
    pub fn registration_number(&self) -> credentials::Result<RegistrationNumber> {
        RegistrationNumber::parse(self.body, &self.number)
    }

    /// Whether the register shows the person as registered (BR-10).
    pub fn is_registered(&self) -> bool {
        self.status == "registered"
    }
}

/// An RBAC role profile held by the person at one organisation (BR-2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EsrRoleAssignment {
    pub person_roleid: PersonRoleId,
    pub org_ods: OdsCode,
    pub job_role: JobRoleCode,
    pub activities: Vec<ActivityCode>,
    /// The ACP id the profile was derived from, or [`LOCAL_GRANT`] (BR-9).
    pub granted_via: String,
    /// For a local grant: the Care Identity UUID of the approving RA or Sponsor (BR-9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted_by: Option<CareIdentityUuid>,
}

impl EsrRoleAssignment {
    /// Whether an RA granted the profile locally instead of through PBAC.
    pub fn is_local_grant(&self) -> bool {
        self.granted_via == LOCAL_GRANT
    }

    /// Whether a role credential may be derived from this profile (BR-9): it came through
    /// PBAC, or it is a local grant that records the approving RA. Import accepts a local
    /// grant without `granted_by` (with a warning); issuance must not.
    pub fn grant_is_attributable(&self) -> bool {
        !self.is_local_grant() || self.granted_by.is_some()
    }
}

/// Completion state of an NHS Employment Check Standard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Complete,
    Pending,
    NotApplicable,
}

/// The documentary basis of a right-to-work check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RightToWorkBasis {
    UkPassport,
    IrishPassport,
    /// Home Office online check.
    ShareCode,
    /// A certified IDSP's digital check of a British or Irish passport.
    IdspDigitalCheck,
}

impl RightToWorkBasis {
    /// The code as it appears in the extract.
    pub fn as_str(self) -> &'static str {
        match self {
            RightToWorkBasis::UkPassport => "uk_passport",
            RightToWorkBasis::IrishPassport => "irish_passport",
            RightToWorkBasis::ShareCode => "share_code",
            RightToWorkBasis::IdspDigitalCheck => "idsp_digital_check",
        }
    }
}

/// One of the six NHS Employment Check Standards as ESR records it. The optional fields
/// belong to one standard each: `method` to identity, `basis` to right to work, the `dbs_*`
/// and `update_service` fields to criminal record, `outcome` to work health assessment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EsrCheck {
    pub standard: CheckStandard,
    pub status: CheckStatus,
    pub checked_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<IdentityProofingMethod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<RightToWorkBasis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dbs_level: Option<DbsLevel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dbs_certificate_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_service: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}

impl EsrCheck {
    /// Whether the standard is met (BR-7: only completed checks are issued).
    pub fn is_complete(&self) -> bool {
        self.status == CheckStatus::Complete
    }

    /// The identity proofing route (BR-8), for the identity standard.
    pub fn identity_method(&self) -> Option<IdentityProofingMethod> {
        self.method
            .filter(|_| self.standard == CheckStandard::Identity)
    }

    /// The evidence behind the check as a code: the proofing route for identity, the
    /// documentary basis for right to work, nothing for the other standards.
    pub fn evidence_method(&self) -> Option<String> {
        match self.standard {
            CheckStandard::Identity => self.method.map(|m| proofing_method_name(m).to_owned()),
            CheckStandard::RightToWork => self.basis.map(|b| b.as_str().to_owned()),
            _ => None,
        }
    }
}

/// A Core Skills Training Framework subject completed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EsrTraining {
    pub subject: String,
    pub completed_on: NaiveDate,
    pub refresher_years: u32,
}

/// Occupational-health clearance: an outcome, never clinical detail (BR-35).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EsrOccupationalHealth {
    pub clearance: String,
    pub exposure_prone_procedures: bool,
}

/// One problem found in a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// Path inside the record, e.g. `assignments[0].org_ods`; empty for the record itself.
    pub field: String,
    /// Plain English, without personal values.
    pub problem: String,
    /// The business rule broken, e.g. `BR-3`, where one applies.
    pub rule: Option<&'static str>,
}

/// A record refused on import, with every problem found in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordRejection {
    /// Position in the extract's `people` array.
    pub index: usize,
    /// The record's `person_id`, when it has a readable one.
    pub person_id: Option<String>,
    pub problems: Vec<FieldProblem>,
}

/// Something about an accepted record that a later step must act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordWarning {
    pub index: usize,
    pub person_id: String,
    pub warning: FieldProblem,
}

/// Import-time choices that are deployment policy rather than business rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportPolicy {
    /// Accept only records flagged `fictional` whose NI number has the never-issued `QQ`
    /// prefix, so real personal data cannot enter a synthetic-data deployment by mistake.
    pub synthetic_data_only: bool,
}

impl Default for ImportPolicy {
    /// Synthetic data only: the platform is not yet cleared to hold real staff records.
    fn default() -> Self {
        Self {
            synthetic_data_only: true,
        }
    }
}

/// The outcome of validating an extract: each record, in input order, is either valid or
/// rejected.
#[derive(Clone, Debug)]
pub struct ExtractValidation {
    valid: Vec<(usize, EsrPerson)>,
    rejected: Vec<RecordRejection>,
    warnings: Vec<RecordWarning>,
}

impl ExtractValidation {
    /// The valid people, in input order.
    pub fn valid(&self) -> impl Iterator<Item = &EsrPerson> {
        self.valid.iter().map(|(_, person)| person)
    }

    /// The rejected records, in input order.
    pub fn rejected(&self) -> &[RecordRejection] {
        &self.rejected
    }

    /// Findings on valid records that do not block import (e.g. a local grant without its RA).
    pub fn warnings(&self) -> &[RecordWarning] {
        &self.warnings
    }

    /// The valid people with their position in the extract, and the rejections.
    pub fn into_parts(self) -> (Vec<(usize, EsrPerson)>, Vec<RecordRejection>) {
        (self.valid, self.rejected)
    }
}

/// Validates an extract `{"people": [...]}` against the business rules and the RBAC catalogue,
/// with the default [`ImportPolicy`].
pub fn parse_extract(
    json: &Value,
    catalogue: &RbacCatalogue,
) -> Result<ExtractValidation, EsrError> {
    parse_extract_with(json, catalogue, &ImportPolicy::default())
}

/// [`parse_extract`] with an explicit policy.
pub fn parse_extract_with(
    json: &Value,
    catalogue: &RbacCatalogue,
    policy: &ImportPolicy,
) -> Result<ExtractValidation, EsrError> {
    let top = json
        .as_object()
        .ok_or(EsrError::NotAnObject(kind_of(json)))?;
    let people = top
        .get("people")
        .and_then(Value::as_array)
        .ok_or(EsrError::MissingPeople)?;

    let mut work: Vec<Work<'_>> = people
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let mut reader = Reader {
                catalogue,
                problems: Vec::new(),
                warnings: Vec::new(),
            };
            let person = read_person(&mut reader, value, policy).ok();
            Work {
                index,
                value,
                person_id: value
                    .get("person_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                person,
                problems: reader.problems,
                warnings: reader.warnings,
            }
        })
        .collect();

    check_batch_uniqueness(&mut work);
    check_local_grant_approvers(&mut work, catalogue);

    let mut validation = ExtractValidation {
        valid: Vec::new(),
        rejected: Vec::new(),
        warnings: Vec::new(),
    };
    for mut record in work {
        match (record.person, record.problems.is_empty()) {
            (Some(person), true) => {
                validation
                    .warnings
                    .extend(record.warnings.into_iter().map(|warning| RecordWarning {
                        index: record.index,
                        person_id: person.person_id.clone(),
                        warning,
                    }));
                validation.valid.push((record.index, person));
            }
            (person, _) => {
                if record.problems.is_empty() && person.is_none() {
                    record
                        .problems
                        .push(problem("", "the record could not be read", None));
                }
                validation.rejected.push(RecordRejection {
                    index: record.index,
                    person_id: record.person_id,
                    problems: record.problems,
                });
            }
        }
    }
    Ok(validation)
}

// ---------------------------------------------------------------------------------------------
// Reading one record

type Rule = Option<&'static str>;
const BR1: Rule = Some("BR-1");
const BR2: Rule = Some("BR-2");
const BR3: Rule = Some("BR-3");
const BR4: Rule = Some("BR-4");
const BR5: Rule = Some("BR-5");
const BR7: Rule = Some("BR-7");
const BR8: Rule = Some("BR-8");
const BR9: Rule = Some("BR-9");
const BR10: Rule = Some("BR-10");
const BR14: Rule = Some("BR-14");
const NO_RULE: Rule = None;

const PERSON_STATUSES: &str = "one of active, pre_hire, left, suspended";
const ASSIGNMENT_STATUSES: &str = "one of active, pre_hire, ended, suspended";
const CHECK_STATUSES: &str = "one of complete, pending, not_applicable";
const CHECK_STANDARDS: &str =
    "one of identity, right_to_work, professional_registration_and_qualification, \
     employment_history_and_references, criminal_record, work_health_assessment";
const PROOFING_METHODS: &str = "an accepted identity proofing route (face_to_face_documents, apply_for_care_id, \
     idsp_gpg45_medium or idsp_gpg45_high; IDVT alone does not meet the NHS Identity Check Standard)";
const RTW_BASES: &str = "one of uk_passport, irish_passport, share_code, idsp_digital_check";
const DBS_LEVELS: &str = "one of basic, standard, enhanced, enhanced_with_barred_lists";
const REGULATORS: &str = "one of GMC, NMC, HCPC, GPhC, GDC";

const ALL_STANDARDS: [CheckStandard; 6] = [
    CheckStandard::Identity,
    CheckStandard::RightToWork,
    CheckStandard::ProfessionalRegistrationAndQualification,
    CheckStandard::EmploymentHistoryAndReferences,
    CheckStandard::CriminalRecord,
    CheckStandard::WorkHealthAssessment,
];

/// A record on its way through validation.
struct Work<'v> {
    index: usize,
    value: &'v Value,
    person_id: Option<String>,
    person: Option<EsrPerson>,
    problems: Vec<FieldProblem>,
    warnings: Vec<FieldProblem>,
}

/// The problem has been recorded; the value is unusable.
#[derive(Clone, Copy, Debug)]
struct Reported;
type Got<T> = Result<T, Reported>;

/// A JSON object and its path inside the record.
struct Obj<'v> {
    map: &'v Map<String, Value>,
    path: String,
}

impl<'v> Obj<'v> {
    fn field(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The value, or `None` when it is absent or null.
    fn get(&self, key: &str) -> Option<&'v Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }
}

/// Collects the problems of one record while reading it.
struct Reader<'c> {
    catalogue: &'c RbacCatalogue,
    problems: Vec<FieldProblem>,
    warnings: Vec<FieldProblem>,
}

impl Reader<'_> {
    fn report(
        &mut self,
        field: impl Into<String>,
        text: impl Into<String>,
        rule: Rule,
    ) -> Reported {
        self.problems.push(problem(field, text, rule));
        Reported
    }

    fn required<'v>(&mut self, obj: &Obj<'v>, key: &str, rule: Rule) -> Got<&'v Value> {
        match obj.map.get(key) {
            None => Err(self.report(obj.field(key), "is missing", rule)),
            Some(Value::Null) => Err(self.report(obj.field(key), "must not be null", rule)),
            Some(value) => Ok(value),
        }
    }

    fn as_object<'v>(&mut self, value: &'v Value, path: String, rule: Rule) -> Got<Obj<'v>> {
        match value {
            Value::Object(map) => Ok(Obj { map, path }),
            other => Err(self.report(
                path,
                format!("must be an object, found {}", kind_of(other)),
                rule,
            )),
        }
    }

    fn list<'v>(&mut self, obj: &Obj<'v>, key: &str, rule: Rule) -> Got<&'v [Value]> {
        match self.required(obj, key, rule)? {
            Value::Array(items) => Ok(items),
            other => Err(self.report(
                obj.field(key),
                format!("must be a list, found {}", kind_of(other)),
                rule,
            )),
        }
    }

    fn as_text(&mut self, value: &Value, field: String, rule: Rule) -> Got<String> {
        match value {
            Value::String(text) => Ok(text.clone()),
            other => Err(self.report(
                field,
                format!("must be text, found {}", kind_of(other)),
                rule,
            )),
        }
    }

    fn text(&mut self, obj: &Obj<'_>, key: &str, rule: Rule) -> Got<String> {
        let value = self.required(obj, key, rule)?;
        self.as_text(value, obj.field(key), rule)
    }

    fn non_empty_text(&mut self, obj: &Obj<'_>, key: &str, rule: Rule) -> Got<String> {
        let text = self.text(obj, key, rule)?;
        if text.trim().is_empty() {
            return Err(self.report(obj.field(key), "must not be empty", rule));
        }
        Ok(text)
    }

    fn optional_text(&mut self, obj: &Obj<'_>, key: &str, rule: Rule) -> Got<Option<String>> {
        match obj.get(key) {
            None => Ok(None),
            Some(value) => self.as_text(value, obj.field(key), rule).map(Some),
        }
    }

    fn boolean(&mut self, obj: &Obj<'_>, key: &str, rule: Rule) -> Got<bool> {
        match self.required(obj, key, rule)? {
            Value::Bool(b) => Ok(*b),
            other => Err(self.report(
                obj.field(key),
                format!("must be true or false, found {}", kind_of(other)),
                rule,
            )),
        }
    }

    fn optional_boolean(&mut self, obj: &Obj<'_>, key: &str, rule: Rule) -> Got<Option<bool>> {
        match obj.get(key) {
            None => Ok(None),
            Some(_) => self.boolean(obj, key, rule).map(Some),
        }
    }

    fn count(&mut self, obj: &Obj<'_>, key: &str, rule: Rule) -> Got<u32> {
        let value = self.required(obj, key, rule)?;
        value
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| {
                self.report(
                    obj.field(key),
                    format!("must be a whole number of years, found {}", kind_of(value)),
                    rule,
                )
            })
    }

    fn as_date(&mut self, value: &Value, field: String, rule: Rule) -> Got<NaiveDate> {
        let text = self.as_text(value, field.clone(), rule)?;
        parse_iso_date(&text)
            .ok_or_else(|| self.report(field, "is not a real date in the form YYYY-MM-DD", rule))
    }

    fn date(&mut self, obj: &Obj<'_>, key: &str, rule: Rule) -> Got<NaiveDate> {
        let value = self.required(obj, key, rule)?;
        self.as_date(value, obj.field(key), rule)
    }

    fn optional_date(&mut self, obj: &Obj<'_>, key: &str, rule: Rule) -> Got<Option<NaiveDate>> {
        match obj.get(key) {
            None => Ok(None),
            Some(value) => self.as_date(value, obj.field(key), rule).map(Some),
        }
    }

    /// A reference code (ODS, role, activity, …): the value may be repeated in the message.
    fn as_code<T>(
        &mut self,
        text: &str,
        field: String,
        rule: Rule,
        what: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Got<T> {
        parse(text).ok_or_else(|| self.report(field, format!("`{text}` is not {what}"), rule))
    }

    fn code<T>(
        &mut self,
        obj: &Obj<'_>,
        key: &str,
        rule: Rule,
        what: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Got<T> {
        let text = self.text(obj, key, rule)?;
        self.as_code(&text, obj.field(key), rule, what, parse)
    }

    /// A personal value: the message does not repeat it.
    fn personal<T>(
        &mut self,
        obj: &Obj<'_>,
        key: &str,
        rule: Rule,
        what: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Got<T> {
        let text = self.text(obj, key, rule)?;
        parse(&text).ok_or_else(|| self.report(obj.field(key), format!("is not {what}"), rule))
    }

    fn optional_personal<T>(
        &mut self,
        obj: &Obj<'_>,
        key: &str,
        rule: Rule,
        what: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Got<Option<T>> {
        match obj.get(key) {
            None => Ok(None),
            Some(_) => self.personal(obj, key, rule, what, parse).map(Some),
        }
    }

    /// A value of a closed set, read through the enum's serde names.
    fn choice<T: DeserializeOwned>(
        &mut self,
        obj: &Obj<'_>,
        key: &str,
        rule: Rule,
        allowed: &str,
    ) -> Got<T> {
        let text = self.text(obj, key, rule)?;
        self.as_code(&text, obj.field(key), rule, allowed, |t| {
            serde_json::from_value(Value::String(t.to_owned())).ok()
        })
    }

    fn optional_choice<T: DeserializeOwned>(
        &mut self,
        obj: &Obj<'_>,
        key: &str,
        rule: Rule,
        allowed: &str,
    ) -> Got<Option<T>> {
        match obj.get(key) {
            None => Ok(None),
            Some(_) => self.choice(obj, key, rule, allowed).map(Some),
        }
    }

    /// BR-3: well-formed and in the organisation registry. An unknown organisation is
    /// reported but the code is still returned, so the checks that depend on it still run.
    fn ods(&mut self, obj: &Obj<'_>, key: &str) -> Got<OdsCode> {
        let ods = self.code(
            obj,
            key,
            BR3,
            "an ODS code (three upper-case letters or digits)",
            |t| OdsCode::parse(t).ok(),
        )?;
        if self.catalogue.trust(&ods).is_none() {
            self.report(
                obj.field(key),
                format!("{ods} is not an organisation in the registry"),
                BR3,
            );
        }
        Ok(ods)
    }

    /// Reads every item of a list, whatever happens to the others.
    fn each<'v, T>(
        &mut self,
        obj: &Obj<'v>,
        key: &str,
        rule: Rule,
        mut read: impl FnMut(&mut Self, &'v Value, String) -> Got<T>,
    ) -> Got<Vec<Got<T>>> {
        let items = self.list(obj, key, rule)?;
        let path = obj.field(key);
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, item)| read(self, item, format!("{path}[{i}]")))
            .collect())
    }
}

fn read_person(r: &mut Reader<'_>, value: &Value, policy: &ImportPolicy) -> Got<EsrPerson> {
    let p = r.as_object(value, String::new(), NO_RULE)?;

    let person_id = r.non_empty_text(&p, "person_id", BR1);
    let fictional = r
        .optional_boolean(&p, "fictional", NO_RULE)
        .map(|f| f.unwrap_or(false));
    if policy.synthetic_data_only && matches!(fictional, Ok(false)) {
        r.report("fictional", "only records flagged fictional may be imported while the platform holds synthetic data only", NO_RULE);
    }
    let uuid = r.personal(&p, "uuid", BR1, "a Care Identity UUID (12 digits)", |t| {
        CareIdentityUuid::parse(t).ok()
    });
    let esr_employee_number = r.personal(
        &p,
        "esr_employee_number",
        NO_RULE,
        "an ESR employee number (8 digits)",
        |t| is_employee_number(t).then(|| t.to_owned()),
    );
    let title = r.text(&p, "title", NO_RULE);
    let given_name = r.non_empty_text(&p, "given_name", NO_RULE);
    let middle_names = r.optional_text(&p, "middle_names", NO_RULE);
    let family_name = r.non_empty_text(&p, "family_name", NO_RULE);
    let date_of_birth = r.date(&p, "date_of_birth", NO_RULE);
    let ni_number = r.personal(
        &p,
        "ni_number",
        NO_RULE,
        "a National Insurance number (two letters, six digits, A–D)",
        |t| is_ni_number(t).then(|| t.to_owned()),
    );
    if let Ok(ni) = &ni_number {
        if policy.synthetic_data_only && !ni.starts_with("QQ") {
            r.report(
                "ni_number",
                "synthetic records must use the never-issued QQ prefix",
                NO_RULE,
            );
        }
    }
    let email = r.personal(
        &p,
        "email",
        BR14,
        "a syntactically valid e-mail address",
        |t| is_email(t).then(|| t.to_owned()),
    );
    let status = r.choice::<PersonStatus>(&p, "status", NO_RULE, PERSON_STATUSES);

    let assignments = r
        .each(&p, "assignments", NO_RULE, read_assignment)
        .and_then(all);
    check_primary_assignment(r, &p);

    let professional_registration = match p.get("professional_registration") {
        None => Ok(None),
        Some(v) => read_registration(r, v).map(Some),
    };
    let registered = match &professional_registration {
        Ok(registration) => Some(
            registration
                .as_ref()
                .is_some_and(EsrRegistration::is_registered),
        ),
        Err(_) => None,
    };

    let roles = r.each(&p, "rbac_role_assignments", BR2, read_role);
    if let Ok(roles) = &roles {
        for (i, role) in roles.iter().enumerate() {
            if let Ok(role) = role {
                check_role_grant(r, &p, i, role, uuid.as_ref().ok());
                check_prescribing(r, i, role, registered);
            }
        }
        if let Ok(status) = status {
            if status != PersonStatus::Active && !roles.is_empty() {
                r.report(
                    "rbac_role_assignments",
                    format!(
                        "only active people hold role profiles; this person is {}",
                        person_status_name(status)
                    ),
                    NO_RULE,
                );
            }
        }
    }
    let rbac_role_assignments = roles.and_then(all);

    let primary_start = primary_start_date(&p);
    let employment_checks = r
        .each(&p, "employment_checks", BR7, |r, v, path| {
            read_check(r, v, path, primary_start)
        })
        .and_then(|checks| {
            check_standards_present(r, &checks);
            all(checks)
        });

    let cstf_training = r
        .each(&p, "cstf_training", NO_RULE, read_training)
        .and_then(all);
    let occupational_health = r
        .required(&p, "occupational_health", NO_RULE)
        .and_then(|v| read_occupational_health(r, v));

    Ok(EsrPerson {
        person_id: person_id?,
        fictional: fictional?,
        uuid: uuid?,
        esr_employee_number: esr_employee_number?,
        title: title?,
        given_name: given_name?,
        middle_names: middle_names?,
        family_name: family_name?,
        date_of_birth: date_of_birth?,
        ni_number: ni_number?,
        email: email?,
        status: status?,
        assignments: assignments?,
        professional_registration: professional_registration?,
        rbac_role_assignments: rbac_role_assignments?,
        employment_checks: employment_checks?,
        cstf_training: cstf_training?,
        occupational_health: occupational_health?,
    })
}

fn read_assignment(r: &mut Reader<'_>, value: &Value, path: String) -> Got<EsrAssignment> {
    let a = r.as_object(value, path, NO_RULE)?;
    let assignment_number = r.code(
        &a,
        "assignment_number",
        NO_RULE,
        "an ESR assignment number (8 digits, then -n for a second post)",
        |t| AssignmentNumber::parse(t).ok(),
    );
    let primary = r.boolean(&a, "primary", NO_RULE);
    let org_ods = r.ods(&a, "org_ods");
    let position_number = r.text(&a, "position_number", NO_RULE);
    let position_title = r.text(&a, "position_title", NO_RULE);
    let staff_group = r.text(&a, "staff_group", BR4);
    if let Ok(group) = &staff_group {
        if !r.catalogue.has_staff_group(group) {
            r.report(
                a.field("staff_group"),
                format!("`{group}` is not an ESR staff group in the catalogue"),
                BR4,
            );
        }
    }
    let access_control_position = r.text(&a, "access_control_position", BR4);
    if let Ok(acp_id) = &access_control_position {
        match r.catalogue.access_control_position(acp_id) {
            None => {
                r.report(
                    a.field("access_control_position"),
                    format!("`{acp_id}` is not an access control position in the catalogue"),
                    BR4,
                );
            }
            Some(acp) => {
                if let Ok(org) = &org_ods {
                    if &acp.org_ods != org {
                        let text = format!(
                            "{acp_id} belongs to {}, not to the assignment's organisation {org}",
                            acp.org_ods
                        );
                        r.report(a.field("access_control_position"), text, BR4);
                    }
                }
            }
        }
    }
    let start_date = r.optional_date(&a, "start_date", NO_RULE);
    let end_date = r.optional_date(&a, "end_date", NO_RULE);
    let status = r.choice::<AssignmentStatus>(&a, "status", NO_RULE, ASSIGNMENT_STATUSES);
    if let (Ok(AssignmentStatus::Active | AssignmentStatus::Suspended), Ok(None)) =
        (status, start_date)
    {
        r.report(
            a.field("start_date"),
            "an assignment in force must have a start date",
            NO_RULE,
        );
    }
    if let (Ok(Some(start)), Ok(Some(end))) = (start_date, end_date) {
        if end < start {
            r.report(a.field("end_date"), "is before the start date", NO_RULE);
        }
    }
    Ok(EsrAssignment {
        assignment_number: assignment_number?,
        primary: primary?,
        org_ods: org_ods?,
        position_number: position_number?,
        position_title: position_title?,
        staff_group: staff_group?,
        access_control_position: access_control_position?,
        start_date: start_date?,
        end_date: end_date?,
        status: status?,
    })
}

/// Counted on the raw items, so the count is right even when an assignment is otherwise broken.
fn check_primary_assignment(r: &mut Reader<'_>, p: &Obj<'_>) {
    let Some(Value::Array(items)) = p.get("assignments") else {
        return;
    };
    let primaries = items
        .iter()
        .filter(|a| a.get("primary") == Some(&Value::Bool(true)))
        .count();
    if primaries != 1 {
        r.report(
            "assignments",
            format!("exactly one assignment must be primary; found {primaries}"),
            NO_RULE,
        );
    }
}

fn primary_start_date(p: &Obj<'_>) -> Option<NaiveDate> {
    let Some(Value::Array(items)) = p.get("assignments") else {
        return None;
    };
    let mut primaries = items
        .iter()
        .filter(|a| a.get("primary") == Some(&Value::Bool(true)));
    match (primaries.next(), primaries.next()) {
        (Some(primary), None) => primary
            .get("start_date")
            .and_then(Value::as_str)
            .and_then(parse_iso_date),
        _ => None,
    }
}

fn read_registration(r: &mut Reader<'_>, value: &Value) -> Got<EsrRegistration> {
    let g = r.as_object(value, "professional_registration".to_owned(), BR5)?;
    let body = r.choice::<Regulator>(&g, "body", BR5, REGULATORS);
    let number = r.text(&g, "number", BR5);
    if let (Ok(body), Ok(number)) = (body, &number) {
        if RegistrationNumber::parse(body, number).is_err() {
            let text = format!(
                "does not match the {} number format ({})",
                body.code(),
                registration_format(body)
            );
            r.report(g.field("number"), text, BR5);
        }
    }
    let status = r.non_empty_text(&g, "status", BR5);
    let renewal_due = r.optional_date(&g, "renewal_due", BR5);
    let registration_type = r.optional_text(&g, "registration_type", NO_RULE);
    let register_checked_on = r.optional_date(&g, "register_checked_on", BR5);
    let register_check_method = r.optional_text(&g, "register_check_method", BR5);
    if let (Ok(on), Ok(method)) = (&register_checked_on, &register_check_method) {
        if on.is_some() != method.is_some() {
            r.report(g.field("register_checked_on"), "a register check records both when (register_checked_on) and how (register_check_method)", BR5);
        }
    }
    Ok(EsrRegistration {
        body: body?,
        number: number?,
        status: status?,
        renewal_due: renewal_due?,
        registration_type: registration_type?,
        register_checked_on: register_checked_on?,
        register_check_method: register_check_method?,
    })
}

fn read_role(r: &mut Reader<'_>, value: &Value, path: String) -> Got<EsrRoleAssignment> {
    let o = r.as_object(value, path, BR2)?;
    let person_roleid = r.personal(
        &o,
        "person_roleid",
        BR2,
        "a role profile id (12 digits)",
        |t| PersonRoleId::parse(t).ok(),
    );
    let org_ods = r.ods(&o, "org_ods");
    let job_role = r.code(
        &o,
        "job_role",
        BR4,
        "a job role code (R and four digits)",
        |t| JobRoleCode::parse(t).ok(),
    );
    if let Ok(code) = &job_role {
        if r.catalogue.job_role(code).is_none() {
            r.report(
                o.field("job_role"),
                format!("{code} is not a job role in the RBAC catalogue"),
                BR4,
            );
        }
    }
    let activities = r
        .each(&o, "activities", BR4, |r, item, field| {
            let text = r.as_text(item, field.clone(), BR4)?;
            let code = r.as_code(
                &text,
                field.clone(),
                BR4,
                "an activity code (B and four digits)",
                |t| ActivityCode::parse(t).ok(),
            )?;
            if r.catalogue.activity(&code).is_none() {
                r.report(
                    field,
                    format!("{code} is not an activity in the RBAC catalogue"),
                    BR4,
                );
            }
            Ok(code)
        })
        .and_then(all);
    let granted_via = r.non_empty_text(&o, "granted_via", BR9);
    let granted_by = r.optional_personal(
        &o,
        "granted_by",
        BR9,
        "a Care Identity UUID (12 digits)",
        |t| CareIdentityUuid::parse(t).ok(),
    );
    Ok(EsrRoleAssignment {
        person_roleid: person_roleid?,
        org_ods: org_ods?,
        job_role: job_role?,
        activities: activities?,
        granted_via: granted_via?,
        granted_by: granted_by?,
    })
}

/// BR-9: a role profile comes from the person's own ESR position through its ACP, or from a
/// local grant that records who approved it.
fn check_role_grant(
    r: &mut Reader<'_>,
    p: &Obj<'_>,
    i: usize,
    role: &EsrRoleAssignment,
    own_uuid: Option<&CareIdentityUuid>,
) {
    let field = |key: &str| format!("rbac_role_assignments[{i}].{key}");
    if role.is_local_grant() {
        match &role.granted_by {
            // The sample extract has such a grant, so import accepts it; issuance must not
            // derive a credential from it (see `grant_is_attributable`).
            None => r.warnings.push(problem(
                field("granted_by"),
                "a local grant without the approving RA's UUID: no role credential may be issued from it until it is recorded",
                BR9,
            )),
            Some(by) if Some(by) == own_uuid => {
                r.report(field("granted_by"), "a local grant cannot be approved by the person it grants", BR9);
            }
            Some(_) => {}
        }
        return;
    }
    let Some(acp) = r.catalogue.access_control_position(&role.granted_via) else {
        let text = format!(
            "`{}` is neither an access control position in the catalogue nor {LOCAL_GRANT}",
            role.granted_via
        );
        r.report(field("granted_via"), text, BR9);
        return;
    };
    if acp.org_ods != role.org_ods {
        let text = format!(
            "{} belongs to {}, not to the role's organisation {}",
            acp.acp_id, acp.org_ods, role.org_ods
        );
        r.report(field("granted_via"), text, BR9);
    }
    if acp.job_role != role.job_role {
        let text = format!(
            "{} maps to job role {}, not {}",
            acp.acp_id, acp.job_role, role.job_role
        );
        r.report(field("job_role"), text, BR9);
    }
    let held = matches!(p.get("assignments"), Some(Value::Array(items)) if items.iter().any(|a| {
        a.get("access_control_position").and_then(Value::as_str) == Some(acp.acp_id.as_str())
            && a.get("status").and_then(Value::as_str) != Some("ended")
    }));
    if !held {
        let text = format!(
            "none of the person's current assignments maps to {}",
            acp.acp_id
        );
        r.report(field("granted_via"), text, BR9);
    }
    let granted = r.catalogue.pbac_activities(acp);
    for (j, activity) in role.activities.iter().enumerate() {
        if !granted.contains(activity) {
            let text = format!("{activity} is not granted by {} (job role baseline plus the position's extras); only a local grant may add it", acp.acp_id);
            r.report(
                format!("rbac_role_assignments[{i}].activities[{j}]"),
                text,
                BR9,
            );
        }
    }
}

/// BR-10: prescribing activities need a registration the register shows as current.
/// (The trust's record of the prescribing qualification is not in the extract: issuance checks it.)
fn check_prescribing(
    r: &mut Reader<'_>,
    i: usize,
    role: &EsrRoleAssignment,
    registered: Option<bool>,
) {
    if registered != Some(false) {
        return;
    }
    let prescribing: Vec<String> = r
        .catalogue
        .expand_activities(&role.activities)
        .into_iter()
        .filter(|a| PRESCRIBING_ACTIVITIES.contains(&a.as_str()))
        .map(|a| a.to_string())
        .collect();
    if !prescribing.is_empty() {
        let text = format!("carries prescribing activity {} but the person has no professional registration with status registered", prescribing.join(", "));
        r.report(format!("rbac_role_assignments[{i}].activities"), text, BR10);
    }
}

fn read_check(
    r: &mut Reader<'_>,
    value: &Value,
    path: String,
    primary_start: Option<NaiveDate>,
) -> Got<EsrCheck> {
    let c = r.as_object(value, path, BR7)?;
    let standard = r.choice::<CheckStandard>(&c, "standard", BR7, CHECK_STANDARDS);
    let status = r.choice::<CheckStatus>(&c, "status", BR7, CHECK_STATUSES);
    let checked_on = r.date(&c, "checked_on", BR7);
    let expires_on = r.optional_date(&c, "expires_on", BR7);
    let method = r.optional_choice::<IdentityProofingMethod>(&c, "method", BR8, PROOFING_METHODS);
    let basis = r.optional_choice::<RightToWorkBasis>(&c, "basis", BR7, RTW_BASES);
    let dbs_level = r.optional_choice::<DbsLevel>(&c, "dbs_level", BR7, DBS_LEVELS);
    let dbs_certificate_number = r.optional_text(&c, "dbs_certificate_number", BR7);
    let update_service = r.optional_boolean(&c, "update_service", BR7);
    let outcome = r.optional_text(&c, "outcome", NO_RULE);

    let complete = matches!(status, Ok(CheckStatus::Complete));
    if let Ok(standard) = standard {
        let misplaced: [(&str, bool, CheckStandard); 6] = [
            (
                "method",
                matches!(method, Ok(Some(_))),
                CheckStandard::Identity,
            ),
            (
                "basis",
                matches!(basis, Ok(Some(_))),
                CheckStandard::RightToWork,
            ),
            (
                "dbs_level",
                matches!(dbs_level, Ok(Some(_))),
                CheckStandard::CriminalRecord,
            ),
            (
                "dbs_certificate_number",
                matches!(dbs_certificate_number, Ok(Some(_))),
                CheckStandard::CriminalRecord,
            ),
            (
                "update_service",
                matches!(update_service, Ok(Some(_))),
                CheckStandard::CriminalRecord,
            ),
            (
                "outcome",
                matches!(outcome, Ok(Some(_))),
                CheckStandard::WorkHealthAssessment,
            ),
        ];
        for (key, present, home) in misplaced {
            if present && standard != home {
                let text = format!(
                    "belongs to the {} check, not to {}",
                    standard_name(home),
                    standard_name(standard)
                );
                r.report(c.field(key), text, BR7);
            }
        }
        if complete && standard == CheckStandard::Identity && matches!(method, Ok(None)) {
            r.report(
                c.field("method"),
                "a completed identity check must record its proofing route",
                BR8,
            );
        }
        if complete && standard == CheckStandard::CriminalRecord && matches!(dbs_level, Ok(None)) {
            r.report(
                c.field("dbs_level"),
                "a completed DBS check must record its level",
                BR7,
            );
        }
    }
    if let (true, Ok(on), Some(start)) = (complete, checked_on, primary_start) {
        if on > start {
            r.report(
                c.field("checked_on"),
                "a completed check must be dated on or before the primary assignment's start date",
                BR7,
            );
        }
    }
    if let (Ok(on), Ok(Some(expires))) = (checked_on, expires_on) {
        if expires < on {
            r.report(c.field("expires_on"), "is before the check date", BR7);
        }
    }
    Ok(EsrCheck {
        standard: standard?,
        status: status?,
        checked_on: checked_on?,
        expires_on: expires_on?,
        method: method?,
        basis: basis?,
        dbs_level: dbs_level?,
        dbs_certificate_number: dbs_certificate_number?,
        update_service: update_service?,
        outcome: outcome?,
    })
}

/// BR-7: each of the six standards exactly once.
fn check_standards_present(r: &mut Reader<'_>, checks: &[Got<EsrCheck>]) {
    let mut seen = BTreeSet::new();
    for (i, check) in checks.iter().enumerate() {
        if let Ok(check) = check {
            if !seen.insert(standard_name(check.standard)) {
                r.report(
                    format!("employment_checks[{i}].standard"),
                    format!("{} appears more than once", standard_name(check.standard)),
                    BR7,
                );
            }
        }
    }
    // A check whose standard could not be read is reported already; do not call it missing too.
    if checks.iter().all(Result::is_ok) {
        for standard in ALL_STANDARDS {
            if !seen.contains(standard_name(standard)) {
                r.report(
                    "employment_checks",
                    format!("the {} check standard is missing", standard_name(standard)),
                    BR7,
                );
            }
        }
    }
}

fn read_training(r: &mut Reader<'_>, value: &Value, path: String) -> Got<EsrTraining> {
    let t = r.as_object(value, path, NO_RULE)?;
    let subject = r.non_empty_text(&t, "subject", NO_RULE);
    let completed_on = r.date(&t, "completed_on", NO_RULE);
    let refresher_years = r.count(&t, "refresher_years", NO_RULE);
    Ok(EsrTraining {
        subject: subject?,
        completed_on: completed_on?,
        refresher_years: refresher_years?,
    })
}

fn read_occupational_health(r: &mut Reader<'_>, value: &Value) -> Got<EsrOccupationalHealth> {
    let o = r.as_object(value, "occupational_health".to_owned(), NO_RULE)?;
    let clearance = r.non_empty_text(&o, "clearance", NO_RULE);
    let exposure_prone_procedures = r.boolean(&o, "exposure_prone_procedures", NO_RULE);
    Ok(EsrOccupationalHealth {
        clearance: clearance?,
        exposure_prone_procedures: exposure_prone_procedures?,
    })
}

// ---------------------------------------------------------------------------------------------
// Checks across the batch

/// BR-1, BR-2, BR-5 and assignment numbers: what identifies one person or post must not be
/// given to two. Every record involved is rejected, since the extract does not say which is right.
fn check_batch_uniqueness(work: &mut [Work<'_>]) {
    let str_at = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    flag_duplicates(work, "this person_id", BR1, |v| {
        str_at(v, "person_id")
            .map(|k| ("person_id".to_owned(), k))
            .into_iter()
            .collect()
    });
    flag_duplicates(work, "this Care Identity UUID", BR1, |v| {
        str_at(v, "uuid")
            .map(|k| ("uuid".to_owned(), k))
            .into_iter()
            .collect()
    });
    flag_duplicates(work, "this ESR employee number", BR1, |v| {
        str_at(v, "esr_employee_number")
            .map(|k| ("esr_employee_number".to_owned(), k))
            .into_iter()
            .collect()
    });
    flag_duplicates(work, "this assignment number", NO_RULE, |v| {
        list_items(v, "assignments")
            .filter_map(|(i, a)| {
                str_at(a, "assignment_number")
                    .map(|k| (format!("assignments[{i}].assignment_number"), k))
            })
            .collect()
    });
    flag_duplicates(work, "this person_roleid", BR2, |v| {
        list_items(v, "rbac_role_assignments")
            .filter_map(|(i, role)| {
                str_at(role, "person_roleid")
                    .map(|k| (format!("rbac_role_assignments[{i}].person_roleid"), k))
            })
            .collect()
    });
    flag_duplicates(work, "this registration", BR5, |v| {
        let registration = v.get("professional_registration").unwrap_or(&Value::Null);
        match (str_at(registration, "body"), str_at(registration, "number")) {
            (Some(body), Some(number)) => vec![(
                "professional_registration.number".to_owned(),
                format!("{body}/{number}"),
            )],
            _ => Vec::new(),
        }
    });
}

fn flag_duplicates(
    work: &mut [Work<'_>],
    what: &str,
    rule: Rule,
    keys: impl Fn(&Value) -> Vec<(String, String)>,
) {
    let mut places: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
    for (w, record) in work.iter().enumerate() {
        for (field, key) in keys(record.value) {
            places.entry(key).or_default().push((w, field));
        }
    }
    for holders in places.into_values().filter(|h| h.len() > 1) {
        for (w, field) in &holders {
            let mut others: Vec<String> = holders
                .iter()
                .filter(|(o, f)| (o, f) != (w, field))
                .map(|(o, _)| {
                    if o == w {
                        "elsewhere in this record".to_owned()
                    } else {
                        format!("by {}", describe(&work[*o]))
                    }
                })
                .collect();
            others.dedup();
            // A few names are enough to find the clash; listing every holder to every
            // holder would make the answer grow with the square of the batch.
            const NAMED: usize = 3;
            let text = if others.len() > NAMED {
                format!(
                    "{what} is also used {} and by {} other record(s)",
                    others[..NAMED].join(", "),
                    others.len() - NAMED
                )
            } else {
                format!("{what} is also used {}", others.join(", "))
            };
            work[*w].problems.push(problem(field.clone(), text, rule));
        }
    }
}

/// BR-9: when the approver of a local grant is in the batch, they must hold an RA role
/// (R5080/R5090) or the Sponsor activity (B1300) at the granting organisation. An approver
/// outside the batch cannot be checked here.
fn check_local_grant_approvers(work: &mut [Work<'_>], catalogue: &RbacCatalogue) {
    let mut by_uuid: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (w, record) in work.iter().enumerate() {
        if let Some(uuid) = record.value.get("uuid").and_then(Value::as_str) {
            by_uuid.entry(uuid).or_default().push(w);
        }
    }
    let mut findings = Vec::new();
    for (w, record) in work.iter().enumerate() {
        for (i, role) in list_items(record.value, "rbac_role_assignments") {
            let local = role.get("granted_via").and_then(Value::as_str) == Some(LOCAL_GRANT);
            let (Some(by), Some(org)) = (
                role.get("granted_by").and_then(Value::as_str),
                role.get("org_ods").and_then(Value::as_str),
            ) else {
                continue;
            };
            let Some([approver]) = by_uuid.get(by).map(Vec::as_slice) else {
                continue;
            };
            if !local || *approver == w {
                continue;
            }
            if !may_approve_local_grants(work[*approver].value, org, catalogue) {
                let text = format!(
                    "the approver, {}, holds no RA Manager or Agent role (R5080/R5090) or Sponsor activity (B1300) at {org}",
                    describe(&work[*approver])
                );
                findings.push((
                    w,
                    problem(format!("rbac_role_assignments[{i}].granted_by"), text, BR9),
                ));
            }
        }
    }
    for (w, finding) in findings {
        work[w].problems.push(finding);
    }
}

fn may_approve_local_grants(person: &Value, org: &str, catalogue: &RbacCatalogue) -> bool {
    list_items(person, "rbac_role_assignments").any(|(_, role)| {
        if role.get("org_ods").and_then(Value::as_str) != Some(org) {
            return false;
        }
        let job_role = role
            .get("job_role")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let activities: Vec<ActivityCode> = list_items(role, "activities")
            .filter_map(|(_, a)| a.as_str().and_then(|t| ActivityCode::parse(t).ok()))
            .collect();
        RA_JOB_ROLES.contains(&job_role)
            || catalogue
                .expand_activities(&activities)
                .iter()
                .any(|a| a.as_str() == SPONSOR_ACTIVITY)
    })
}

// ---------------------------------------------------------------------------------------------
// Small helpers

fn problem(field: impl Into<String>, text: impl Into<String>, rule: Rule) -> FieldProblem {
    FieldProblem {
        field: field.into(),
        problem: text.into(),
        rule,
    }
}

/// Keeps every item's problems: only fails after all were read.
fn all<T>(items: Vec<Got<T>>) -> Got<Vec<T>> {
    items.into_iter().collect()
}

fn list_items<'v>(value: &'v Value, key: &str) -> impl Iterator<Item = (usize, &'v Value)> {
    value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
}

fn describe(record: &Work<'_>) -> String {
    match &record.person_id {
        Some(id) => format!("record {} ({id})", record.index),
        None => format!("record {}", record.index),
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Strictly `YYYY-MM-DD` and a real calendar date.
fn parse_iso_date(text: &str) -> Option<NaiveDate> {
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !shaped {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// The same syntax as sample-data/check.py: `^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$`,
/// with control characters also refused in the local part.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty() && !local.chars().any(|c| c.is_whitespace() || c.is_control());
    let labels: Vec<&str> = domain.split('.').collect();
    local_ok
        && labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn is_employee_number(text: &str) -> bool {
    text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Shape only (two letters, six digits, A–D); HMRC's prefix rules would refuse the
/// fictional QQ prefix.
fn is_ni_number(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 9
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..8].iter().all(u8::is_ascii_digit)
        && matches!(b[8], b'A'..=b'D')
}

fn registration_format(regulator: Regulator) -> &'static str {
    match regulator {
        Regulator::Gmc => "7 digits",
        Regulator::Nmc => "2 digits, a letter, 4 digits and a letter",
        Regulator::Hcpc => "2 letters and up to 6 digits",
        Regulator::Gphc => "7 digits starting with 2",
        Regulator::Gdc => "up to 7 digits",
    }
}

fn standard_name(standard: CheckStandard) -> &'static str {
    match standard {
        CheckStandard::Identity => "identity",
        CheckStandard::RightToWork => "right_to_work",
        CheckStandard::ProfessionalRegistrationAndQualification => {
            "professional_registration_and_qualification"
        }
        CheckStandard::EmploymentHistoryAndReferences => "employment_history_and_references",
        CheckStandard::CriminalRecord => "criminal_record",
        CheckStandard::WorkHealthAssessment => "work_health_assessment",
    }
}

fn proofing_method_name(method: IdentityProofingMethod) -> &'static str {
    match method {
        IdentityProofingMethod::FaceToFaceDocuments => "face_to_face_documents",
        IdentityProofingMethod::ApplyForCareId => "apply_for_care_id",
        IdentityProofingMethod::IdspGpg45Medium => "idsp_gpg45_medium",
        IdentityProofingMethod::IdspGpg45High => "idsp_gpg45_high",
    }
}

fn person_status_name(status: PersonStatus) -> &'static str {
    match status {
        PersonStatus::Active => "active",
        PersonStatus::PreHire => "pre_hire",
        PersonStatus::Left => "left",
        PersonStatus::Suspended => "suspended",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PEOPLE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/sample-data/esr-people.json"
    );
    const CATALOGUE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/sample-data/rbac-roles.json"
    );

    fn catalogue() -> RbacCatalogue {
        RbacCatalogue::from_json_str(&std::fs::read_to_string(CATALOGUE).unwrap()).unwrap()
    }

    fn extract() -> Value {
        serde_json::from_str(&std::fs::read_to_string(PEOPLE).unwrap()).unwrap()
    }

    fn position(people: &[Value], person_id: &str) -> usize {
        people
            .iter()
            .position(|p| p["person_id"] == person_id)
            .unwrap()
    }

    #[test]
    fn the_sample_extract_is_entirely_valid() {
        let validation = parse_extract(&extract(), &catalogue()).unwrap();
        assert_eq!(validation.rejected(), &[] as &[RecordRejection]);
        assert_eq!(validation.valid().count(), 40);
        let ids: Vec<&str> = validation.valid().map(|p| p.person_id.as_str()).collect();
        assert_eq!(ids.first(), Some(&"P0001"));
        assert_eq!(ids.last(), Some(&"P0040"));
        // P0030's local grant does not record its RA: accepted, but flagged for issuance.
        let warnings = validation.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:#?}");
        assert_eq!(warnings[0].person_id, "P0030");
        assert_eq!(warnings[0].warning.rule, Some("BR-9"));
        let p0030 = validation.valid().find(|p| p.person_id == "P0030").unwrap();
        assert!(p0030
            .rbac_role_assignments
            .iter()
            .any(|r| r.is_local_grant() && !r.grant_is_attributable()));
    }

    #[test]
    fn typed_records_round_trip_through_json() {
        let catalogue = catalogue();
        let (people, _) = parse_extract(&extract(), &catalogue).unwrap().into_parts();
        for (_, person) in &people {
            let stored = serde_json::to_value(person).unwrap();
            assert_eq!(
                &serde_json::from_value::<EsrPerson>(stored).unwrap(),
                person,
                "{}",
                person.person_id
            );
        }
        // What we store is itself a valid extract.
        let stored: Vec<Value> = people
            .iter()
            .map(|(_, p)| serde_json::to_value(p).unwrap())
            .collect();
        let again = parse_extract(&json!({ "people": stored }), &catalogue).unwrap();
        assert!(again.rejected().is_empty(), "{:#?}", again.rejected());
        assert!(again.valid().eq(people.iter().map(|(_, p)| p)));
    }

    #[test]
    fn typed_fields_carry_the_extract() {
        let validation = parse_extract(&extract(), &catalogue()).unwrap();
        let p = validation.valid().next().unwrap();
        assert_eq!(p.uuid.as_str(), "966786164588");
        assert_eq!(p.status, PersonStatus::Active);
        assert_eq!(
            p.primary_assignment().map(|a| a.org_ods.as_str()),
            Some("RJ1")
        );
        assert_eq!(
            p.professional_registration.as_ref().map(|r| r.body),
            Some(Regulator::Gmc)
        );
        assert!(p
            .professional_registration
            .as_ref()
            .unwrap()
            .registration_number()
            .is_ok());
        let identity = p
            .employment_checks
            .iter()
            .find(|c| c.standard == CheckStandard::Identity)
            .unwrap();
        assert_eq!(
            identity.identity_method(),
            Some(IdentityProofingMethod::FaceToFaceDocuments)
        );
        assert_eq!(
            identity.evidence_method().as_deref(),
            Some("face_to_face_documents")
        );
        let rtw = p
            .employment_checks
            .iter()
            .find(|c| c.standard == CheckStandard::RightToWork)
            .unwrap();
        assert_eq!(rtw.evidence_method().as_deref(), Some("irish_passport"));
        let dbs = p
            .employment_checks
            .iter()
            .find(|c| c.standard == CheckStandard::CriminalRecord)
            .unwrap();
        assert_eq!(dbs.dbs_level, Some(DbsLevel::EnhancedWithBarredLists));
        let pre_hire = validation.valid().find(|p| p.person_id == "P0009").unwrap();
        assert_eq!(pre_hire.assignments[0].start_date, None);
        assert!(!pre_hire.assignments[0].is_active());
    }

    type Mutation = fn(&mut Vec<Value>);

    /// Applies one mutation to the sample batch (P0001 first) and expects P0001 to be
    /// rejected for `field` under `rule`, while the rest of the batch is still read: every
    /// other record is valid except, at most, the one record the mutation made it clash with.
    fn check(mutation: Mutation, field: &str, rule: Option<&str>) {
        let mut batch = extract();
        let people = batch["people"].as_array_mut().unwrap();
        assert_eq!(people[0]["person_id"], "P0001");
        mutation(people);
        let validation = parse_extract(&batch, &catalogue()).unwrap();
        let rejection = validation
            .rejected()
            .iter()
            .find(|r| r.index == 0)
            .unwrap_or_else(|| panic!("P0001 was not rejected; expected {field} ({rule:?})"));
        assert!(
            rejection
                .problems
                .iter()
                .any(|p| p.field == field && p.rule == rule),
            "expected {field} ({rule:?}) among {:#?}",
            rejection.problems
        );
        let others: Vec<&RecordRejection> = validation
            .rejected()
            .iter()
            .filter(|r| r.index != 0)
            .collect();
        assert!(others.len() <= 1, "{others:#?}");
        assert!(
            others
                .iter()
                .all(|r| r.problems.iter().all(|p| p.rule == rule)),
            "{others:#?}"
        );
        assert_eq!(validation.valid().count() + validation.rejected().len(), 40);
    }

    #[test]
    fn each_broken_rule_rejects_the_record_and_names_the_field() {
        let cases: &[(Mutation, &str, Option<&str>)] = &[
            (
                |p| p[0]["uuid"] = json!("96678616458"),
                "uuid",
                Some("BR-1"),
            ),
            (
                |p| p[0]["uuid"] = p[1]["uuid"].clone(),
                "uuid",
                Some("BR-1"),
            ),
            (
                |p| p[0]["person_id"] = json!("P0002"),
                "person_id",
                Some("BR-1"),
            ),
            (
                |p| p[0]["esr_employee_number"] = p[1]["esr_employee_number"].clone(),
                "esr_employee_number",
                Some("BR-1"),
            ),
            (
                |p| p[0]["assignments"][0]["org_ods"] = json!("XYZ"),
                "assignments[0].org_ods",
                Some("BR-3"),
            ),
            (
                |p| p[0]["rbac_role_assignments"][0]["org_ods"] = json!("rj1"),
                "rbac_role_assignments[0].org_ods",
                Some("BR-3"),
            ),
            (
                |p| p[0]["rbac_role_assignments"][0]["job_role"] = json!("R9999"),
                "rbac_role_assignments[0].job_role",
                Some("BR-4"),
            ),
            (
                |p| {
                    p[0]["rbac_role_assignments"][0]["activities"]
                        .as_array_mut()
                        .unwrap()
                        .push(json!("B9999"))
                },
                "rbac_role_assignments[0].activities[5]",
                Some("BR-4"),
            ),
            (
                |p| p[0]["rbac_role_assignments"][0]["person_roleid"] = json!("88195444635"),
                "rbac_role_assignments[0].person_roleid",
                Some("BR-2"),
            ),
            (
                |p| {
                    p[0]["rbac_role_assignments"][0]["person_roleid"] =
                        p[1]["rbac_role_assignments"][0]["person_roleid"].clone()
                },
                "rbac_role_assignments[0].person_roleid",
                Some("BR-2"),
            ),
            (
                |p| p[0]["professional_registration"]["number"] = json!("409564"),
                "professional_registration.number",
                Some("BR-5"),
            ),
            (
                |p| p[0]["professional_registration"]["body"] = json!("NMC"),
                "professional_registration.number",
                Some("BR-5"),
            ),
            (
                |p| p[0]["professional_registration"]["body"] = json!("GOC"),
                "professional_registration.body",
                Some("BR-5"),
            ),
            (
                |p| p[0]["assignments"][0]["access_control_position"] = json!("RJ1-ACP-99"),
                "assignments[0].access_control_position",
                Some("BR-4"),
            ),
            (
                |p| p[0]["assignments"][0]["access_control_position"] = json!("RTH-ACP-01"),
                "assignments[0].access_control_position",
                Some("BR-4"),
            ),
            (
                |p| p[0]["assignments"][0]["staff_group"] = json!("Doctors"),
                "assignments[0].staff_group",
                Some("BR-4"),
            ),
            (
                |p| drop(p[0]["employment_checks"].as_array_mut().unwrap().remove(4)),
                "employment_checks",
                Some("BR-7"),
            ),
            (
                |p| p[0]["employment_checks"][0]["status"] = json!("done"),
                "employment_checks[0].status",
                Some("BR-7"),
            ),
            (
                |p| p[0]["employment_checks"][4]["dbs_level"] = Value::Null,
                "employment_checks[4].dbs_level",
                Some("BR-7"),
            ),
            (
                |p| p[0]["employment_checks"][1]["checked_on"] = json!("2020-06-02"),
                "employment_checks[1].checked_on",
                Some("BR-7"),
            ),
            (
                |p| p[0]["employment_checks"][0]["method"] = json!("idvt"),
                "employment_checks[0].method",
                Some("BR-8"),
            ),
            (
                |p| p[0]["rbac_role_assignments"][0]["granted_via"] = json!("RJ1-ACP-99"),
                "rbac_role_assignments[0].granted_via",
                Some("BR-9"),
            ),
            (
                |p| p[0]["rbac_role_assignments"][0]["granted_via"] = json!("RJ1-ACP-04"),
                "rbac_role_assignments[0].job_role",
                Some("BR-9"),
            ),
            (
                |p| {
                    p[0]["rbac_role_assignments"][0]["activities"]
                        .as_array_mut()
                        .unwrap()
                        .push(json!("B0572"))
                },
                "rbac_role_assignments[0].activities[5]",
                Some("BR-9"),
            ),
            (
                |p| {
                    p[0]["rbac_role_assignments"][0]["granted_via"] = json!(LOCAL_GRANT);
                    p[0]["rbac_role_assignments"][0]["granted_by"] = p[0]["uuid"].clone();
                },
                "rbac_role_assignments[0].granted_by",
                Some("BR-9"),
            ),
            (
                |p| p[0]["professional_registration"] = Value::Null,
                "rbac_role_assignments[0].activities",
                Some("BR-10"),
            ),
            (
                |p| p[0]["professional_registration"]["status"] = json!("lapsed"),
                "rbac_role_assignments[0].activities",
                Some("BR-10"),
            ),
            (
                |p| {
                    let mut second = p[0]["assignments"][0].clone();
                    second["assignment_number"] = json!("30493776-2");
                    p[0]["assignments"].as_array_mut().unwrap().push(second);
                },
                "assignments",
                None,
            ),
            (
                |p| {
                    p[0]["assignments"][0]["assignment_number"] =
                        p[1]["assignments"][0]["assignment_number"].clone()
                },
                "assignments[0].assignment_number",
                None,
            ),
            (
                |p| p[0]["assignments"][0]["end_date"] = json!("2019-01-01"),
                "assignments[0].end_date",
                None,
            ),
            (
                |p| p[0]["email"] = json!("amara.notreal1@nhs"),
                "email",
                Some("BR-14"),
            ),
            (
                |p| p[0]["date_of_birth"] = json!("2020-13-01"),
                "date_of_birth",
                None,
            ),
            (
                |p| p[0]["date_of_birth"] = json!("1999-4-20"),
                "date_of_birth",
                None,
            ),
            (|p| p[0]["given_name"] = json!(42), "given_name", None),
            (
                |p| drop(p[0].as_object_mut().unwrap().remove("family_name")),
                "family_name",
                None,
            ),
            (
                |p| p[0]["status"] = json!("left"),
                "rbac_role_assignments",
                None,
            ),
            (|p| p[0]["fictional"] = json!(false), "fictional", None),
            (
                |p| p[0]["ni_number"] = json!("AB123456C"),
                "ni_number",
                None,
            ),
            (
                |p| p[0]["cstf_training"][0]["refresher_years"] = json!(-1),
                "cstf_training[0].refresher_years",
                None,
            ),
            (|p| p[0] = json!("P0001"), "", None),
        ];
        for (mutation, field, rule) in cases {
            check(*mutation, field, *rule);
        }
    }

    #[test]
    fn every_problem_of_a_record_is_reported() {
        let mut batch = extract();
        let p = &mut batch["people"][0];
        p["uuid"] = json!(966786164588u64);
        p["email"] = json!("not an address");
        p["assignments"][0]["org_ods"] = json!("rj1");
        p["employment_checks"][0]["method"] = json!("idvt");
        let validation = parse_extract(&batch, &catalogue()).unwrap();
        let rejection = &validation.rejected()[0];
        assert_eq!(rejection.person_id.as_deref(), Some("P0001"));
        let fields: BTreeSet<&str> = rejection
            .problems
            .iter()
            .map(|p| p.field.as_str())
            .collect();
        for field in [
            "uuid",
            "email",
            "assignments[0].org_ods",
            "employment_checks[0].method",
        ] {
            assert!(fields.contains(field), "{field} missing from {fields:?}");
        }
        let uuid = rejection
            .problems
            .iter()
            .find(|p| p.field == "uuid")
            .unwrap();
        assert_eq!(uuid.problem, "must be text, found a number");
        assert_eq!(validation.valid().count(), 39);
    }

    #[test]
    fn problems_do_not_repeat_personal_values() {
        let mut batch = extract();
        let p = &mut batch["people"][0];
        p["uuid"] = json!("96678616458");
        p["email"] = json!("amara.notreal1@nhs");
        p["ni_number"] = json!("QQ91920");
        p["professional_registration"]["number"] = json!("409564");
        p["date_of_birth"] = json!("1999-02-30");
        let validation = parse_extract(&batch, &catalogue()).unwrap();
        let text = serde_json::to_string(validation.rejected()).unwrap();
        for secret in ["96678616458", "amara", "QQ91920", "409564", "1999"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
    }

    #[test]
    fn a_local_grant_is_checked_against_its_approver_in_the_batch() {
        let catalogue = catalogue();
        let grant = |people: &mut Vec<Value>, approver: &str| {
            let (p0021, approver) = (position(people, "P0021"), position(people, approver));
            let by = people[approver]["uuid"].clone();
            people[p0021]["rbac_role_assignments"]
                .as_array_mut()
                .unwrap()
                .push(json!({
                    "person_roleid": "123456789012", "org_ods": "RR8", "job_role": "R8010",
                    "activities": ["B0820"], "granted_via": LOCAL_GRANT, "granted_by": by
                }));
            p0021
        };

        // P0030 is an RA Agent (R5090) at RR8: the grant stands, with no warning.
        let mut batch = extract();
        let p0021 = grant(batch["people"].as_array_mut().unwrap(), "P0030");
        let validation = parse_extract(&batch, &catalogue).unwrap();
        assert!(
            validation.rejected().is_empty(),
            "{:#?}",
            validation.rejected()
        );
        assert!(validation.warnings().iter().all(|w| w.index != p0021));

        // P0022 is a doctor: not an approver.
        let mut batch = extract();
        let p0021 = grant(batch["people"].as_array_mut().unwrap(), "P0022");
        let validation = parse_extract(&batch, &catalogue).unwrap();
        assert_eq!(validation.rejected().len(), 1);
        let rejection = &validation.rejected()[0];
        assert_eq!(rejection.index, p0021);
        assert_eq!(rejection.problems.len(), 1, "{:#?}", rejection.problems);
        assert_eq!(
            rejection.problems[0].field,
            "rbac_role_assignments[1].granted_by"
        );
        assert_eq!(rejection.problems[0].rule, Some("BR-9"));
    }

    #[test]
    fn a_duplicate_uuid_rejects_both_holders() {
        let mut batch = extract();
        batch["people"][5]["uuid"] = batch["people"][0]["uuid"].clone();
        let validation = parse_extract(&batch, &catalogue()).unwrap();
        let rejected: Vec<(usize, &str)> = validation
            .rejected()
            .iter()
            .map(|r| (r.index, r.problems[0].problem.as_str()))
            .collect();
        assert_eq!(
            rejected,
            vec![
                (
                    0,
                    "this Care Identity UUID is also used by record 5 (P0006)"
                ),
                (
                    5,
                    "this Care Identity UUID is also used by record 0 (P0001)"
                ),
            ]
        );
    }

    #[test]
    fn a_widely_shared_identifier_names_a_few_holders_not_all() {
        let mut batch = extract();
        for i in 1..10 {
            batch["people"][i]["uuid"] = batch["people"][0]["uuid"].clone();
        }
        let validation = parse_extract(&batch, &catalogue()).unwrap();
        let first = &validation.rejected()[0].problems[0].problem;
        assert_eq!(
            first,
            "this Care Identity UUID is also used by record 1 (P0002), by record 2 (P0003), by record 3 (P0004) and by 6 other record(s)"
        );
    }

    #[test]
    fn into_parts_keeps_input_positions() {
        let mut batch = extract();
        batch["people"][3]["email"] = json!("nope");
        let (valid, rejected) = parse_extract(&batch, &catalogue()).unwrap().into_parts();
        assert_eq!(valid.len(), 39);
        assert!(valid.iter().all(|(index, _)| *index != 3));
        assert_eq!(valid[3].0, 4);
        assert_eq!(
            rejected.iter().map(|r| r.index).collect::<Vec<_>>(),
            vec![3]
        );
    }

    #[test]
    fn the_policy_can_admit_real_records() {
        let mut batch = extract();
        batch["people"][0]["fictional"] = json!(false);
        batch["people"][0]["ni_number"] = json!("AB123456C");
        let policy = ImportPolicy {
            synthetic_data_only: false,
        };
        let validation = parse_extract_with(&batch, &catalogue(), &policy).unwrap();
        assert!(
            validation.rejected().is_empty(),
            "{:#?}",
            validation.rejected()
        );
    }

    #[test]
    fn an_unreadable_extract_is_an_error_not_a_rejection() {
        let catalogue = catalogue();
        assert!(matches!(
            parse_extract(&json!([]), &catalogue),
            Err(EsrError::NotAnObject("a list"))
        ));
        assert!(matches!(
            parse_extract(&json!({}), &catalogue),
            Err(EsrError::MissingPeople)
        ));
        assert!(matches!(
            parse_extract(&json!({"people": {}}), &catalogue),
            Err(EsrError::MissingPeople)
        ));
        let empty = parse_extract(&json!({"people": [], "_note": "ignored"}), &catalogue).unwrap();
        assert_eq!((empty.valid().count(), empty.rejected().len()), (0, 0));
    }

    #[test]
    fn syntax_helpers_match_the_reference_validator() {
        for (address, ok) in [
            ("a.b@nhs.net", true),
            ("a+b@sub.nhs.uk", true),
            ("a@nhs", false),
            ("a b@nhs.net", false),
            ("@nhs.net", false),
            ("a@@nhs.net", false),
            ("a@nhs..net", false),
            ("a@nhs_net.uk", false),
            ("a@nhs.net\n", false),
        ] {
            assert_eq!(is_email(address), ok, "{address:?}");
        }
        assert!(parse_iso_date("2020-02-29").is_some());
        assert!(parse_iso_date("2021-02-29").is_none());
        assert!(parse_iso_date("2020-13-01").is_none());
        assert!(parse_iso_date("20200101").is_none());
        assert!(is_ni_number("QQ919206C"));
        assert!(!is_ni_number("QQ919206E"));
        assert!(!is_ni_number("qq919206C"));
    }
}
