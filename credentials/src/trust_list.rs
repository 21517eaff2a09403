//! The trusted-issuer list: which issuer DID, for which NHS organisation, was authorised to
//! issue which credential types, and over which intervals. The trust registry publishes it
//! as a signed `TrustedIssuerListCredential`; verifiers cache it and decide BR-26a with
//! [`TrustList::decide`]. Pure: building, parsing and deciding, no fetching.
//!
//! The rule (ADR 0004): a credential is trusted when its issuer held an authorisation for
//! the credential's type at the time it issued it (its proof's `created`, else `validFrom`)
//! and the issuer has not since been *removed*. Suspension ends an authorisation interval
//! but leaves what was issued before it trusted; removal withdraws trust in everything the
//! issuer ever issued (it is what an operator does after a key compromise, when `created`
//! itself can no longer be believed).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::catalogue::xsd_date_time;
use crate::vocabulary::{CONTEXT_URL, VC_V2_CONTEXT_URL};

pub const TRUST_LIST_CREDENTIAL_TYPE: &str = "TrustedIssuerListCredential";
pub const TRUST_LIST_TYPE: &str = "TrustedIssuerList";
pub const TRUSTED_ISSUER_TYPE: &str = "TrustedIssuer";

/// A trust list credential lists at most this many issuers; more is refused as malformed
/// rather than processed (the NHS has a few hundred organisations).
pub const MAXIMUM_ISSUERS: usize = 10_000;

/// Where an issuer stands in the registry now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IssuerStatus {
    Active,
    /// May not issue for now; what it issued while authorised stays trusted.
    Suspended,
    /// Final: nothing it ever issued is trusted any longer.
    Removed,
}

impl IssuerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IssuerStatus::Active => "active",
            IssuerStatus::Suspended => "suspended",
            IssuerStatus::Removed => "removed",
        }
    }
}

/// One interval during which an issuer could issue some credential types. Past intervals
/// are never rewritten: suspension and removal set `ended_at`, an update ends the current
/// interval and opens a new one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Authorisation {
    /// Catalogue type names (`EmploymentCredential`, …).
    pub credential_types: Vec<String>,
    pub authorised_from: DateTime<Utc>,
    /// The end the operator granted, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorised_until: Option<DateTime<Utc>>,
    /// When a suspension, removal or update ended the interval early.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
}

impl Authorisation {
    /// The interval's end: the earlier of the granted end and the actual end.
    pub fn end(&self) -> Option<DateTime<Utc>> {
        match (self.authorised_until, self.ended_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether this interval let its issuer issue `credential_type` at `at` (start
    /// inclusive, end exclusive).
    pub fn covers(&self, credential_type: &str, at: DateTime<Utc>) -> bool {
        self.credential_types.iter().any(|t| t == credential_type)
            && self.authorised_from <= at
            && self.end().is_none_or(|end| at < end)
    }

    /// Open now: not ended, and `now` inside the granted interval.
    pub fn is_current(&self, now: DateTime<Utc>) -> bool {
        self.ended_at.is_none()
            && self.authorised_from <= now
            && self.authorised_until.is_none_or(|until| now < until)
    }
}

/// One issuer as the trust list shows it. Nothing about status entries or tokens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrustedIssuer {
    /// The issuer's DID.
    pub id: String,
    pub ods_code: String,
    /// The organisation's name.
    pub name: String,
    pub issuer_status: IssuerStatus,
    pub authorisations: Vec<Authorisation>,
}

impl TrustedIssuer {
    /// Whether this issuer could issue `credential_type` at `at` by its intervals alone.
    pub fn was_authorised(&self, credential_type: &str, at: DateTime<Utc>) -> bool {
        self.authorisations
            .iter()
            .any(|a| a.covers(credential_type, at))
    }
}

/// Why a credential's issuer is or is not trusted for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrustDecision {
    Trusted,
    /// The issuer is not in the registry at all.
    NotListed,
    /// The issuer was removed from the registry: nothing it issued is trusted.
    Removed,
    /// The issuer is listed but held no authorisation for this type at that time.
    NotAuthorised,
}

/// A parsed trust list, taken from a credential whose proof the caller has verified.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustList {
    pub issuers: Vec<TrustedIssuer>,
    /// How long a verifier may reuse the list before fetching it again, in milliseconds
    /// (the same meaning as a status list's `ttl`).
    pub ttl_millis: Option<u64>,
}

/// Why a document is not a usable trust list.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a trust list: {0}")]
pub struct TrustListProblem(pub String);

fn problem(detail: impl Into<String>) -> TrustListProblem {
    TrustListProblem(detail.into())
}

fn has_type(value: &Value, wanted: &str) -> bool {
    match value.get("type") {
        Some(Value::String(one)) => one == wanted,
        Some(Value::Array(many)) => many.iter().any(|t| t.as_str() == Some(wanted)),
        _ => false,
    }
}

impl TrustList {
    pub fn issuer(&self, did: &str) -> Option<&TrustedIssuer> {
        self.issuers.iter().find(|i| i.id == did)
    }

    /// BR-26a for one credential type: was `issuer` authorised for it at `issued_at`?
    pub fn decide(
        &self,
        issuer: &str,
        credential_type: &str,
        issued_at: DateTime<Utc>,
    ) -> TrustDecision {
        match self.issuer(issuer) {
            None => TrustDecision::NotListed,
            Some(listed) if listed.issuer_status == IssuerStatus::Removed => TrustDecision::Removed,
            Some(listed) if listed.was_authorised(credential_type, issued_at) => {
                TrustDecision::Trusted
            }
            Some(_) => TrustDecision::NotAuthorised,
        }
    }

    /// The unsigned `TrustedIssuerListCredential`, for the registry to sign.
    pub fn to_credential(
        &self,
        url: &str,
        registry_did: &str,
        valid_from: DateTime<Utc>,
    ) -> Result<Value, TrustListProblem> {
        let mut issuers = Vec::with_capacity(self.issuers.len());
        for issuer in &self.issuers {
            let mut entry =
                serde_json::to_value(issuer).map_err(|e| problem(format!("issuer: {e}")))?;
            if let Some(object) = entry.as_object_mut() {
                object.insert("type".into(), TRUSTED_ISSUER_TYPE.into());
            }
            issuers.push(entry);
        }
        let mut subject = json!({
            "id": format!("{url}#issuers"),
            "type": TRUST_LIST_TYPE,
            "trustedIssuers": issuers,
        });
        if let Some(ttl) = self.ttl_millis {
            subject["ttl"] = ttl.into();
        }
        Ok(json!({
            "@context": [VC_V2_CONTEXT_URL, CONTEXT_URL],
            "id": url,
            "type": ["VerifiableCredential", TRUST_LIST_CREDENTIAL_TYPE],
            "issuer": registry_did,
            "validFrom": xsd_date_time(&valid_from),
            "credentialSubject": subject,
        }))
    }

    /// Reads a trust list credential. The caller must have verified its proof and its
    /// issuer; this only checks its shape.
    pub fn from_credential(credential: &Value) -> Result<Self, TrustListProblem> {
        if !has_type(credential, TRUST_LIST_CREDENTIAL_TYPE) {
            return Err(problem(format!(
                "type must include {TRUST_LIST_CREDENTIAL_TYPE}"
            )));
        }
        let subject = credential
            .get("credentialSubject")
            .and_then(Value::as_object)
            .ok_or_else(|| problem("credentialSubject must be one object"))?;
        if !has_type(&Value::Object(subject.clone()), TRUST_LIST_TYPE) {
            return Err(problem(format!(
                "credentialSubject type must be {TRUST_LIST_TYPE}"
            )));
        }
        let ttl_millis = match subject.get("ttl") {
            None => None,
            Some(ttl) => Some(
                ttl.as_u64()
                    .ok_or_else(|| problem("ttl must be a whole number of milliseconds"))?,
            ),
        };
        let listed = subject
            .get("trustedIssuers")
            .and_then(Value::as_array)
            .ok_or_else(|| problem("trustedIssuers must be an array"))?;
        if listed.len() > MAXIMUM_ISSUERS {
            return Err(problem("too many issuers"));
        }
        let mut issuers = Vec::with_capacity(listed.len());
        for entry in listed {
            let mut object: Map<String, Value> = entry
                .as_object()
                .cloned()
                .ok_or_else(|| problem("each trusted issuer must be an object"))?;
            if object.remove("type").as_ref().and_then(Value::as_str) != Some(TRUSTED_ISSUER_TYPE) {
                return Err(problem(format!(
                    "each trusted issuer must have type {TRUSTED_ISSUER_TYPE}"
                )));
            }
            let issuer: TrustedIssuer = serde_json::from_value(Value::Object(object))
                .map_err(|e| problem(format!("trusted issuer: {e}")))?;
            if !issuer.id.starts_with("did:") {
                return Err(problem("a trusted issuer's id must be a DID"));
            }
            issuers.push(issuer);
        }
        Ok(Self {
            issuers,
            ttl_millis,
        })
    }
}

/// When a credential was issued, for the trust decision: its first proof's `created`, else
/// its `validFrom`. `None` when it says neither (or says it unparseably).
pub fn issued_at(credential: &Value) -> Option<DateTime<Utc>> {
    let proof = match credential.get("proof") {
        Some(Value::Array(proofs)) => proofs.first(),
        Some(one @ Value::Object(_)) => Some(one),
        _ => None,
    };
    proof
        .and_then(|p| p.get("created"))
        .or_else(|| credential.get("validFrom"))
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
}

/// The types a credential claims beyond `VerifiableCredential`: each must be authorised.
pub fn credential_types(credential: &Value) -> Vec<String> {
    let types: Vec<&str> = match credential.get("type") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    types
        .into_iter()
        .filter(|t| *t != "VerifiableCredential")
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    const RJ1: &str = "did:web:rj1.example";

    fn list() -> TrustList {
        TrustList {
            issuers: vec![
                TrustedIssuer {
                    id: RJ1.into(),
                    ods_code: "RJ1".into(),
                    name: "Guy's and St Thomas'".into(),
                    issuer_status: IssuerStatus::Suspended,
                    authorisations: vec![
                        Authorisation {
                            credential_types: vec!["EmploymentCredential".into()],
                            authorised_from: at("2026-01-01T00:00:00Z"),
                            authorised_until: Some(at("2027-01-01T00:00:00Z")),
                            ended_at: Some(at("2026-06-01T00:00:00Z")),
                        },
                        Authorisation {
                            credential_types: vec!["RoleCredential".into()],
                            authorised_from: at("2026-03-01T00:00:00Z"),
                            authorised_until: None,
                            ended_at: Some(at("2026-06-01T00:00:00Z")),
                        },
                    ],
                },
                TrustedIssuer {
                    id: "did:web:gone.example".into(),
                    ods_code: "RR8".into(),
                    name: "Leeds".into(),
                    issuer_status: IssuerStatus::Removed,
                    authorisations: vec![Authorisation {
                        credential_types: vec!["EmploymentCredential".into()],
                        authorised_from: at("2026-01-01T00:00:00Z"),
                        authorised_until: None,
                        ended_at: Some(at("2026-02-01T00:00:00Z")),
                    }],
                },
            ],
            ttl_millis: Some(60_000),
        }
    }

    #[test]
    fn trusted_only_for_its_types_inside_its_intervals() {
        let list = list();
        let cases = [
            (
                "EmploymentCredential",
                "2026-02-01T00:00:00Z",
                TrustDecision::Trusted,
            ),
            (
                "EmploymentCredential",
                "2026-01-01T00:00:00Z",
                TrustDecision::Trusted,
            ),
            (
                "EmploymentCredential",
                "2025-12-31T23:59:59Z",
                TrustDecision::NotAuthorised,
            ),
            // Suspended on 1 June: the end is exclusive.
            (
                "EmploymentCredential",
                "2026-06-01T00:00:00Z",
                TrustDecision::NotAuthorised,
            ),
            (
                "RoleCredential",
                "2026-02-01T00:00:00Z",
                TrustDecision::NotAuthorised,
            ),
            (
                "RoleCredential",
                "2026-04-01T00:00:00Z",
                TrustDecision::Trusted,
            ),
            (
                "SmartcardCredential",
                "2026-04-01T00:00:00Z",
                TrustDecision::NotAuthorised,
            ),
        ];
        for (kind, when, expected) in cases {
            assert_eq!(
                list.decide(RJ1, kind, at(when)),
                expected,
                "{kind} at {when}"
            );
        }
        assert_eq!(
            list.decide(
                "did:web:other.example",
                "EmploymentCredential",
                at("2026-02-01T00:00:00Z")
            ),
            TrustDecision::NotListed
        );
        assert_eq!(
            list.decide(
                "did:web:gone.example",
                "EmploymentCredential",
                at("2026-01-15T00:00:00Z")
            ),
            TrustDecision::Removed,
            "removal withdraws trust even inside a past interval"
        );
    }

    #[test]
    fn granted_end_and_early_end_both_end_an_interval() {
        let mut authorisation = list().issuers[0].authorisations[0].clone();
        assert_eq!(authorisation.end(), Some(at("2026-06-01T00:00:00Z")));
        authorisation.ended_at = None;
        assert_eq!(authorisation.end(), Some(at("2027-01-01T00:00:00Z")));
        assert!(authorisation.is_current(at("2026-12-31T00:00:00Z")));
        assert!(!authorisation.is_current(at("2027-01-01T00:00:00Z")));
        authorisation.authorised_until = None;
        assert_eq!(authorisation.end(), None);
    }

    #[test]
    fn round_trips_through_its_credential() {
        let list = list();
        let credential = list
            .to_credential(
                "https://registry.example/trust-list",
                "did:web:registry.example",
                at("2026-11-24T12:00:00Z"),
            )
            .unwrap();
        assert_eq!(credential["type"][1], TRUST_LIST_CREDENTIAL_TYPE);
        assert_eq!(
            credential["credentialSubject"]["trustedIssuers"][0]["type"],
            TRUSTED_ISSUER_TYPE
        );
        assert_eq!(TrustList::from_credential(&credential).unwrap(), list);
    }

    #[test]
    fn malformed_lists_are_refused() {
        let good = list()
            .to_credential(
                "https://r.example/trust-list",
                "did:web:r.example",
                at("2026-11-24T12:00:00Z"),
            )
            .unwrap();
        let broken = |path: &str, value: Value| {
            let mut copy = good.clone();
            *copy.pointer_mut(path).unwrap() = value;
            copy
        };
        let cases = [
            (
                "wrong type",
                broken("/type", json!(["VerifiableCredential"])),
            ),
            (
                "subject type",
                broken("/credentialSubject/type", json!("Other")),
            ),
            (
                "issuers not array",
                broken("/credentialSubject/trustedIssuers", json!({})),
            ),
            (
                "ttl not a number",
                broken("/credentialSubject/ttl", json!("soon")),
            ),
            (
                "issuer not a DID",
                broken("/credentialSubject/trustedIssuers/0/id", json!("https://x")),
            ),
            (
                "issuer untyped",
                broken("/credentialSubject/trustedIssuers/0/type", json!("Thing")),
            ),
            (
                "bad status",
                broken(
                    "/credentialSubject/trustedIssuers/0/issuerStatus",
                    json!("maybe"),
                ),
            ),
            (
                "bad time",
                broken(
                    "/credentialSubject/trustedIssuers/0/authorisations/0/authorisedFrom",
                    json!("yesterday"),
                ),
            ),
            (
                "unknown field",
                broken(
                    "/credentialSubject/trustedIssuers/0/authorisations/0",
                    json!({"credentialTypes": [], "authorisedFrom": "2026-01-01T00:00:00Z", "statusListIndex": "7"}),
                ),
            ),
        ];
        for (name, document) in cases {
            assert!(TrustList::from_credential(&document).is_err(), "{name}");
        }
    }

    #[test]
    fn issuance_time_is_the_proof_created_else_valid_from() {
        let credential = json!({
            "type": ["VerifiableCredential", "RoleCredential"],
            "validFrom": "2026-01-01T00:00:00Z",
            "proof": {"created": "2026-02-02T10:00:00Z"},
        });
        assert_eq!(issued_at(&credential), Some(at("2026-02-02T10:00:00Z")));
        let unsigned = json!({"validFrom": "2026-01-01T00:00:00Z"});
        assert_eq!(issued_at(&unsigned), Some(at("2026-01-01T00:00:00Z")));
        assert_eq!(issued_at(&json!({"validFrom": "soon"})), None);
        assert_eq!(credential_types(&credential), ["RoleCredential"]);
    }
}
