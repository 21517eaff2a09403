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
//!
//! The same list names the *trusted verifiers* (ADR 0006): which DIDs may ask a wallet for
//! a presentation, on behalf of which NHS organisation. A wallet decides with
//! [`TrustList::verifier_trust`] before it shows the holder who asks; only the verifier's
//! standing now counts, since a presentation is made now, in front of the holder.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::catalogue::xsd_date_time;
use crate::vocabulary::{CONTEXT_URL, VC_V2_CONTEXT_URL};

pub const TRUST_LIST_CREDENTIAL_TYPE: &str = "TrustedIssuerListCredential";
pub const TRUST_LIST_TYPE: &str = "TrustedIssuerList";
pub const TRUSTED_ISSUER_TYPE: &str = "TrustedIssuer";
pub const TRUSTED_VERIFIER_TYPE: &str = "TrustedVerifier";

/// A trust list credential lists at most this many issuers; more is refused as malformed
/// rather than processed (the NHS has a few hundred organisations).
pub const MAXIMUM_ISSUERS: usize = 10_000;

/// A trust list credential lists at most this many verifiers; more is refused as malformed
/// (an organisation runs a handful of onboarding desks, not thousands).
pub const MAXIMUM_VERIFIERS: usize = 10_000;

/// Where a registration (an issuer's or a verifier's) stands in the registry now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationStatus {
    Active,
    /// Paused by the operator: an issuer may not issue, though what it issued while
    /// authorised stays trusted; a verifier may not be presented to.
    Suspended,
    /// Final: nothing an issuer ever issued is trusted any longer; a verifier is never
    /// presented to again.
    Removed,
}

/// An issuer's status: the registration status, under the name the trust list has always
/// used for issuers.
pub type IssuerStatus = RegistrationStatus;

/// A verifier's status: the same three states as an issuer's.
pub type VerifierStatus = RegistrationStatus;

impl RegistrationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationStatus::Active => "active",
            RegistrationStatus::Suspended => "suspended",
            RegistrationStatus::Removed => "removed",
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

/// One verifier as the trust list shows it: a DID that may ask wallets for presentations
/// on behalf of an NHS organisation (BR-30: NHS verifiers only, unless a separate policy
/// says otherwise).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrustedVerifier {
    /// The verifier's DID (the one its OpenID4VP `client_id` names).
    pub id: String,
    pub ods_code: String,
    /// What the holder is shown: the organisation and the desk, e.g. "… onboarding".
    pub name: String,
    pub verifier_status: VerifierStatus,
    pub registered_at: DateTime<Utc>,
    /// When the operator removed it; absent while it may still be reinstated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
}

/// Whether a wallet may present to a verifier now, and who to show the holder if so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifierTrust {
    Trusted {
        name: String,
        ods_code: String,
    },
    /// Listed, but the operator has paused it: refuse for now.
    Suspended,
    /// Removed from the registry for good: refuse.
    Removed,
    /// Not in the registry (or not registered yet at `now`): refuse.
    Unknown,
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
    /// Verifiers wallets may present to; a list from before verifiers were listed has none.
    pub verifiers: Vec<TrustedVerifier>,
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

    pub fn verifier(&self, did: &str) -> Option<&TrustedVerifier> {
        self.verifiers.iter().find(|v| v.id == did)
    }

    /// Whether a wallet may present to the verifier `did` at `now`. Only the present
    /// counts: a verifier's past standing says nothing about a presentation made now.
    pub fn verifier_trust(&self, did: &str, now: DateTime<Utc>) -> VerifierTrust {
        let Some(listed) = self.verifier(did) else {
            return VerifierTrust::Unknown;
        };
        if listed.verifier_status == VerifierStatus::Removed
            || listed.ended_at.is_some_and(|ended| ended <= now)
        {
            return VerifierTrust::Removed;
        }
        if listed.verifier_status == VerifierStatus::Suspended {
            return VerifierTrust::Suspended;
        }
        if now < listed.registered_at {
            return VerifierTrust::Unknown;
        }
        VerifierTrust::Trusted {
            name: listed.name.clone(),
            ods_code: listed.ods_code.clone(),
        }
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
        // Left out when empty, so a registry without verifiers still signs a list that
        // verifiers embedding the context from before verifiers were listed can read.
        if !self.verifiers.is_empty() {
            let mut verifiers = Vec::with_capacity(self.verifiers.len());
            for verifier in &self.verifiers {
                let mut entry = serde_json::to_value(verifier)
                    .map_err(|e| problem(format!("verifier: {e}")))?;
                if let Some(object) = entry.as_object_mut() {
                    object.insert("type".into(), TRUSTED_VERIFIER_TYPE.into());
                }
                verifiers.push(entry);
            }
            subject["trustedVerifiers"] = verifiers.into();
        }
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
        let verifiers = match subject.get("trustedVerifiers") {
            None => Vec::new(),
            Some(listed) => verifiers_from(listed)?,
        };
        Ok(Self {
            issuers,
            verifiers,
            ttl_millis,
        })
    }
}

fn verifiers_from(listed: &Value) -> Result<Vec<TrustedVerifier>, TrustListProblem> {
    let listed = listed
        .as_array()
        .ok_or_else(|| problem("trustedVerifiers must be an array"))?;
    if listed.len() > MAXIMUM_VERIFIERS {
        return Err(problem("too many verifiers"));
    }
    let mut verifiers = Vec::with_capacity(listed.len());
    for entry in listed {
        let mut object: Map<String, Value> = entry
            .as_object()
            .cloned()
            .ok_or_else(|| problem("each trusted verifier must be an object"))?;
        if object.remove("type").as_ref().and_then(Value::as_str) != Some(TRUSTED_VERIFIER_TYPE) {
            return Err(problem(format!(
                "each trusted verifier must have type {TRUSTED_VERIFIER_TYPE}"
            )));
        }
        let verifier: TrustedVerifier = serde_json::from_value(Value::Object(object))
            .map_err(|e| problem(format!("trusted verifier: {e}")))?;
        if !verifier.id.starts_with("did:") {
            return Err(problem("a trusted verifier's id must be a DID"));
        }
        verifiers.push(verifier);
    }
    Ok(verifiers)
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

/// Accepts a trust list only as a credential of the trust-list type, issued and signed by
/// `registry_did` (and no other), that verifies now; returns what it lists. Shared by the
/// verifier and the wallet (which checks who asks it for a presentation).
pub async fn verify_trust_list(
    document: &Value,
    registry_did: &str,
    resolver: &dyn crate::did::DidResolver,
    clock: &dyn crate::Clock,
) -> Result<TrustList, String> {
    let issuer = match document.get("issuer") {
        Some(Value::String(id)) => Some(id.as_str()),
        Some(Value::Object(object)) => object.get("id").and_then(Value::as_str),
        _ => None,
    };
    if issuer != Some(registry_did) {
        return Err(format!(
            "the trust list is not issued by the registry {registry_did}"
        ));
    }
    let is_trust_list = match document.get("type") {
        Some(Value::Array(types)) => types
            .iter()
            .any(|t| t.as_str() == Some(TRUST_LIST_CREDENTIAL_TYPE)),
        _ => false,
    };
    if !is_trust_list {
        return Err(format!(
            "the document is not a {TRUST_LIST_CREDENTIAL_TYPE}"
        ));
    }
    let methods = crate::securing::verification_methods_named(document);
    let dids =
        crate::did::ResolvedDids::resolve_all(resolver, methods.iter().map(String::as_str)).await;
    let env = crate::securing::VerificationEnvironment::new(&dids, clock);
    let verdict = crate::securing::verify_credential(document, &env)
        .await
        .map_err(|e| format!("the trust list does not verify: {e}"))?;
    if !verdict.verified() {
        let reasons: Vec<String> = verdict
            .failures()
            .map(|c| format!("{:?}: {:?}", c.name, c.outcome))
            .collect();
        return Err(format!(
            "the trust list does not verify: {}",
            reasons.join("; ")
        ));
    }
    TrustList::from_credential(document).map_err(|e| e.to_string())
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
            verifiers: vec![
                TrustedVerifier {
                    id: DESK.into(),
                    ods_code: "RJ1".into(),
                    name: "Guy's and St Thomas' onboarding".into(),
                    verifier_status: VerifierStatus::Active,
                    registered_at: at("2026-01-01T00:00:00Z"),
                    ended_at: None,
                },
                TrustedVerifier {
                    id: PAUSED.into(),
                    ods_code: "RTH".into(),
                    name: "Oxford onboarding".into(),
                    verifier_status: VerifierStatus::Suspended,
                    registered_at: at("2026-01-01T00:00:00Z"),
                    ended_at: None,
                },
                TrustedVerifier {
                    id: GONE.into(),
                    ods_code: "RR8".into(),
                    name: "Leeds onboarding".into(),
                    verifier_status: VerifierStatus::Removed,
                    registered_at: at("2026-01-01T00:00:00Z"),
                    ended_at: Some(at("2026-03-01T00:00:00Z")),
                },
            ],
            ttl_millis: Some(60_000),
        }
    }

    const DESK: &str = "did:web:verifier.rj1.example";
    const PAUSED: &str = "did:web:verifier.rth.example";
    const GONE: &str = "did:web:verifier.rr8.example";

    #[test]
    fn a_wallet_presents_only_to_an_active_listed_verifier() {
        let list = list();
        let trusted = VerifierTrust::Trusted {
            name: "Guy's and St Thomas' onboarding".into(),
            ods_code: "RJ1".into(),
        };
        let cases = [
            ("active", DESK, "2026-06-01T00:00:00Z", trusted.clone()),
            (
                "registration second is inclusive",
                DESK,
                "2026-01-01T00:00:00Z",
                trusted,
            ),
            (
                "before it was registered",
                DESK,
                "2025-12-31T23:59:59Z",
                VerifierTrust::Unknown,
            ),
            (
                "suspended",
                PAUSED,
                "2026-06-01T00:00:00Z",
                VerifierTrust::Suspended,
            ),
            (
                "removed",
                GONE,
                "2026-06-01T00:00:00Z",
                VerifierTrust::Removed,
            ),
            (
                "removed is removed even before its end",
                GONE,
                "2026-02-01T00:00:00Z",
                VerifierTrust::Removed,
            ),
            (
                "not listed",
                "did:web:verifier.elsewhere.example",
                "2026-06-01T00:00:00Z",
                VerifierTrust::Unknown,
            ),
            (
                "an issuer is not a verifier",
                RJ1,
                "2026-06-01T00:00:00Z",
                VerifierTrust::Unknown,
            ),
        ];
        for (name, did, when, expected) in cases {
            assert_eq!(list.verifier_trust(did, at(when)), expected, "{name}");
        }
        // An end in the list is final even if a status says otherwise.
        let mut ended = list.clone();
        ended.verifiers[0].ended_at = Some(at("2026-05-01T00:00:00Z"));
        assert_eq!(
            ended.verifier_trust(DESK, at("2026-05-01T00:00:00Z")),
            VerifierTrust::Removed
        );
        assert!(matches!(
            ended.verifier_trust(DESK, at("2026-04-30T23:59:59Z")),
            VerifierTrust::Trusted { .. }
        ));
    }

    #[test]
    fn a_list_from_before_verifiers_were_listed_still_parses() {
        let mut list = list();
        list.verifiers.clear();
        let credential = list
            .to_credential(
                "https://registry.example/trust-list",
                "did:web:registry.example",
                at("2026-11-24T12:00:00Z"),
            )
            .unwrap();
        assert!(
            credential["credentialSubject"]
                .get("trustedVerifiers")
                .is_none(),
            "no verifiers, no term a reader from before verifiers would not know"
        );
        let parsed = TrustList::from_credential(&credential).unwrap();
        assert!(parsed.verifiers.is_empty());
        assert_eq!(parsed, list);
        assert_eq!(
            parsed.verifier_trust(DESK, at("2026-06-01T00:00:00Z")),
            VerifierTrust::Unknown
        );
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
        let desk = &credential["credentialSubject"]["trustedVerifiers"][0];
        assert_eq!(desk["type"], TRUSTED_VERIFIER_TYPE);
        assert_eq!(desk["id"], DESK);
        assert_eq!(desk["odsCode"], "RJ1");
        assert_eq!(desk["verifierStatus"], "active");
        assert_eq!(desk["registeredAt"], "2026-01-01T00:00:00Z");
        assert!(desk.get("endedAt").is_none());
        assert_eq!(
            credential["credentialSubject"]["trustedVerifiers"][2]["endedAt"],
            "2026-03-01T00:00:00Z"
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
            (
                "verifiers not array",
                broken("/credentialSubject/trustedVerifiers", json!({})),
            ),
            (
                "verifier not a DID",
                broken(
                    "/credentialSubject/trustedVerifiers/0/id",
                    json!("https://x"),
                ),
            ),
            (
                "verifier untyped",
                broken(
                    "/credentialSubject/trustedVerifiers/0/type",
                    json!("TrustedIssuer"),
                ),
            ),
            (
                "bad verifier status",
                broken(
                    "/credentialSubject/trustedVerifiers/0/verifierStatus",
                    json!("trusted"),
                ),
            ),
            (
                "verifier without a registration time",
                broken(
                    "/credentialSubject/trustedVerifiers/0",
                    json!({"type": "TrustedVerifier", "id": DESK, "odsCode": "RJ1", "name": "x", "verifierStatus": "active"}),
                ),
            ),
            (
                "verifier with an unknown field",
                broken(
                    "/credentialSubject/trustedVerifiers/0",
                    json!({"type": "TrustedVerifier", "id": DESK, "odsCode": "RJ1", "name": "x", "verifierStatus": "active", "registeredAt": "2026-01-01T00:00:00Z", "allowedClaims": []}),
                ),
            ),
        ];
        for (name, document) in cases {
            assert!(TrustList::from_credential(&document).is_err(), "{name}");
        }
        let mut crowded = good.clone();
        let one = good["credentialSubject"]["trustedVerifiers"][0].clone();
        crowded["credentialSubject"]["trustedVerifiers"] =
            Value::Array(vec![one; MAXIMUM_VERIFIERS + 1]);
        assert!(TrustList::from_credential(&crowded).is_err(), "too many");
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
