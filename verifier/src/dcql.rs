//! The Digital Credentials Query Language of OpenID4VP 1.0 (§6), and claims path pointers
//! over JSON credentials (§7), from the verifier's side: a query is checked before it is
//! ever sent (our templates are), and what came back is checked against it.
//!
//! Pure: no I/O, no clock. The formats are the two this verifier accepts: `ldp_vc` (W3C
//! VCs secured with Data Integrity; paths rooted at the credential, B.1) and `dc+sd-jwt`
//! (SD-JWT VC; paths rooted at the processed payload, B.3).

use std::collections::HashSet;

use credentials::sd_jwt::{ClaimPath, PathElement};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const FORMAT_LDP_VC: &str = "ldp_vc";
pub const FORMAT_SD_JWT_VC: &str = "dc+sd-jwt";

/// A DCQL query (§6). Unknown members are ignored when read, as §6 requires.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DcqlQuery {
    pub credentials: Vec<CredentialQuery>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_sets: Option<Vec<CredentialSetQuery>>,
}

/// One Credential Query (§6.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CredentialQuery {
    pub id: String,
    pub format: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub multiple: bool,
    pub meta: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_authorities: Option<Value>,
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub require_cryptographic_holder_binding: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<ClaimsQuery>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_sets: Option<Vec<Vec<String>>>,
}

/// One Claims Query (§6.3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClaimsQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub path: ClaimPath,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
}

/// One Credential Set Query (§6.2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CredentialSetQuery {
    pub options: Vec<Vec<String>>,
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub required: bool,
}

fn default_true() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

/// `[A-Za-z0-9_-]+`: the only characters §6.1 and §6.3 allow in an identifier.
fn valid_identifier(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl DcqlQuery {
    pub fn query(&self, id: &str) -> Option<&CredentialQuery> {
        self.credentials.iter().find(|q| q.id == id)
    }

    /// Every rule of §6 a query must keep, plus what this verifier can honour: only our two
    /// formats, holder binding always required (a credential anyone could replay proves
    /// nothing about who is in front of the officer), no `trusted_authorities` (issuer
    /// trust is ours to decide, against the trust registry).
    pub fn validate(&self) -> Result<(), String> {
        if self.credentials.is_empty() {
            return Err("credentials must not be empty".into());
        }
        let mut ids = HashSet::new();
        for query in &self.credentials {
            if !valid_identifier(&query.id) {
                return Err(format!(
                    "credential query id {:?} must be [A-Za-z0-9_-]+",
                    query.id
                ));
            }
            if !ids.insert(query.id.as_str()) {
                return Err(format!("credential query id {} is used twice", query.id));
            }
            query
                .validate()
                .map_err(|why| format!("credential query {}: {why}", query.id))?;
        }
        if let Some(sets) = &self.credential_sets {
            if sets.is_empty() {
                return Err("credential_sets must not be empty when present".into());
            }
            for (index, set) in sets.iter().enumerate() {
                if set.options.is_empty() || set.options.iter().any(Vec::is_empty) {
                    return Err(format!(
                        "credential set {index}: options must be non-empty arrays"
                    ));
                }
                for id in set.options.iter().flatten() {
                    if !ids.contains(id.as_str()) {
                        return Err(format!(
                            "credential set {index} names {id}, which is not a credential query"
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether the credential queries with a verified presentation satisfy the request
    /// (§6.4.2): every query when there are no `credential_sets`; otherwise one option of
    /// every required set.
    pub fn satisfied_by(&self, answered: &HashSet<&str>) -> Result<(), String> {
        match &self.credential_sets {
            None => {
                let missing: Vec<&str> = self
                    .credentials
                    .iter()
                    .map(|q| q.id.as_str())
                    .filter(|id| !answered.contains(id))
                    .collect();
                if missing.is_empty() {
                    Ok(())
                } else {
                    Err(format!(
                        "no verified presentation for {}",
                        missing.join(", ")
                    ))
                }
            }
            Some(sets) => {
                let unmet: Vec<String> = sets
                    .iter()
                    .filter(|set| set.required)
                    .filter(|set| {
                        !set.options
                            .iter()
                            .any(|option| option.iter().all(|id| answered.contains(id.as_str())))
                    })
                    .map(|set| {
                        set.options
                            .iter()
                            .map(|option| option.join("+"))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    })
                    .collect();
                if unmet.is_empty() {
                    Ok(())
                } else {
                    Err(format!(
                        "no verified presentation for a required set: {}",
                        unmet.join("; ")
                    ))
                }
            }
        }
    }
}

impl CredentialQuery {
    fn validate(&self) -> Result<(), String> {
        match self.format.as_str() {
            FORMAT_LDP_VC => {
                let ok = self
                    .meta
                    .get("type_values")
                    .and_then(Value::as_array)
                    .is_some_and(|alternatives| {
                        !alternatives.is_empty()
                            && alternatives.iter().all(|types| {
                                types.as_array().is_some_and(|types| {
                                    !types.is_empty() && types.iter().all(Value::is_string)
                                })
                            })
                    });
                if !ok {
                    return Err(
                        "meta.type_values must be a non-empty array of non-empty arrays of type IRIs"
                            .into(),
                    );
                }
            }
            FORMAT_SD_JWT_VC => {
                let ok = self
                    .meta
                    .get("vct_values")
                    .and_then(Value::as_array)
                    .is_some_and(|v| !v.is_empty() && v.iter().all(Value::is_string));
                if !ok {
                    return Err("meta.vct_values must be a non-empty array of strings".into());
                }
            }
            other => {
                return Err(format!(
                    "format {other} is not one this verifier accepts ({FORMAT_LDP_VC}, {FORMAT_SD_JWT_VC})"
                ))
            }
        }
        if self.trusted_authorities.is_some() {
            return Err(
                "trusted_authorities is not supported: issuer trust comes from the trust registry"
                    .into(),
            );
        }
        if !self.require_cryptographic_holder_binding {
            return Err("holder binding is always required by this verifier".into());
        }
        let claims = match (&self.claims, &self.claim_sets) {
            (None, Some(_)) => return Err("claim_sets needs claims".into()),
            (None, None) => return Ok(()),
            (Some(claims), _) => claims,
        };
        if claims.is_empty() {
            return Err("claims must not be empty when present".into());
        }
        let mut claim_ids = HashSet::new();
        let mut paths = HashSet::new();
        for claim in claims {
            if claim.path.is_empty() {
                return Err("a claims path must not be empty".into());
            }
            if !paths.insert(&claim.path) {
                return Err(format!(
                    "claim {} is asked for twice",
                    describe_path(&claim.path)
                ));
            }
            if let Some(id) = &claim.id {
                if !valid_identifier(id) {
                    return Err(format!("claim id {id:?} must be [A-Za-z0-9_-]+"));
                }
                if !claim_ids.insert(id.as_str()) {
                    return Err(format!("claim id {id} is used twice"));
                }
            }
            if let Some(values) = &claim.values {
                if values.is_empty()
                    || !values
                        .iter()
                        .all(|v| v.is_string() || v.is_i64() || v.is_u64() || v.is_boolean())
                {
                    return Err(format!(
                        "claim {}: values must be a non-empty array of strings, integers or booleans",
                        describe_path(&claim.path)
                    ));
                }
            }
        }
        if let Some(sets) = &self.claim_sets {
            if claims.iter().any(|c| c.id.is_none()) {
                return Err("every claim needs an id when claim_sets is present".into());
            }
            if sets.is_empty() || sets.iter().any(Vec::is_empty) {
                return Err("claim_sets must be non-empty arrays of claim ids".into());
            }
            for id in sets.iter().flatten() {
                if !claim_ids.contains(id.as_str()) {
                    return Err(format!("claim_sets names {id}, which is not a claim id"));
                }
            }
        }
        Ok(())
    }

    /// The claims this query asks for, chosen against what a credential holds (§6.4.1): all
    /// of `claims`, or the first option of `claim_sets` the credential satisfies. `Err`
    /// says which requested claims are missing (or do not have an asked-for value).
    pub fn chosen_claims<'q>(&'q self, credential: &Value) -> Result<Vec<&'q ClaimsQuery>, String> {
        let Some(claims) = &self.claims else {
            return Ok(Vec::new());
        };
        let unmet = |wanted: &[&ClaimsQuery]| -> Vec<String> {
            wanted
                .iter()
                .filter(|claim| !claim_matches(credential, claim))
                .map(|claim| describe_path(&claim.path))
                .collect()
        };
        match &self.claim_sets {
            None => {
                let all: Vec<&ClaimsQuery> = claims.iter().collect();
                let missing = unmet(&all);
                if missing.is_empty() {
                    Ok(all)
                } else {
                    Err(format!("requested claims missing: {}", missing.join(", ")))
                }
            }
            Some(sets) => sets
                .iter()
                .map(|set| {
                    set.iter()
                        .filter_map(|id| claims.iter().find(|c| c.id.as_deref() == Some(id)))
                        .collect::<Vec<_>>()
                })
                .find(|set| unmet(set).is_empty())
                .ok_or_else(|| "no option of claim_sets is satisfied".to_owned()),
        }
    }

    /// Whether a credential is of a type this query accepts: `ldp_vc` by its expanded type
    /// IRIs (every IRI of one alternative of `type_values`, B.1.1), `dc+sd-jwt` by `vct`
    /// (B.3.5, compared exactly).
    pub fn accepts_type(&self, expanded_types: &[String], vct: Option<&str>) -> bool {
        match self.format.as_str() {
            FORMAT_LDP_VC => self
                .meta
                .get("type_values")
                .and_then(Value::as_array)
                .is_some_and(|alternatives| {
                    alternatives.iter().any(|types| {
                        types.as_array().is_some_and(|types| {
                            types.iter().all(|t| {
                                t.as_str()
                                    .is_some_and(|t| expanded_types.iter().any(|have| have == t))
                            })
                        })
                    })
                }),
            FORMAT_SD_JWT_VC => self
                .meta
                .get("vct_values")
                .and_then(Value::as_array)
                .is_some_and(|values| {
                    values
                        .iter()
                        .any(|v| v.as_str().is_some() && v.as_str() == vct)
                }),
            _ => false,
        }
    }
}

pub fn describe_path(path: &[PathElement]) -> String {
    serde_json::to_string(path).unwrap_or_default()
}

/// A claims path pointer applied to a JSON credential (§7.1.1): the selected elements, or
/// an error when processing aborts (a step meets the wrong kind of value, or nothing is
/// left selected).
pub fn select<'v>(root: &'v Value, path: &[PathElement]) -> Result<Vec<&'v Value>, String> {
    if path.is_empty() {
        return Err("an empty claims path".into());
    }
    let mut selected = vec![root];
    for step in path {
        let mut next = Vec::new();
        for element in selected {
            match (step, element) {
                (PathElement::Key(key), Value::Object(object)) => next.extend(object.get(key)),
                (PathElement::Key(key), _) => {
                    return Err(format!("{key} is looked up in something not an object"))
                }
                (PathElement::AllElements, Value::Array(items)) => next.extend(items.iter()),
                (PathElement::Index(index), Value::Array(items)) => next.extend(items.get(*index)),
                (_, _) => return Err("an array step meets something not an array".into()),
            }
        }
        selected = next;
    }
    if selected.is_empty() {
        return Err(format!("{} selects nothing", describe_path(path)));
    }
    Ok(selected)
}

/// The claim is there and, when `values` is given, one selected element has one of those
/// values with the same JSON type (§6.3: `1` is not `"1"`, nor `true`).
pub fn claim_matches(root: &Value, claim: &ClaimsQuery) -> bool {
    match select(root, &claim.path) {
        Err(_) => false,
        Ok(selected) => match &claim.values {
            None => true,
            Some(values) => selected.iter().any(|s| values.contains(s)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn query(json: Value) -> DcqlQuery {
        serde_json::from_value(json).unwrap()
    }

    fn sd(id: &str) -> Value {
        json!({"id": id, "format": "dc+sd-jwt", "meta": {"vct_values": ["https://x.example/vct"]},
               "claims": [{"path": ["givenName"]}]})
    }

    #[test]
    fn valid_queries_pass_and_round_trip_with_defaults_left_out() {
        let q = query(json!({
            "credentials": [
                {"id": "a", "format": "ldp_vc", "meta": {"type_values": [["https://x#T"]]},
                 "claims": [{"id": "g", "path": ["credentialSubject", "givenName"]},
                            {"id": "f", "path": ["credentialSubject", "checks", null, "type"], "values": ["DBS"]}],
                 "claim_sets": [["g", "f"], ["g"]]},
                sd("b"),
            ],
            "credential_sets": [{"options": [["a"], ["b"]]}],
            "unknown_member": "ignored",
        }));
        q.validate().unwrap();
        let written = serde_json::to_value(&q).unwrap();
        assert!(written.get("unknown_member").is_none());
        assert!(written["credentials"][1].get("multiple").is_none());
        assert!(written["credentials"][1]
            .get("require_cryptographic_holder_binding")
            .is_none());
        assert!(written["credential_sets"][0].get("required").is_none());
        assert_eq!(
            written["credentials"][0]["claims"][1]["path"],
            json!(["credentialSubject", "checks", null, "type"])
        );
    }

    #[test]
    fn every_broken_rule_is_refused_with_its_reason() {
        let cases: Vec<(Value, &str)> = vec![
            (json!({"credentials": []}), "must not be empty"),
            (json!({"credentials": [sd("a b")]}), "[A-Za-z0-9_-]+"),
            (json!({"credentials": [sd("a"), sd("a")]}), "used twice"),
            (
                json!({"credentials": [{"id": "a", "format": "mso_mdoc", "meta": {}}]}),
                "not one this verifier accepts",
            ),
            (
                json!({"credentials": [{"id": "a", "format": "dc+sd-jwt", "meta": {}}]}),
                "vct_values",
            ),
            (
                json!({"credentials": [{"id": "a", "format": "ldp_vc", "meta": {"type_values": ["T"]}}]}),
                "type_values",
            ),
            (
                json!({"credentials": [{"id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": ["v"]}, "require_cryptographic_holder_binding": false}]}),
                "holder binding",
            ),
            (
                json!({"credentials": [{"id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": ["v"]}, "trusted_authorities": [{"type": "aki", "values": ["x"]}]}]}),
                "trusted_authorities",
            ),
            (
                json!({"credentials": [{"id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": ["v"]}, "claims": []}]}),
                "claims must not be empty",
            ),
            (
                json!({"credentials": [{"id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": ["v"]}, "claims": [{"path": []}]}]}),
                "path must not be empty",
            ),
            (
                json!({"credentials": [{"id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": ["v"]}, "claims": [{"path": ["x"]}, {"path": ["x"]}]}]}),
                "asked for twice",
            ),
            (
                json!({"credentials": [{"id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": ["v"]}, "claims": [{"path": ["x"], "values": [1.5]}]}]}),
                "values must be",
            ),
            (
                json!({"credentials": [{"id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": ["v"]}, "claim_sets": [["x"]]}]}),
                "claim_sets needs claims",
            ),
            (
                json!({"credentials": [{"id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": ["v"]}, "claims": [{"path": ["x"]}], "claim_sets": [["x"]]}]}),
                "needs an id",
            ),
            (
                json!({"credentials": [{"id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": ["v"]}, "claims": [{"id": "x", "path": ["x"]}], "claim_sets": [["y"]]}]}),
                "not a claim id",
            ),
            (
                json!({"credentials": [sd("a")], "credential_sets": []}),
                "credential_sets must not be empty",
            ),
            (
                json!({"credentials": [sd("a")], "credential_sets": [{"options": [[]]}]}),
                "non-empty arrays",
            ),
            (
                json!({"credentials": [sd("a")], "credential_sets": [{"options": [["b"]]}]}),
                "not a credential query",
            ),
        ];
        for (json, expected) in cases {
            let error = query(json.clone()).validate().unwrap_err();
            assert!(error.contains(expected), "{json}: {error}");
        }
    }

    #[test]
    fn claims_path_pointers_follow_section_7() {
        let credential = json!({
            "name": "Arthur Dent",
            "address": {"street_address": "42 Market Street"},
            "degrees": [{"type": "BSc"}, {"type": "MSc"}, {"other": 1}],
            "nationalities": ["British", "Betelgeusian"]
        });
        let path = |j: Value| -> ClaimPath { serde_json::from_value(j).unwrap() };
        assert_eq!(
            select(&credential, &path(json!(["name"]))).unwrap(),
            [&json!("Arthur Dent")]
        );
        assert_eq!(
            select(&credential, &path(json!(["degrees", null, "type"]))).unwrap(),
            [&json!("BSc"), &json!("MSc")]
        );
        assert_eq!(
            select(&credential, &path(json!(["nationalities", 1]))).unwrap(),
            [&json!("Betelgeusian")]
        );
        assert!(select(&credential, &path(json!(["nationalities", 2]))).is_err());
        assert!(select(&credential, &path(json!(["missing"]))).is_err());
        assert!(select(&credential, &path(json!(["name", "x"]))).is_err());
        assert!(select(&credential, &path(json!(["address", null]))).is_err());
        assert!(serde_json::from_value::<ClaimPath>(json!(["a", -1])).is_err());
    }

    #[test]
    fn values_match_by_type_and_value() {
        let credential = json!({"level": 2, "flag": true, "s": "2"});
        let claim = |path: &str, values: Value| ClaimsQuery {
            id: None,
            path: vec![PathElement::Key(path.into())],
            values: serde_json::from_value(values).unwrap(),
        };
        assert!(claim_matches(&credential, &claim("level", json!([1, 2]))));
        assert!(!claim_matches(&credential, &claim("level", json!(["2"]))));
        assert!(!claim_matches(&credential, &claim("s", json!([2]))));
        assert!(claim_matches(&credential, &claim("flag", json!([true]))));
        assert!(claim_matches(&credential, &claim("s", Value::Null)));
    }

    #[test]
    fn claim_sets_choose_the_first_option_the_credential_satisfies() {
        let q = query(json!({"credentials": [{
            "id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": ["v"]},
            "claims": [{"id": "over18", "path": ["age_over_18"]}, {"id": "birth", "path": ["birthdate"]}],
            "claim_sets": [["over18"], ["birth"]]
        }]}));
        let query = &q.credentials[0];
        let chosen = query
            .chosen_claims(&json!({"birthdate": "2000-01-01"}))
            .unwrap();
        assert_eq!(chosen.len(), 1);
        assert_eq!(chosen[0].id.as_deref(), Some("birth"));
        let chosen = query
            .chosen_claims(&json!({"birthdate": "x", "age_over_18": true}))
            .unwrap();
        assert_eq!(chosen[0].id.as_deref(), Some("over18"));
        assert!(query.chosen_claims(&json!({})).is_err());
        let all = query_all();
        let error = all.credentials[0]
            .chosen_claims(&json!({"a": 1}))
            .unwrap_err();
        assert!(error.contains("[\"b\"]"), "{error}");
    }

    fn query_all() -> DcqlQuery {
        query(json!({"credentials": [{
            "id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": ["v"]},
            "claims": [{"path": ["a"]}, {"path": ["b"]}]
        }]}))
    }

    #[test]
    fn types_are_matched_per_format() {
        let q = query(json!({"credentials": [
            {"id": "l", "format": "ldp_vc", "meta": {"type_values": [["https://x#A", "https://x#B"], ["https://x#C"]]}},
            {"id": "s", "format": "dc+sd-jwt", "meta": {"vct_values": ["https://x/vct/a"]}}
        ]}));
        let types = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(q.credentials[0].accepts_type(&types(&["https://x#A", "https://x#B", "z"]), None));
        assert!(q.credentials[0].accepts_type(&types(&["https://x#C"]), None));
        assert!(!q.credentials[0].accepts_type(&types(&["https://x#A"]), None));
        assert!(q.credentials[1].accepts_type(&[], Some("https://x/vct/a")));
        assert!(!q.credentials[1].accepts_type(&[], Some("https://x/vct/A")));
        assert!(!q.credentials[1].accepts_type(&[], None));
    }

    #[test]
    fn credential_sets_need_one_option_of_every_required_set() {
        let q = query(json!({
            "credentials": [sd("id_l"), sd("id_s"), sd("reg_l"), sd("reg_s")],
            "credential_sets": [
                {"options": [["id_l"], ["id_s"]]},
                {"options": [["reg_l"], ["reg_s"]], "required": false}
            ]
        }));
        q.validate().unwrap();
        assert!(q.satisfied_by(&HashSet::from(["id_s"])).is_ok());
        let error = q.satisfied_by(&HashSet::from(["reg_l"])).unwrap_err();
        assert!(error.contains("id_l or id_s"), "{error}");
        let plain = query(json!({"credentials": [sd("a"), sd("b")]}));
        assert!(plain.satisfied_by(&HashSet::from(["a", "b"])).is_ok());
        assert!(plain
            .satisfied_by(&HashSet::from(["a"]))
            .unwrap_err()
            .contains('b'));
    }
}
