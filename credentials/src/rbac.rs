//! The RBAC and organisation catalogue: an extract of the National RBAC Database (job roles,
//! activities, baseline activities per role), the trusts we know, ESR staff groups, and each
//! trust's access control positions (PBAC). The file format is that of
//! `shared/sample-data/rbac-roles.json`; loading checks every cross-reference, so a loaded
//! catalogue never points at a code it does not contain.

use std::collections::{BTreeMap, BTreeSet};

use crate::identifiers::{ActivityCode, JobRoleCode, OdsCode};
use serde::{Deserialize, Serialize};

/// Why an RBAC catalogue could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// Not JSON, or a field has the wrong type or an invalid code.
    #[error("the RBAC catalogue is malformed: {0}")]
    Malformed(#[from] serde_json::Error),
    /// The same code appears twice in one list.
    #[error("the RBAC catalogue lists {kind} {code} more than once")]
    Duplicate { kind: &'static str, code: String },
    /// An entry refers to a code the catalogue does not define.
    #[error("{owner} refers to {kind} {code}, which the RBAC catalogue does not define")]
    UnknownReference {
        owner: String,
        kind: &'static str,
        code: String,
    },
}

/// A national RBAC job role (`R` code).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRole {
    pub code: JobRoleCode,
    pub name: String,
}

/// A national RBAC activity (`B` code) and the activities it implies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub code: ActivityCode,
    pub name: String,
    /// Activities granted implicitly with this one (B0825 ⇒ B0820); direct only, see
    /// [`RbacCatalogue::expand_activities`] for the transitive closure.
    #[serde(default)]
    pub includes: Vec<ActivityCode>,
}

/// An NHS organisation that may employ staff and issue credentials.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trust {
    pub ods: OdsCode,
    pub name: String,
}

/// A trust's access control position: the PBAC mapping from an ESR position to a role profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessControlPosition {
    pub acp_id: String,
    pub org_ods: OdsCode,
    /// The ESR position title this ACP maps.
    pub name: String,
    pub job_role: JobRoleCode,
    /// Local activities on top of the job role's baseline.
    #[serde(default)]
    pub extra_activities: Vec<ActivityCode>,
    pub area_of_work: Option<String>,
}

/// The loaded, cross-checked catalogue.
#[derive(Clone, Debug)]
pub struct RbacCatalogue {
    job_roles: BTreeMap<JobRoleCode, JobRole>,
    activities: BTreeMap<ActivityCode, Activity>,
    baseline: BTreeMap<JobRoleCode, Vec<ActivityCode>>,
    trusts: BTreeMap<OdsCode, Trust>,
    access_control_positions: BTreeMap<String, AccessControlPosition>,
    staff_groups: BTreeSet<String>,
}

impl RbacCatalogue {
    /// Parses and cross-checks a catalogue in the `rbac-roles.json` format.
    pub fn from_json_str(text: &str) -> Result<Self, CatalogueError> {
        let raw: RawCatalogue = serde_json::from_str(text)?;

        let job_roles = index_unique(
            "job role",
            raw.job_roles,
            |r| r.code.clone(),
            ToString::to_string,
        )?;
        let activities = index_unique(
            "activity",
            raw.activities,
            |a| a.code.clone(),
            ToString::to_string,
        )?;
        let trusts = index_unique("trust", raw.trusts, |t| t.ods.clone(), ToString::to_string)?;
        let access_control_positions = index_unique(
            "access control position",
            raw.access_control_positions,
            |a| a.acp_id.clone(),
            Clone::clone,
        )?;
        let staff_groups = index_unique(
            "staff group",
            raw.esr_staff_groups,
            |g| g.name.clone(),
            Clone::clone,
        )?
        .into_keys()
        .collect::<BTreeSet<_>>();
        let areas_of_work = index_unique(
            "area of work",
            raw.areas_of_work,
            |a| a.code.clone(),
            Clone::clone,
        )?;

        let known_activity = |owner: &str, code: &ActivityCode| {
            if activities.contains_key(code) {
                Ok(())
            } else {
                Err(CatalogueError::UnknownReference {
                    owner: owner.to_owned(),
                    kind: "activity",
                    code: code.to_string(),
                })
            }
        };
        for activity in activities.values() {
            for included in &activity.includes {
                known_activity(&format!("activity {}", activity.code), included)?;
            }
        }
        let mut baseline = BTreeMap::new();
        for (role, policy) in raw.baseline_policy {
            let owner = format!("the baseline policy of {role}");
            if !job_roles.contains_key(&role) {
                return Err(CatalogueError::UnknownReference {
                    owner,
                    kind: "job role",
                    code: role.to_string(),
                });
            }
            for activity in &policy.activities {
                known_activity(&owner, activity)?;
            }
            baseline.insert(role, policy.activities);
        }
        for acp in access_control_positions.values() {
            let owner = format!("access control position {}", acp.acp_id);
            if !trusts.contains_key(&acp.org_ods) {
                return Err(CatalogueError::UnknownReference {
                    owner,
                    kind: "trust",
                    code: acp.org_ods.to_string(),
                });
            }
            if !job_roles.contains_key(&acp.job_role) {
                return Err(CatalogueError::UnknownReference {
                    owner,
                    kind: "job role",
                    code: acp.job_role.to_string(),
                });
            }
            for activity in &acp.extra_activities {
                known_activity(&owner, activity)?;
            }
            if let Some(area) = &acp.area_of_work {
                if !areas_of_work.contains_key(area) {
                    return Err(CatalogueError::UnknownReference {
                        owner,
                        kind: "area of work",
                        code: area.clone(),
                    });
                }
            }
        }

        Ok(Self {
            job_roles,
            activities,
            baseline,
            trusts,
            access_control_positions,
            staff_groups,
        })
    }

    /// The job role with this code, if the catalogue defines it.
    pub fn job_role(&self, code: &JobRoleCode) -> Option<&JobRole> {
        self.job_roles.get(code)
    }

    /// The activity with this code, if the catalogue defines it.
    pub fn activity(&self, code: &ActivityCode) -> Option<&Activity> {
        self.activities.get(code)
    }

    /// The given activities plus everything they include, transitively (BR-4). Codes the
    /// catalogue does not define are kept as given; checking them is the caller's business.
    pub fn expand_activities(&self, codes: &[ActivityCode]) -> BTreeSet<ActivityCode> {
        let mut expanded = BTreeSet::new();
        let mut pending: Vec<&ActivityCode> = codes.iter().collect();
        while let Some(code) = pending.pop() {
            // Inserting first makes a cycle of includes terminate.
            if expanded.insert(code.clone()) {
                if let Some(activity) = self.activities.get(code) {
                    pending.extend(activity.includes.iter());
                }
            }
        }
        expanded
    }

    /// The baseline activities of a job role (empty when the catalogue has no baseline for it).
    pub fn baseline_activities(&self, role: &JobRoleCode) -> &[ActivityCode] {
        self.baseline.get(role).map_or(&[], Vec::as_slice)
    }

    /// Every activity a role profile derived from this ACP may carry: the job role's
    /// baseline plus the ACP's extras, expanded (BR-9).
    pub fn pbac_activities(&self, acp: &AccessControlPosition) -> BTreeSet<ActivityCode> {
        let mut granted = self.baseline_activities(&acp.job_role).to_vec();
        granted.extend(acp.extra_activities.iter().cloned());
        self.expand_activities(&granted)
    }

    /// The trust with this ODS code, if it is in the organisation registry (BR-3).
    pub fn trust(&self, ods: &OdsCode) -> Option<&Trust> {
        self.trusts.get(ods)
    }

    /// Every trust in the catalogue, by ODS code.
    pub fn trusts(&self) -> impl Iterator<Item = &Trust> {
        self.trusts.values()
    }

    /// The access control positions one trust defines, by id.
    pub fn access_control_positions_of<'a>(
        &'a self,
        ods: &'a OdsCode,
    ) -> impl Iterator<Item = &'a AccessControlPosition> + 'a {
        self.access_control_positions
            .values()
            .filter(move |acp| acp.org_ods == *ods)
    }

    /// The ESR staff groups, in name order.
    pub fn staff_groups(&self) -> impl Iterator<Item = &str> {
        self.staff_groups.iter().map(String::as_str)
    }

    /// The access control position with this id, if any trust defines it.
    pub fn access_control_position(&self, acp_id: &str) -> Option<&AccessControlPosition> {
        self.access_control_positions.get(acp_id)
    }

    /// Whether this is one of the ESR staff groups the catalogue lists.
    pub fn has_staff_group(&self, name: &str) -> bool {
        self.staff_groups.contains(name)
    }
}

/// The file's shape. Extra keys (`_note`, `status`, `source`, `workgroups`, …) are ignored.
#[derive(Deserialize)]
struct RawCatalogue {
    job_roles: Vec<JobRole>,
    activities: Vec<Activity>,
    #[serde(default)]
    baseline_policy: BTreeMap<JobRoleCode, RawBaseline>,
    #[serde(default)]
    areas_of_work: Vec<RawAreaOfWork>,
    esr_staff_groups: Vec<RawStaffGroup>,
    trusts: Vec<Trust>,
    access_control_positions: Vec<AccessControlPosition>,
}

#[derive(Deserialize)]
struct RawBaseline {
    activities: Vec<ActivityCode>,
}

#[derive(Deserialize)]
struct RawAreaOfWork {
    code: String,
}

#[derive(Deserialize)]
struct RawStaffGroup {
    name: String,
}

fn index_unique<K: Ord, T>(
    kind: &'static str,
    items: Vec<T>,
    key: impl Fn(&T) -> K,
    show: impl Fn(&K) -> String,
) -> Result<BTreeMap<K, T>, CatalogueError> {
    let mut index = BTreeMap::new();
    for item in items {
        let k = key(&item);
        if index.contains_key(&k) {
            return Err(CatalogueError::Duplicate {
                kind,
                code: show(&k),
            });
        }
        index.insert(k, item);
    }
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SAMPLE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/sample-data/rbac-roles.json"
    );

    fn sample() -> RbacCatalogue {
        let text = std::fs::read_to_string(SAMPLE).expect("sample catalogue readable");
        RbacCatalogue::from_json_str(&text).expect("sample catalogue loads")
    }

    fn role(code: &str) -> JobRoleCode {
        JobRoleCode::parse(code).unwrap()
    }

    fn act(code: &str) -> ActivityCode {
        ActivityCode::parse(code).unwrap()
    }

    fn acts(codes: &[&str]) -> BTreeSet<ActivityCode> {
        codes.iter().map(|c| act(c)).collect()
    }

    /// A tiny valid catalogue to mutate in the error tests.
    fn minimal() -> serde_json::Value {
        json!({
            "job_roles": [{"code": "R8000", "name": "Clinical Practitioner Access Role"}],
            "activities": [
                {"code": "B0001", "name": "a", "includes": ["B0002"]},
                {"code": "B0002", "name": "b", "includes": ["B0003"]},
                {"code": "B0003", "name": "c", "includes": ["B0001"]},
                {"code": "B0004", "name": "d"}
            ],
            "baseline_policy": {"R8000": {"activities": ["B0004"]}},
            "areas_of_work": [{"code": "AOW", "name": "Somewhere"}],
            "esr_staff_groups": [{"name": "Medical and Dental"}],
            "trusts": [{"ods": "RJ1", "name": "A trust"}],
            "access_control_positions": [{"acp_id": "RJ1-ACP-01", "org_ods": "RJ1", "name": "Doctor",
                "job_role": "R8000", "extra_activities": ["B0001"], "area_of_work": "AOW"}]
        })
    }

    fn load(value: &serde_json::Value) -> Result<RbacCatalogue, CatalogueError> {
        RbacCatalogue::from_json_str(&value.to_string())
    }

    #[test]
    fn the_sample_catalogue_loads_with_everything_in_it() {
        let catalogue = sample();
        assert_eq!(catalogue.job_roles.len(), 14);
        assert_eq!(catalogue.activities.len(), 15);
        assert_eq!(catalogue.trusts().count(), 4);
        assert_eq!(catalogue.access_control_positions.len(), 52);
        assert_eq!(catalogue.staff_groups.len(), 9);
    }

    #[test]
    fn lookups_find_known_codes_and_only_those() {
        let catalogue = sample();
        assert_eq!(
            catalogue.job_role(&role("R8000")).map(|r| r.name.as_str()),
            Some("Clinical Practitioner Access Role")
        );
        assert!(catalogue.job_role(&role("R9999")).is_none());
        assert_eq!(
            catalogue
                .activity(&act("B0825"))
                .map(|a| a.includes.clone()),
            Some(vec![act("B0820")])
        );
        assert!(catalogue.activity(&act("B9999")).is_none());
        let rj1 = OdsCode::parse("RJ1").unwrap();
        assert_eq!(
            catalogue.trust(&rj1).map(|t| t.name.as_str()),
            Some("Guy's and St Thomas' NHS Foundation Trust")
        );
        assert!(catalogue.trust(&OdsCode::parse("XYZ").unwrap()).is_none());
        let acp = catalogue
            .access_control_position("RJ1-ACP-05")
            .expect("ACP");
        assert_eq!(
            (acp.org_ods.as_str(), acp.job_role.as_str()),
            ("RJ1", "R8001")
        );
        assert_eq!(acp.extra_activities, vec![act("B0420")]);
        assert_eq!(acp.area_of_work.as_deref(), Some("ILL-AOW-01"));
        assert_eq!(
            catalogue
                .access_control_position("RJ1-ACP-13")
                .and_then(|a| a.area_of_work.clone()),
            None
        );
        assert!(catalogue.access_control_position("RJ1-ACP-99").is_none());
        assert!(catalogue.has_staff_group("Medical and Dental"));
        assert!(!catalogue.has_staff_group("medical and dental"));
    }

    #[test]
    fn activities_expand_through_includes() {
        let catalogue = sample();
        assert_eq!(
            catalogue.expand_activities(&[act("B0825")]),
            acts(&["B0825", "B0820"])
        );
        assert_eq!(
            catalogue.expand_activities(&[act("B0420")]),
            acts(&["B0420"])
        );
        assert_eq!(catalogue.expand_activities(&[]), BTreeSet::new());
        // Unknown codes are kept, not dropped silently.
        assert_eq!(
            catalogue.expand_activities(&[act("B9999")]),
            acts(&["B9999"])
        );
    }

    #[test]
    fn expansion_is_transitive_and_survives_a_cycle() {
        let catalogue = load(&minimal()).unwrap();
        assert_eq!(
            catalogue.expand_activities(&[act("B0001")]),
            acts(&["B0001", "B0002", "B0003"])
        );
        assert_eq!(
            catalogue.expand_activities(&[act("B0003"), act("B0004")]),
            acts(&["B0001", "B0002", "B0003", "B0004"])
        );
    }

    #[test]
    fn pbac_activities_are_the_baseline_plus_the_acp_extras() {
        let catalogue = sample();
        let acp = catalogue.access_control_position("RJ1-ACP-05").unwrap();
        assert_eq!(
            catalogue.pbac_activities(acp),
            acts(&["B0278", "B0401", "B0820", "B0420"])
        );
        assert_eq!(
            catalogue.baseline_activities(&role("R8012")),
            &[] as &[ActivityCode]
        );
        assert_eq!(
            catalogue.baseline_activities(&role("R9999")),
            &[] as &[ActivityCode]
        );
    }

    #[test]
    fn broken_catalogues_are_refused_with_a_typed_error() {
        type Mutation = fn(&mut serde_json::Value);
        let cases: &[(Mutation, &str)] = &[
            (|c| *c = json!([]), "malformed"),
            (|c| c["trusts"][0]["ods"] = json!("rj1"), "malformed"),
            (|c| c["job_roles"][0]["code"] = json!(8000), "malformed"),
            (
                |c| {
                    c.as_object_mut().unwrap().remove("trusts");
                },
                "malformed",
            ),
            (
                |c| c["trusts"] = json!([{"ods": "RJ1", "name": "a"}, {"ods": "RJ1", "name": "b"}]),
                "duplicate",
            ),
            (
                |c| c["activities"][3]["includes"] = json!(["B0999"]),
                "unknown",
            ),
            (
                |c| c["baseline_policy"]["R8001"] = json!({"activities": []}),
                "unknown",
            ),
            (
                |c| c["baseline_policy"]["R8000"]["activities"] = json!(["B0999"]),
                "unknown",
            ),
            (
                |c| c["access_control_positions"][0]["org_ods"] = json!("RTH"),
                "unknown",
            ),
            (
                |c| c["access_control_positions"][0]["job_role"] = json!("R8001"),
                "unknown",
            ),
            (
                |c| c["access_control_positions"][0]["extra_activities"] = json!(["B0999"]),
                "unknown",
            ),
            (
                |c| c["access_control_positions"][0]["area_of_work"] = json!("NOPE"),
                "unknown",
            ),
        ];
        assert!(load(&minimal()).is_ok());
        for (i, (mutate, expected)) in cases.iter().enumerate() {
            let mut value = minimal();
            mutate(&mut value);
            let got = match load(&value) {
                Err(CatalogueError::Malformed(_)) => "malformed",
                Err(CatalogueError::Duplicate { .. }) => "duplicate",
                Err(CatalogueError::UnknownReference { .. }) => "unknown",
                Ok(_) => "loaded",
            };
            assert_eq!(got, *expected, "case {i}");
        }
        assert!(RbacCatalogue::from_json_str("not json").is_err());
    }
}
