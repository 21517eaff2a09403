//! Trusted issuers: the operator registers, updates, suspends, reinstates and removes
//! them, each with a reason, each change written with its audit entry; the registry
//! publishes them as a signed trust list. Free of HTTP.
//!
//! Times are whole seconds, as every credential's `created` is: an interval starts at the
//! second it was opened (rounded down) and ends at the second after it was ended (rounded
//! up), so a credential signed in the same second as a suspension is not refused for the
//! rounding alone.

use base64::Engine;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use credentials::identifiers::OdsCode;
use credentials::trust_list::{Authorisation, IssuerStatus, TrustList, TrustedIssuer};
use credentials::{sign_credential, CredentialKind, Cryptosuite, ProofRequest};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{RegistryError, Result};
use crate::registry::{Actor, FeedEvent, Registry, TrustListChanged};
use crate::store::{AuditEntry, Grant, IssuerRecord};

/// An issuer to register, as the operator gives it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewIssuer {
    pub did: String,
    pub ods_code: String,
    pub name: String,
    pub credential_types: Vec<String>,
    /// Default: now.
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub reason: String,
}

/// Changes to a registration; what is absent stays. New types or a new end close the
/// current authorisation interval and open another: the past is never rewritten.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IssuerUpdate {
    pub ods_code: Option<String>,
    pub name: Option<String>,
    pub credential_types: Option<Vec<String>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub reason: String,
}

/// The lifecycle changes an operator makes to a registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssuerAction {
    Suspend,
    Reinstate,
    /// Final: the issuer's token stops working and nothing it issued is trusted any more.
    Remove,
}

impl IssuerAction {
    fn audit_name(self) -> &'static str {
        match self {
            IssuerAction::Suspend => "suspend-issuer",
            IssuerAction::Reinstate => "reinstate-issuer",
            IssuerAction::Remove => "remove-issuer",
        }
    }
}

/// A new bearer token: 32 random bytes, base64url. Returned once; stored as its digest.
fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let digest = token_digest(&token);
    (token, digest)
}

/// The SHA-256 of a token, hex: what the registry keeps and looks tokens up by.
pub fn token_digest(token: &str) -> String {
    hex_encode(&Sha256::digest(token.as_bytes()))
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn floor_second(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::seconds(1)).unwrap_or(at)
}

fn ceil_second(at: DateTime<Utc>) -> DateTime<Utc> {
    let floor = floor_second(at);
    if floor == at {
        at
    } else {
        floor + TimeDelta::seconds(1)
    }
}

fn required_reason(actor: &Actor, reason: &str) -> Result<String> {
    if !matches!(actor, Actor::Operator(_)) {
        return Err(RegistryError::Forbidden(
            "only an operator manages trusted issuers".into(),
        ));
    }
    checked_reason(reason)
}

/// An operator's reason for the audit log: present, and of a sane length.
pub(crate) fn checked_reason(reason: &str) -> Result<String> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(RegistryError::BadRequest(
            "an operator must give a reason".into(),
        ));
    }
    if reason.chars().count() > 1000 {
        return Err(RegistryError::BadRequest(
            "the reason is longer than 1000 characters".into(),
        ));
    }
    Ok(reason.to_owned())
}

pub(crate) fn checked_did(did: &str) -> Result<String> {
    let valid = (did.starts_with("did:web:") || did.starts_with("did:key:"))
        && did.len() <= 512
        && did.split(':').nth(2).is_some_and(|rest| !rest.is_empty())
        && !did
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '#' || c == '?' || c == '/');
    if valid {
        Ok(did.to_owned())
    } else {
        Err(RegistryError::BadRequest(
            "did must be a did:web or did:key DID, without fragment, query or path".into(),
        ))
    }
}

pub(crate) fn checked_ods(ods: &str) -> Result<String> {
    OdsCode::parse(ods)
        .map(|c| c.as_str().to_owned())
        .map_err(|e| RegistryError::BadRequest(e.to_string()))
}

pub(crate) fn checked_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(RegistryError::BadRequest(
            "name must be the organisation's name, 1 to 200 characters".into(),
        ));
    }
    Ok(name.to_owned())
}

fn checked_types(types: &[String]) -> Result<Vec<String>> {
    if types.is_empty() {
        return Err(RegistryError::BadRequest(
            "credentialTypes must name at least one credential type".into(),
        ));
    }
    let mut checked = Vec::new();
    for name in types {
        let kind = CredentialKind::from_type_name(name).ok_or_else(|| {
            RegistryError::BadRequest(format!(
                "{name:?} is not a catalogue credential type ({})",
                CredentialKind::ALL
                    .map(CredentialKind::type_name)
                    .join(", ")
            ))
        })?;
        if !checked.iter().any(|t| t == kind.type_name()) {
            checked.push(kind.type_name().to_owned());
        }
    }
    Ok(checked)
}

/// Ends every interval still open at `end` (an interval whose granted end has passed is
/// already over and keeps it).
fn close_open(authorisations: &mut [Authorisation], end: DateTime<Utc>) {
    for authorisation in authorisations
        .iter_mut()
        .filter(|a| a.ended_at.is_none() && a.authorised_until.is_none_or(|u| u > end))
    {
        authorisation.ended_at = Some(end);
    }
}

fn open_from(grant: &Grant, now: DateTime<Utc>) -> Authorisation {
    Authorisation {
        credential_types: grant.credential_types.clone(),
        authorised_from: grant.valid_from.max(floor_second(now)),
        authorised_until: grant.valid_until,
        ended_at: None,
    }
}

impl Registry {
    fn audit_entry(&self, actor: &Actor, action: &str, did: &str, reason: String) -> AuditEntry {
        AuditEntry {
            at: credentials::catalogue::xsd_date_time(&self.clock.now()),
            actor: actor.label(),
            action: action.to_owned(),
            issuer: Some(did.to_owned()),
            reason: Some(reason),
            ..AuditEntry::default()
        }
    }

    /// Drops the signed trust list and tells subscribers it changed.
    pub(crate) fn trust_list_changed(&self, entry: &AuditEntry) {
        if let Ok(mut signed) = self.signed_trust_list.lock() {
            *signed = None;
        }
        // No subscriber is not an error: the change is durable whoever listens.
        let _ = self.changes.send(FeedEvent::TrustList(TrustListChanged {
            sequence: entry.sequence,
            trust_list: self.trust_list_url(),
        }));
    }

    pub fn trust_list_url(&self) -> String {
        format!("{}/trust-list", self.base_url)
    }

    /// Registers an issuer. Returns its record and its bearer token, which is shown this
    /// once and kept only as a digest.
    pub fn register_issuer(&self, actor: &Actor, new: NewIssuer) -> Result<(IssuerRecord, String)> {
        let reason = required_reason(actor, &new.reason)?;
        let did = checked_did(&new.did)?;
        let ods_code = checked_ods(&new.ods_code)?;
        let name = checked_name(&new.name)?;
        let credential_types = checked_types(&new.credential_types)?;
        let now = self.clock.now();
        let valid_from = floor_second(new.valid_from.unwrap_or(now));
        if new
            .valid_until
            .is_some_and(|until| until <= valid_from || until <= now)
        {
            return Err(RegistryError::BadRequest(
                "validUntil must be after validFrom and in the future".into(),
            ));
        }
        let grant = Grant {
            credential_types,
            valid_from,
            valid_until: new.valid_until,
        };
        let (token, digest) = new_token();
        let entry = self.audit_entry(actor, "register-issuer", &did, reason);
        let (record, entry) = self.store.write_issuer(
            &did,
            |current| {
                if current.is_some() {
                    return Err(RegistryError::Conflict(
                        "that DID is already registered (a removed issuer stays removed)".into(),
                    ));
                }
                Ok(IssuerRecord {
                    did: did.clone(),
                    ods_code: ods_code.clone(),
                    name: name.clone(),
                    status: IssuerStatus::Active,
                    authorisations: vec![open_from(&grant, now)],
                    grant: grant.clone(),
                    token_sha256: digest.clone(),
                    registered_at: now,
                    updated_at: now,
                })
            },
            entry,
        )?;
        self.trust_list_changed(&entry);
        Ok((record, token))
    }

    /// Changes a registration's organisation details, types or end.
    pub fn update_issuer(
        &self,
        actor: &Actor,
        did: &str,
        update: IssuerUpdate,
    ) -> Result<IssuerRecord> {
        let reason = required_reason(actor, &update.reason)?;
        let ods_code = update.ods_code.as_deref().map(checked_ods).transpose()?;
        let name = update.name.as_deref().map(checked_name).transpose()?;
        let types = update
            .credential_types
            .as_deref()
            .map(checked_types)
            .transpose()?;
        let now = self.clock.now();
        if update.valid_until.is_some_and(|until| until <= now) {
            return Err(RegistryError::BadRequest(
                "validUntil must be in the future (suspend or remove to end trust now)".into(),
            ));
        }
        if ods_code.is_none() && name.is_none() && types.is_none() && update.valid_until.is_none() {
            return Err(RegistryError::BadRequest("nothing to change".into()));
        }
        let entry = self.audit_entry(actor, "update-issuer", did, reason);
        let (record, entry) = self.store.write_issuer(
            did,
            |current| {
                let mut record = self.existing(current, did)?;
                if let Some(ods_code) = &ods_code {
                    record.ods_code = ods_code.clone();
                }
                if let Some(name) = &name {
                    record.name = name.clone();
                }
                if types.is_some() || update.valid_until.is_some() {
                    if let Some(types) = &types {
                        record.grant.credential_types = types.clone();
                    }
                    if let Some(until) = update.valid_until {
                        record.grant.valid_until = Some(until);
                    }
                    if record.status == IssuerStatus::Active {
                        close_open(&mut record.authorisations, ceil_second(now));
                        record.authorisations.push(open_from(&record.grant, now));
                    }
                }
                record.updated_at = now;
                Ok(record)
            },
            entry,
        )?;
        self.trust_list_changed(&entry);
        Ok(record)
    }

    fn existing(&self, current: Option<IssuerRecord>, did: &str) -> Result<IssuerRecord> {
        let record = current
            .ok_or_else(|| RegistryError::NotFound(format!("no registered issuer {did}")))?;
        if record.status == IssuerStatus::Removed {
            return Err(RegistryError::Conflict(
                "the issuer was removed; removal is final".into(),
            ));
        }
        Ok(record)
    }

    /// Suspends, reinstates or removes an issuer.
    pub fn change_issuer(
        &self,
        actor: &Actor,
        did: &str,
        action: IssuerAction,
        reason: &str,
    ) -> Result<IssuerRecord> {
        let reason = required_reason(actor, reason)?;
        let now = self.clock.now();
        let entry = self.audit_entry(actor, action.audit_name(), did, reason);
        let (record, entry) = self.store.write_issuer(
            did,
            |current| {
                let mut record = self.existing(current, did)?;
                match (action, record.status) {
                    (IssuerAction::Suspend, IssuerStatus::Active) => {
                        close_open(&mut record.authorisations, ceil_second(now));
                        record.status = IssuerStatus::Suspended;
                    }
                    (IssuerAction::Reinstate, IssuerStatus::Suspended) => {
                        record.authorisations.push(open_from(&record.grant, now));
                        record.status = IssuerStatus::Active;
                    }
                    (IssuerAction::Remove, _) => {
                        close_open(&mut record.authorisations, ceil_second(now));
                        record.status = IssuerStatus::Removed;
                    }
                    (_, status) => {
                        return Err(RegistryError::Conflict(format!(
                            "the issuer is {}",
                            status.as_str()
                        )))
                    }
                }
                record.updated_at = now;
                Ok(record)
            },
            entry,
        )?;
        self.trust_list_changed(&entry);
        Ok(record)
    }

    /// Gives an issuer a new token (the old one stops working at once). Returned once.
    pub fn rotate_issuer_token(
        &self,
        actor: &Actor,
        did: &str,
        reason: &str,
    ) -> Result<(IssuerRecord, String)> {
        let reason = required_reason(actor, reason)?;
        let (token, digest) = new_token();
        let now = self.clock.now();
        let entry = self.audit_entry(actor, "rotate-issuer-token", did, reason);
        let (record, _) = self.store.write_issuer(
            did,
            |current| {
                let mut record = self.existing(current, did)?;
                record.token_sha256 = digest.clone();
                record.updated_at = now;
                Ok(record)
            },
            entry,
        )?;
        Ok((record, token))
    }

    pub fn issuer(&self, did: &str) -> Result<IssuerRecord> {
        self.store
            .issuer(did)?
            .ok_or_else(|| RegistryError::NotFound(format!("no registered issuer {did}")))
    }

    pub fn issuers(&self) -> Result<Vec<IssuerRecord>> {
        self.store.issuers()
    }

    /// The registered issuer a bearer token belongs to; `None` for an unknown token or a
    /// removed issuer.
    pub fn issuer_for_token(&self, token: &str) -> Result<Option<IssuerRecord>> {
        self.store.issuer_by_token_digest(&token_digest(token))
    }

    /// The trust list as it stands: every issuer ever registered, with its intervals, and
    /// every verifier ever registered, with its status.
    pub fn trust_list(&self) -> Result<TrustList> {
        let issuers = self
            .store
            .issuers()?
            .into_iter()
            .map(|record| TrustedIssuer {
                id: record.did,
                ods_code: record.ods_code,
                name: record.name,
                issuer_status: record.status,
                authorisations: record.authorisations,
            })
            .collect();
        Ok(TrustList {
            issuers,
            verifiers: self.trusted_verifiers()?,
            ttl_millis: Some(self.ttl_millis),
        })
    }

    /// The signed `TrustedIssuerListCredential`, signed again only after a change.
    pub async fn trust_list_credential(&self) -> Result<Value> {
        if let Some(signed) = self
            .signed_trust_list
            .lock()
            .ok()
            .and_then(|signed| signed.clone())
        {
            return Ok(signed);
        }
        let now = self.clock.now();
        let unsigned = self
            .trust_list()?
            .to_credential(&self.trust_list_url(), self.signer.did(), now)
            .map_err(|e| RegistryError::Store(e.to_string()))?;
        let request = ProofRequest {
            created: Some(now),
            ..Default::default()
        };
        let signed = sign_credential(
            &unsigned,
            &self.signer,
            Cryptosuite::EddsaRdfc2022,
            &request,
        )
        .await?;
        if let Ok(mut cache) = self.signed_trust_list.lock() {
            *cache = Some(signed.clone());
        }
        Ok(signed)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use credentials::status_list::MINIMUM_ENTRIES;
    use credentials::trust_list::TrustDecision;
    use credentials::{Clock, PinnedDidDocuments, ResolvedDids, VerificationEnvironment};

    use super::*;
    use crate::registry::StatusAction;
    use crate::store::RegistryStore;

    /// A clock the test moves.
    struct TestClock(Mutex<DateTime<Utc>>);

    impl Clock for TestClock {
        fn now(&self) -> DateTime<Utc> {
            *self.0.lock().unwrap()
        }
    }

    impl TestClock {
        fn set(&self, at: &str) {
            *self.0.lock().unwrap() = at.parse().unwrap();
        }
    }

    fn registry(dir: &std::path::Path) -> (Registry, Arc<TestClock>) {
        let store = Arc::new(RegistryStore::open(dir, MINIMUM_ENTRIES).unwrap());
        let clock = Arc::new(TestClock(Mutex::new(
            "2026-01-01T09:00:00.500Z".parse().unwrap(),
        )));
        let registry =
            Registry::new(store, "http://127.0.0.1:8402", clock.clone(), 60_000).unwrap();
        (registry, clock)
    }

    const RJ1: &str = "did:web:127.0.0.1%3A8401";
    const RTH: &str = "did:web:127.0.0.1%3A8411";

    fn operator() -> Actor {
        Actor::Operator("operator".into())
    }

    fn new_issuer(did: &str, ods: &str, types: &[&str]) -> NewIssuer {
        NewIssuer {
            did: did.into(),
            ods_code: ods.into(),
            name: format!("Trust {ods}"),
            credential_types: types.iter().map(|t| t.to_string()).collect(),
            valid_from: None,
            valid_until: None,
            reason: "joined the trust framework".into(),
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn registration_returns_a_token_once_and_keeps_only_its_digest() {
        let dir = tempfile::tempdir().unwrap();
        let (registry, _) = registry(dir.path());
        let (record, token) = registry
            .register_issuer(
                &operator(),
                new_issuer(RJ1, "RJ1", &["EmploymentCredential"]),
            )
            .unwrap();
        assert!(token.len() >= 43, "32 bytes of base64url");
        assert!(token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(record.token_sha256, token_digest(&token));
        assert!(!serde_json::to_string(&record).unwrap().contains(&token));
        assert_eq!(registry.issuer_for_token(&token).unwrap().unwrap().did, RJ1);
        assert!(registry.issuer_for_token("guess").unwrap().is_none());
        // The interval starts at the second, rounded down.
        assert_eq!(
            record.authorisations[0].authorised_from,
            at("2026-01-01T09:00:00Z")
        );

        let (_, rotated) = registry
            .rotate_issuer_token(&operator(), RJ1, "token leaked in a ticket")
            .unwrap();
        assert!(registry.issuer_for_token(&token).unwrap().is_none());
        assert!(registry.issuer_for_token(&rotated).unwrap().is_some());
    }

    #[test]
    fn bad_registrations_are_refused_and_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (registry, _) = registry(dir.path());
        let types = &["EmploymentCredential"];
        let mut no_reason = new_issuer(RJ1, "RJ1", types);
        no_reason.reason = "  ".into();
        let mut backwards = new_issuer(RJ1, "RJ1", types);
        backwards.valid_until = Some(at("2025-01-01T00:00:00Z"));
        let cases = [
            ("not a DID", new_issuer("https://rj1.example", "RJ1", types)),
            (
                "DID with fragment",
                new_issuer("did:web:x#key-1", "RJ1", types),
            ),
            ("bad ODS code", new_issuer(RJ1, "rj1x", types)),
            ("unknown type", new_issuer(RJ1, "RJ1", &["DrivingLicence"])),
            ("no types", new_issuer(RJ1, "RJ1", &[])),
            ("no reason", no_reason),
            ("ends in the past", backwards),
        ];
        for (name, issuer) in cases {
            assert!(
                matches!(
                    registry.register_issuer(&operator(), issuer),
                    Err(RegistryError::BadRequest(_))
                ),
                "{name}"
            );
        }
        assert!(matches!(
            registry.register_issuer(&Actor::Issuer(RTH.into()), new_issuer(RJ1, "RJ1", types)),
            Err(RegistryError::Forbidden(_))
        ));
        assert!(registry.issuers().unwrap().is_empty());
        assert!(registry.audit().unwrap().is_empty());
    }

    #[tokio::test]
    async fn suspension_ends_an_interval_and_history_answers_was_trusted_at() {
        let dir = tempfile::tempdir().unwrap();
        let (registry, clock) = registry(dir.path());
        let (_, token) = registry
            .register_issuer(
                &operator(),
                new_issuer(RJ1, "RJ1", &["EmploymentCredential", "RoleCredential"]),
            )
            .unwrap();
        let issuer = Actor::Issuer(RJ1.into());
        registry.allocate(RJ1, "urn:uuid:a").unwrap();

        clock.set("2026-02-01T10:00:00.250Z");
        registry
            .change_issuer(&operator(), RJ1, IssuerAction::Suspend, "audit finding")
            .unwrap();
        assert!(matches!(
            registry.allocate(RJ1, "urn:uuid:b"),
            Err(RegistryError::Forbidden(_))
        ));
        // A suspended issuer may still revoke its own, not lift a suspension.
        registry
            .change_status(&issuer, "urn:uuid:a", StatusAction::Suspend, None, None)
            .unwrap();
        assert!(matches!(
            registry.change_status(&issuer, "urn:uuid:a", StatusAction::Reinstate, None, None),
            Err(RegistryError::Forbidden(_))
        ));
        assert!(matches!(
            registry.change_issuer(&operator(), RJ1, IssuerAction::Suspend, "again"),
            Err(RegistryError::Conflict(_))
        ));

        clock.set("2026-03-01T00:00:00Z");
        registry
            .update_issuer(
                &operator(),
                RJ1,
                IssuerUpdate {
                    credential_types: Some(vec!["RoleCredential".into()]),
                    reason: "employment now issued by ESR hub".into(),
                    ..IssuerUpdate::default()
                },
            )
            .unwrap();
        clock.set("2026-04-01T00:00:00Z");
        registry
            .change_issuer(&operator(), RJ1, IssuerAction::Reinstate, "finding closed")
            .unwrap();
        registry.allocate(RJ1, "urn:uuid:c").unwrap();

        let list = registry.trust_list().unwrap();
        let cases = [
            (
                "EmploymentCredential",
                "2026-01-15T00:00:00Z",
                TrustDecision::Trusted,
            ),
            // The suspension at 10:00:00.25 ends the interval at 10:00:01.
            (
                "EmploymentCredential",
                "2026-02-01T10:00:00Z",
                TrustDecision::Trusted,
            ),
            (
                "EmploymentCredential",
                "2026-02-01T10:00:01Z",
                TrustDecision::NotAuthorised,
            ),
            (
                "RoleCredential",
                "2026-03-15T00:00:00Z",
                TrustDecision::NotAuthorised,
            ),
            (
                "RoleCredential",
                "2026-04-02T00:00:00Z",
                TrustDecision::Trusted,
            ),
            (
                "EmploymentCredential",
                "2026-04-02T00:00:00Z",
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

        clock.set("2026-05-01T00:00:00Z");
        registry
            .change_issuer(&operator(), RJ1, IssuerAction::Remove, "key compromise")
            .unwrap();
        assert!(
            registry.issuer_for_token(&token).unwrap().is_none(),
            "token dropped"
        );
        assert!(matches!(
            registry.change_issuer(&operator(), RJ1, IssuerAction::Reinstate, "oops"),
            Err(RegistryError::Conflict(_))
        ));
        assert!(matches!(
            registry.register_issuer(&operator(), new_issuer(RJ1, "RJ1", &["RoleCredential"])),
            Err(RegistryError::Conflict(_))
        ));
        assert_eq!(
            registry.trust_list().unwrap().decide(
                RJ1,
                "EmploymentCredential",
                at("2026-01-15T00:00:00Z")
            ),
            TrustDecision::Removed
        );
        let actions: Vec<String> = registry
            .audit()
            .unwrap()
            .into_iter()
            .filter(|e| e.issuer.is_some())
            .map(|e| format!("{}: {}", e.action, e.reason.unwrap_or_default()))
            .collect();
        assert_eq!(
            actions,
            [
                "register-issuer: joined the trust framework",
                "suspend-issuer: audit finding",
                "update-issuer: employment now issued by ESR hub",
                "reinstate-issuer: finding closed",
                "remove-issuer: key compromise",
            ]
        );
    }

    #[tokio::test]
    async fn the_trust_list_is_signed_by_the_registry_and_resigned_on_change() {
        let dir = tempfile::tempdir().unwrap();
        let (registry, _) = registry(dir.path());
        let mut feed = registry.subscribe();
        registry
            .register_issuer(
                &operator(),
                new_issuer(RJ1, "RJ1", &["EmploymentCredential"]),
            )
            .unwrap();
        assert!(matches!(feed.try_recv(), Ok(FeedEvent::TrustList(_))));
        let first = registry.trust_list_credential().await.unwrap();
        assert_eq!(
            registry.trust_list_credential().await.unwrap(),
            first,
            "signed once, served from cache"
        );
        let pinned = PinnedDidDocuments::new()
            .with(registry.did_document().clone())
            .unwrap();
        let dids = ResolvedDids::resolve_all(&pinned, [registry.did()]).await;
        let clock = credentials::FixedClock(at("2026-01-01T09:00:01Z"));
        let verdict =
            credentials::verify_credential(&first, &VerificationEnvironment::new(&dids, &clock))
                .await
                .unwrap();
        assert!(verdict.verified(), "{verdict:#?}");
        assert_eq!(first["issuer"], registry.did());
        assert_eq!(first["credentialSubject"]["ttl"], 60_000);
        let listed = TrustList::from_credential(&first).unwrap();
        assert_eq!(listed.issuers.len(), 1);
        assert_eq!(listed.issuers[0].ods_code, "RJ1");

        registry
            .register_issuer(&operator(), new_issuer(RTH, "RTH", &["RoleCredential"]))
            .unwrap();
        assert!(matches!(feed.try_recv(), Ok(FeedEvent::TrustList(_))));
        let second = registry.trust_list_credential().await.unwrap();
        assert_eq!(
            TrustList::from_credential(&second).unwrap().issuers.len(),
            2
        );
        assert!(
            !second.to_string().contains("urn:uuid") && !second.to_string().contains("token"),
            "nothing about status entries or tokens"
        );
    }
}
