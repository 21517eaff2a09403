//! A receiving trust's onboarding policy (BR-26, BR-28), from a TOML file: which
//! credentials each staff group, job role and employment type must bring, the acceptance
//! window each is held to, and how national RBAC job roles and activities map to this
//! trust's own systems and roles. A policy is checked whole when it is loaded, against the
//! RBAC catalogue; a bad one stops the verifier from starting with the line and the problem.
//!
//! ```toml
//! organisation = "RTH"
//!
//! [[checklist]]
//! name = "Registered nurses"
//! staff_groups = ["Nursing and Midwifery Registered"]   # absent: any staff group
//! job_roles = ["R8001"]                                 # absent: any job role
//! employment_types = ["permanent", "temporary_mover"]   # absent: any employment type
//! require = ["identity", "right_to_work", "dbs", "registration", "training", "occupational_health"]
//! dbs_level = "enhanced_with_barred_lists"
//! dbs_max_age_years = 3        # a check older than this counts only on the Update Service
//! training = ["Fire safety", "Infection prevention and control"]
//! regulators = ["NMC"]
//!
//! [[grants]]
//! job_role = "R8001"            # or activity = "B0420"
//! system = "Electronic patient record"
//! role = "Registered nurse"
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use credentials::catalogue::{DbsLevel, CSTF_SUBJECTS};
use credentials::identifiers::{ActivityCode, JobRoleCode, OdsCode, Regulator};
use credentials::rbac::RbacCatalogue;
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// Why a policy file was refused: where, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct PolicyError {
    pub line: usize,
    pub problem: String,
}

/// What a receiving trust can ask a new starter to bring (BR-26 c).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// A Care Identity credential (the NHS identity check standard).
    Identity,
    /// A completed right-to-work check, not past its expiry (BR-29).
    RightToWork,
    /// An employment credential from an NHS organisation.
    Employment,
    /// A completed employment history and references check.
    EmploymentHistory,
    /// A criminal record (DBS) check at least at the rule's level.
    Dbs,
    /// A live professional registration with one of the rule's regulators.
    Registration,
    /// Each of the rule's CSTF subjects, completed and inside its refresher interval.
    Training,
    /// Occupational health clearance, covering exposure-prone procedures where required.
    OccupationalHealth,
}

impl Requirement {
    pub const ALL: [Requirement; 8] = [
        Requirement::Identity,
        Requirement::RightToWork,
        Requirement::Employment,
        Requirement::EmploymentHistory,
        Requirement::Dbs,
        Requirement::Registration,
        Requirement::Training,
        Requirement::OccupationalHealth,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Requirement::Identity => "Identity",
            Requirement::RightToWork => "Right to work",
            Requirement::Employment => "Employment",
            Requirement::EmploymentHistory => "Employment history and references",
            Requirement::Dbs => "Criminal record check (DBS)",
            Requirement::Registration => "Professional registration",
            Requirement::Training => "Statutory and mandatory training",
            Requirement::OccupationalHealth => "Occupational health clearance",
        }
    }
}

/// How the new starter will work here; the checklist can differ by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmploymentType {
    Permanent,
    FixedTerm,
    Bank,
    /// Stays employed by the home trust and works here for a while (the DSP pilot's cohort).
    TemporaryMover,
    /// A postgraduate doctor in training, rotating between trusts.
    DoctorInTraining,
}

impl EmploymentType {
    pub const ALL: [EmploymentType; 5] = [
        EmploymentType::Permanent,
        EmploymentType::FixedTerm,
        EmploymentType::Bank,
        EmploymentType::TemporaryMover,
        EmploymentType::DoctorInTraining,
    ];

    pub fn label(self) -> &'static str {
        match self {
            EmploymentType::Permanent => "Permanent",
            EmploymentType::FixedTerm => "Fixed term",
            EmploymentType::Bank => "Bank",
            EmploymentType::TemporaryMover => "Temporary mover",
            EmploymentType::DoctorInTraining => "Postgraduate doctor in training",
        }
    }
}

impl fmt::Display for EmploymentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One "credentials required" rule: whom it applies to and what they must bring.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChecklistRule {
    pub name: String,
    /// Empty: every staff group.
    pub staff_groups: Vec<String>,
    /// Empty: every job role.
    pub job_roles: Vec<JobRoleCode>,
    /// Empty: every employment type.
    pub employment_types: Vec<EmploymentType>,
    pub require: BTreeSet<Requirement>,
    pub dbs_level: Option<DbsLevel>,
    /// A DBS check older than this many years is accepted only when it is on the DBS
    /// Update Service (which keeps it current). Absent: any age.
    pub dbs_max_age_years: Option<u32>,
    pub training: BTreeSet<String>,
    pub exposure_prone_procedures: bool,
    /// Empty: any regulator.
    pub regulators: Vec<Regulator>,
}

impl ChecklistRule {
    fn applies_to(&self, post: &Post) -> bool {
        (self.staff_groups.is_empty() || self.staff_groups.contains(&post.staff_group))
            && (self.job_roles.is_empty() || self.job_roles.contains(&post.job_role))
            && (self.employment_types.is_empty()
                || self.employment_types.contains(&post.employment_type))
    }
}

/// The post a new starter is joining here: the officer says what it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    pub staff_group: String,
    pub job_role: JobRoleCode,
    /// The national activities of this trust's position (its baseline and extras).
    pub activities: BTreeSet<ActivityCode>,
    pub employment_type: EmploymentType,
}

/// What one post must bring: every matching rule at once, the strictest window winning.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Checklist {
    /// The names of the rules that apply.
    pub rules: Vec<String>,
    pub require: BTreeSet<Requirement>,
    pub dbs_level: Option<DbsLevel>,
    /// The youngest of the rules' DBS age limits.
    #[serde(default)]
    pub dbs_max_age_years: Option<u32>,
    pub training: BTreeSet<String>,
    pub exposure_prone_procedures: bool,
    /// Empty: any regulator.
    pub regulators: BTreeSet<Regulator>,
}

/// One access grant on one of this trust's own systems.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LocalGrant {
    pub system: String,
    pub role: String,
    /// The national job role or activity that calls for it.
    pub because: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum GrantTrigger {
    JobRole(JobRoleCode),
    Activity(ActivityCode),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GrantRule {
    pub when: GrantTrigger,
    pub system: String,
    pub role: String,
}

/// A receiving trust's whole onboarding policy, checked.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Policy {
    pub organisation: OdsCode,
    pub checklist: Vec<ChecklistRule>,
    pub grants: Vec<GrantRule>,
}

impl Policy {
    /// The checklist for a post: the union of every rule that applies to it. A post no rule
    /// covers gets an empty checklist, which the decision reports as needing HR review.
    pub fn checklist_for(&self, post: &Post) -> Checklist {
        let mut checklist = Checklist::default();
        for rule in self.checklist.iter().filter(|r| r.applies_to(post)) {
            checklist.rules.push(rule.name.clone());
            checklist.require.extend(rule.require.iter().copied());
            checklist.dbs_level = checklist.dbs_level.max(rule.dbs_level);
            checklist.dbs_max_age_years =
                match (checklist.dbs_max_age_years, rule.dbs_max_age_years) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            checklist.training.extend(rule.training.iter().cloned());
            checklist.exposure_prone_procedures |= rule.exposure_prone_procedures;
            checklist.regulators.extend(rule.regulators.iter().copied());
        }
        checklist
    }

    /// The local grants a post calls for: by its national job role and by each activity.
    /// Never by a role credential from another trust (BR-28): the post is this trust's own.
    pub fn grants_for(&self, post: &Post) -> Vec<LocalGrant> {
        let mut grants: BTreeSet<LocalGrant> = BTreeSet::new();
        for rule in &self.grants {
            let because = match &rule.when {
                GrantTrigger::JobRole(role) if *role == post.job_role => {
                    format!("job role {role}")
                }
                GrantTrigger::Activity(activity) if post.activities.contains(activity) => {
                    format!("activity {activity}")
                }
                _ => continue,
            };
            grants.insert(LocalGrant {
                system: rule.system.clone(),
                role: rule.role.clone(),
                because,
            });
        }
        grants.into_iter().collect()
    }

    /// Reads and checks a policy file's text against the RBAC catalogue.
    pub fn from_toml(text: &str, catalogue: &RbacCatalogue) -> Result<Self, PolicyError> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| PolicyError {
            line: e.span().map(|s| line_of(text, s.start)).unwrap_or(1),
            problem: e.message().to_owned(),
        })?;
        let at = |span: std::ops::Range<usize>, problem: String| PolicyError {
            line: line_of(text, span.start),
            problem,
        };

        let organisation = OdsCode::parse(raw.organisation.get_ref())
            .ok()
            .filter(|ods| catalogue.trust(ods).is_some())
            .ok_or_else(|| {
                at(
                    raw.organisation.span(),
                    format!(
                        "organisation {:?} is not an ODS code of a trust in the RBAC catalogue",
                        raw.organisation.get_ref()
                    ),
                )
            })?;
        if raw.checklist.is_empty() {
            return Err(PolicyError {
                line: 1,
                problem: "a policy needs at least one [[checklist]] rule".into(),
            });
        }

        let mut names = BTreeMap::new();
        let mut checklist = Vec::new();
        for spanned in raw.checklist {
            let span = spanned.span();
            let rule = spanned.into_inner();
            let fail = |problem: String| at(span.clone(), problem);
            let name = rule.name.trim().to_owned();
            if name.is_empty() {
                return Err(fail("a checklist rule needs a name".into()));
            }
            if let Some(line) = names.insert(name.clone(), line_of(text, span.start)) {
                return Err(fail(format!(
                    "checklist rule {name:?} is defined twice (first at line {line})"
                )));
            }
            let mut staff_groups = Vec::new();
            for group in rule.staff_groups {
                if !catalogue.has_staff_group(group.get_ref()) {
                    return Err(at(
                        group.span(),
                        format!("{:?} is not an ESR staff group", group.get_ref()),
                    ));
                }
                staff_groups.push(group.into_inner());
            }
            let mut job_roles = Vec::new();
            for code in &rule.job_roles {
                job_roles.push(job_role(code, catalogue).map_err(|p| at(code.span(), p))?);
            }
            let require: BTreeSet<Requirement> = rule.require.iter().copied().collect();
            if require.is_empty() {
                return Err(fail(format!("checklist rule {name:?} requires nothing")));
            }
            match (require.contains(&Requirement::Dbs), rule.dbs_level) {
                (true, None) => {
                    return Err(fail(format!(
                        "checklist rule {name:?} requires dbs but sets no dbs_level"
                    )))
                }
                (false, Some(_)) => {
                    return Err(fail(format!(
                        "checklist rule {name:?} sets dbs_level but does not require dbs"
                    )))
                }
                _ => {}
            }
            match rule.dbs_max_age_years {
                Some(_) if rule.dbs_level.is_none() => {
                    return Err(fail(format!(
                        "checklist rule {name:?} sets dbs_max_age_years but no dbs_level"
                    )))
                }
                Some(years) if !(1..=10).contains(&years) => {
                    return Err(fail(format!(
                        "checklist rule {name:?}: dbs_max_age_years is from 1 to 10"
                    )))
                }
                _ => {}
            }
            let mut training = BTreeSet::new();
            for subject in rule.training {
                if !CSTF_SUBJECTS.contains(&subject.get_ref().as_str()) {
                    return Err(at(
                        subject.span(),
                        format!(
                            "{:?} is not a Core Skills Training Framework subject",
                            subject.get_ref()
                        ),
                    ));
                }
                training.insert(subject.into_inner());
            }
            if require.contains(&Requirement::Training) == training.is_empty() {
                return Err(fail(format!(
                    "checklist rule {name:?}: require \"training\" and list the training subjects together"
                )));
            }
            if rule.exposure_prone_procedures && !require.contains(&Requirement::OccupationalHealth)
            {
                return Err(fail(format!(
                    "checklist rule {name:?} asks for exposure-prone procedures but does not require occupational_health"
                )));
            }
            if !rule.regulators.is_empty() && !require.contains(&Requirement::Registration) {
                return Err(fail(format!(
                    "checklist rule {name:?} names regulators but does not require registration"
                )));
            }
            checklist.push(ChecklistRule {
                name,
                staff_groups,
                job_roles,
                employment_types: rule.employment_types,
                require,
                dbs_level: rule.dbs_level,
                dbs_max_age_years: rule.dbs_max_age_years,
                training,
                exposure_prone_procedures: rule.exposure_prone_procedures,
                regulators: rule.regulators,
            });
        }

        let mut grants: Vec<GrantRule> = Vec::new();
        for spanned in raw.grants {
            let span = spanned.span();
            let grant = spanned.into_inner();
            let fail = |problem: String| at(span.clone(), problem);
            let when = match (&grant.job_role, &grant.activity) {
                (Some(code), None) => GrantTrigger::JobRole(
                    job_role(code, catalogue).map_err(|p| at(code.span(), p))?,
                ),
                (None, Some(code)) => GrantTrigger::Activity(
                    activity(code, catalogue).map_err(|p| at(code.span(), p))?,
                ),
                _ => {
                    return Err(fail(
                        "a grant names exactly one of job_role and activity".into(),
                    ))
                }
            };
            let system = grant.system.trim().to_owned();
            let role = grant.role.trim().to_owned();
            if system.is_empty() || role.is_empty() {
                return Err(fail("a grant needs a system and a role".into()));
            }
            let rule = GrantRule { when, system, role };
            if grants.contains(&rule) {
                return Err(fail(format!(
                    "the grant of {} on {} is listed twice for the same code",
                    rule.role, rule.system
                )));
            }
            grants.push(rule);
        }

        Ok(Policy {
            organisation,
            checklist,
            grants,
        })
    }
}

fn job_role(code: &Spanned<String>, catalogue: &RbacCatalogue) -> Result<JobRoleCode, String> {
    JobRoleCode::parse(code.get_ref())
        .ok()
        .filter(|role| catalogue.job_role(role).is_some())
        .ok_or_else(|| {
            format!(
                "{:?} is not a job role in the RBAC catalogue",
                code.get_ref()
            )
        })
}

fn activity(code: &Spanned<String>, catalogue: &RbacCatalogue) -> Result<ActivityCode, String> {
    ActivityCode::parse(code.get_ref())
        .ok()
        .filter(|activity| catalogue.activity(activity).is_some())
        .ok_or_else(|| {
            format!(
                "{:?} is not an activity in the RBAC catalogue",
                code.get_ref()
            )
        })
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(offset)
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    organisation: Spanned<String>,
    #[serde(default)]
    checklist: Vec<Spanned<RawRule>>,
    #[serde(default)]
    grants: Vec<Spanned<RawGrant>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: String,
    #[serde(default)]
    staff_groups: Vec<Spanned<String>>,
    #[serde(default)]
    job_roles: Vec<Spanned<String>>,
    #[serde(default)]
    employment_types: Vec<EmploymentType>,
    require: Vec<Requirement>,
    dbs_level: Option<DbsLevel>,
    dbs_max_age_years: Option<u32>,
    #[serde(default)]
    training: Vec<Spanned<String>>,
    #[serde(default)]
    exposure_prone_procedures: bool,
    #[serde(default)]
    regulators: Vec<Regulator>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrant {
    job_role: Option<Spanned<String>>,
    activity: Option<Spanned<String>>,
    system: String,
    role: String,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn catalogue() -> RbacCatalogue {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/sample-data/rbac-roles.json"
        ))
        .unwrap();
        RbacCatalogue::from_json_str(&text).unwrap()
    }

    pub(crate) fn sample_policy() -> Policy {
        Policy::from_toml(include_str!("../policies/RTH.toml"), &catalogue()).unwrap()
    }

    pub(crate) fn post(staff_group: &str, job_role: &str, activities: &[&str]) -> Post {
        Post {
            staff_group: staff_group.into(),
            job_role: JobRoleCode::parse(job_role).unwrap(),
            activities: activities
                .iter()
                .map(|a| ActivityCode::parse(a).unwrap())
                .collect(),
            employment_type: EmploymentType::Permanent,
        }
    }

    #[test]
    fn the_sample_policy_gives_a_doctor_the_union_of_the_rules_that_apply() {
        let policy = sample_policy();
        let doctor = post("Medical and Dental", "R8000", &["B0420", "B0401"]);
        let checklist = policy.checklist_for(&doctor);
        assert_eq!(
            checklist.rules,
            [
                "Everyone",
                "Patient-facing clinical staff",
                "Doctors and dentists"
            ]
        );
        assert_eq!(
            checklist.require,
            Requirement::ALL
                .into_iter()
                .collect::<BTreeSet<Requirement>>()
        );
        assert_eq!(checklist.dbs_level, Some(DbsLevel::EnhancedWithBarredLists));
        assert!(checklist.exposure_prone_procedures);
        assert_eq!(
            checklist.regulators,
            [Regulator::Gmc, Regulator::Gdc].into_iter().collect()
        );
        assert_eq!(checklist.training.len(), 9);
    }

    #[test]
    fn a_receptionist_needs_a_basic_dbs_and_no_occupational_health() {
        let checklist =
            sample_policy().checklist_for(&post("Administrative and Clerical", "R8009", &[]));
        assert_eq!(checklist.rules, ["Everyone", "Office-based staff"]);
        assert_eq!(checklist.dbs_level, Some(DbsLevel::Basic));
        assert!(!checklist.require.contains(&Requirement::OccupationalHealth));
        assert!(!checklist.require.contains(&Requirement::Registration));
    }

    #[test]
    fn rules_can_be_limited_to_an_employment_type_and_a_job_role() {
        let text = r#"
organisation = "RTH"
[[checklist]]
name = "Bank receptionists"
job_roles = ["R8009"]
employment_types = ["bank"]
require = ["identity"]
"#;
        let policy = Policy::from_toml(text, &catalogue()).unwrap();
        let mut bank = post("Administrative and Clerical", "R8009", &[]);
        bank.employment_type = EmploymentType::Bank;
        assert_eq!(policy.checklist_for(&bank).rules, ["Bank receptionists"]);
        let permanent = post("Administrative and Clerical", "R8009", &[]);
        assert!(policy.checklist_for(&permanent).rules.is_empty());
        let clerk = Post {
            employment_type: EmploymentType::Bank,
            ..post("Administrative and Clerical", "R8010", &[])
        };
        assert!(policy.checklist_for(&clerk).rules.is_empty());
    }

    #[test]
    fn grants_come_from_the_post_job_role_and_activities() {
        let policy = sample_policy();
        let grants = policy.grants_for(&post("Medical and Dental", "R8000", &["B0420", "B0401"]));
        let named: Vec<(&str, &str, &str)> = grants
            .iter()
            .map(|g| (g.system.as_str(), g.role.as_str(), g.because.as_str()))
            .collect();
        assert_eq!(
            named,
            [
                (
                    "Electronic patient record (EPR)",
                    "Doctor",
                    "job role R8000"
                ),
                (
                    "Electronic prescribing (EPMA)",
                    "Independent prescriber",
                    "activity B0420"
                ),
            ]
        );
        assert!(policy
            .grants_for(&post("Administrative and Clerical", "R8010", &[]))
            .is_empty());
    }

    #[test]
    fn a_bad_policy_is_refused_with_its_line_and_problem() {
        let base = "organisation = \"RTH\"\n[[checklist]]\nname = \"All\"\n";
        let cases: Vec<(String, usize, &str)> = vec![
            ("organisation = \"RTH\"\n[[checklist\n".into(), 2, "invalid table header"),
            ("organisation = \"ZZZ\"\n".into(), 1, "not an ODS code of a trust"),
            ("organisation = \"RTH\"\n".into(), 1, "at least one [[checklist]]"),
            (format!("{base}require = [\"magic\"]\n"), 4, "unknown variant `magic`"),
            (format!("{base}require = [\"identity\"]\ncolour = \"red\"\n"), 5, "unknown field `colour`"),
            (format!("{base}staff_groups = [\"Wizards\"]\nrequire = [\"identity\"]\n"), 4, "\"Wizards\" is not an ESR staff group"),
            (format!("{base}job_roles = [\"R9999\"]\nrequire = [\"identity\"]\n"), 4, "\"R9999\" is not a job role"),
            (format!("{base}require = []\n"), 2, "requires nothing"),
            (format!("{base}require = [\"dbs\"]\n"), 2, "sets no dbs_level"),
            (format!("{base}require = [\"identity\"]\ndbs_level = \"basic\"\n"), 2, "does not require dbs"),
            (format!("{base}require = [\"identity\"]\ndbs_max_age_years = 3\n"), 2, "sets dbs_max_age_years but no dbs_level"),
            (format!("{base}require = [\"dbs\"]\ndbs_level = \"basic\"\ndbs_max_age_years = 0\n"), 2, "dbs_max_age_years is from 1 to 10"),
            (format!("{base}require = [\"dbs\"]\ndbs_level = \"gold\"\n"), 5, "unknown variant `gold`"),
            (format!("{base}require = [\"training\"]\ntraining = [\"Juggling\"]\n"), 5, "\"Juggling\" is not a Core Skills Training Framework subject"),
            (format!("{base}require = [\"training\"]\n"), 2, "list the training subjects together"),
            (format!("{base}require = [\"identity\"]\nexposure_prone_procedures = true\n"), 2, "does not require occupational_health"),
            (format!("{base}require = [\"identity\"]\nregulators = [\"GMC\"]\n"), 2, "does not require registration"),
            (format!("{base}require = [\"identity\"]\n[[checklist]]\nname = \"All\"\nrequire = [\"identity\"]\n"), 5, "defined twice (first at line 2)"),
            (format!("{base}require = [\"identity\"]\n[[grants]]\njob_role = \"R8000\"\nactivity = \"B0420\"\nsystem = \"EPR\"\nrole = \"Doctor\"\n"), 5, "exactly one of job_role and activity"),
            (format!("{base}require = [\"identity\"]\n[[grants]]\nactivity = \"B9999\"\nsystem = \"EPR\"\nrole = \"Doctor\"\n"), 6, "\"B9999\" is not an activity"),
            (format!("{base}require = [\"identity\"]\n[[grants]]\njob_role = \"R8000\"\nsystem = \" \"\nrole = \"Doctor\"\n"), 5, "needs a system and a role"),
            (format!("{base}require = [\"identity\"]\n[[grants]]\njob_role = \"R8000\"\nsystem = \"EPR\"\nrole = \"Doctor\"\n[[grants]]\njob_role = \"R8000\"\nsystem = \"EPR\"\nrole = \"Doctor\"\n"), 9, "listed twice"),
        ];
        let catalogue = catalogue();
        for (text, line, problem) in cases {
            let error = Policy::from_toml(&text, &catalogue).unwrap_err();
            assert!(
                error.line == line && error.problem.contains(problem),
                "expected line {line} with {problem:?}, got {error}\n--- policy:\n{text}"
            );
        }
    }
}
