//! Trusted verifiers (ADR 0006): the operator registers, suspends, reinstates and removes
//! the DIDs that may ask wallets for presentations, each with a reason, each change written
//! with its audit entry; the registry publishes them in the signed trust list beside the
//! issuers. Free of HTTP.
//!
//! A verifier gets no token: it writes nothing at the registry, and only reads what is
//! public (the trust list and status lists). Unlike an issuer's, a verifier's registration
//! has no authorisation intervals: a wallet asks "may I present to it now?", never "could
//! it have asked then?", so its current status is all the list needs to say.

use credentials::trust_list::{TrustedVerifier, VerifierStatus};
use serde::Deserialize;

use crate::error::{RegistryError, Result};
use crate::registry::{Actor, Registry};
use crate::store::{AuditEntry, VerifierRecord};
use crate::trusted_issuers::{
    checked_did, checked_name, checked_ods, checked_reason, floor_second,
};

/// A verifier to register, as the operator gives it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewVerifier {
    pub did: String,
    /// The NHS organisation it asks on behalf of.
    pub ods_code: String,
    /// What a wallet shows the holder, e.g. "Guy's and St Thomas' onboarding".
    pub name: String,
    pub reason: String,
}

/// The lifecycle changes an operator makes to a verifier's registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifierAction {
    Suspend,
    Reinstate,
    /// Final: wallets refuse it from the next trust list on, and it cannot be registered
    /// again (a reinstatement through re-registration would undo the removal).
    Remove,
}

impl VerifierAction {
    fn audit_name(self) -> &'static str {
        match self {
            VerifierAction::Suspend => "suspend-verifier",
            VerifierAction::Reinstate => "reinstate-verifier",
            VerifierAction::Remove => "remove-verifier",
        }
    }
}

fn operator_reason(actor: &Actor, reason: &str) -> Result<String> {
    if !matches!(actor, Actor::Operator(_)) {
        return Err(RegistryError::Forbidden(
            "only an operator manages trusted verifiers".into(),
        ));
    }
    checked_reason(reason)
}

fn existing(current: Option<VerifierRecord>, did: &str) -> Result<VerifierRecord> {
    let record =
        current.ok_or_else(|| RegistryError::NotFound(format!("no registered verifier {did}")))?;
    if record.status == VerifierStatus::Removed {
        return Err(RegistryError::Conflict(
            "the verifier was removed; removal is final".into(),
        ));
    }
    Ok(record)
}

impl Registry {
    fn verifier_audit_entry(
        &self,
        actor: &Actor,
        action: &str,
        did: &str,
        reason: String,
    ) -> AuditEntry {
        AuditEntry {
            at: credentials::catalogue::xsd_date_time(&self.clock.now()),
            actor: actor.label(),
            action: action.to_owned(),
            verifier: Some(did.to_owned()),
            reason: Some(reason),
            ..AuditEntry::default()
        }
    }

    /// Registers a verifier. Its registration starts at the current second (rounded down),
    /// so a wallet whose clock reads the same second already trusts it.
    pub fn register_verifier(&self, actor: &Actor, new: NewVerifier) -> Result<VerifierRecord> {
        let reason = operator_reason(actor, &new.reason)?;
        let did = checked_did(&new.did)?;
        let ods_code = checked_ods(&new.ods_code)?;
        let name = checked_name(&new.name)?;
        let now = self.clock.now();
        let entry = self.verifier_audit_entry(actor, "register-verifier", &did, reason);
        let (record, entry) = self.store.write_verifier(
            &did,
            |current| {
                if current.is_some() {
                    return Err(RegistryError::Conflict(
                        "that DID is already registered as a verifier (a removed verifier stays removed)".into(),
                    ));
                }
                Ok(VerifierRecord {
                    did: did.clone(),
                    ods_code: ods_code.clone(),
                    name: name.clone(),
                    status: VerifierStatus::Active,
                    registered_at: floor_second(now),
                    updated_at: now,
                    ended_at: None,
                })
            },
            entry,
        )?;
        self.trust_list_changed(&entry);
        Ok(record)
    }

    /// Suspends, reinstates or removes a verifier.
    pub fn change_verifier(
        &self,
        actor: &Actor,
        did: &str,
        action: VerifierAction,
        reason: &str,
    ) -> Result<VerifierRecord> {
        let reason = operator_reason(actor, reason)?;
        let now = self.clock.now();
        let entry = self.verifier_audit_entry(actor, action.audit_name(), did, reason);
        let (record, entry) = self.store.write_verifier(
            did,
            |current| {
                let mut record = existing(current, did)?;
                match (action, record.status) {
                    (VerifierAction::Suspend, VerifierStatus::Active) => {
                        record.status = VerifierStatus::Suspended;
                    }
                    (VerifierAction::Reinstate, VerifierStatus::Suspended) => {
                        record.status = VerifierStatus::Active;
                    }
                    (VerifierAction::Remove, _) => {
                        record.status = VerifierStatus::Removed;
                        record.ended_at = Some(floor_second(now));
                    }
                    (_, status) => {
                        return Err(RegistryError::Conflict(format!(
                            "the verifier is {}",
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

    pub fn verifier(&self, did: &str) -> Result<VerifierRecord> {
        self.store
            .verifier(did)?
            .ok_or_else(|| RegistryError::NotFound(format!("no registered verifier {did}")))
    }

    pub fn verifiers(&self) -> Result<Vec<VerifierRecord>> {
        self.store.verifiers()
    }

    /// Every verifier ever registered, as the trust list shows it.
    pub(crate) fn trusted_verifiers(&self) -> Result<Vec<TrustedVerifier>> {
        Ok(self
            .store
            .verifiers()?
            .into_iter()
            .map(|record| TrustedVerifier {
                id: record.did,
                ods_code: record.ods_code,
                name: record.name,
                verifier_status: record.status,
                registered_at: record.registered_at,
                ended_at: record.ended_at,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use chrono::{DateTime, Utc};
    use credentials::status_list::MINIMUM_ENTRIES;
    use credentials::trust_list::{TrustList, VerifierTrust};
    use credentials::{Clock, PinnedDidDocuments, ResolvedDids, VerificationEnvironment};

    use super::*;
    use crate::registry::{AuditFilter, FeedEvent};
    use crate::store::RegistryStore;

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
        let clock = Arc::new(TestClock(Mutex::new(at("2026-01-01T09:00:00.500Z"))));
        let registry =
            Registry::new(store, "http://127.0.0.1:8402", clock.clone(), 60_000).unwrap();
        (registry, clock)
    }

    const DESK: &str = "did:web:127.0.0.1%3A8403";

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn operator() -> Actor {
        Actor::Operator("operator".into())
    }

    fn new_verifier(did: &str, ods: &str, name: &str, reason: &str) -> NewVerifier {
        NewVerifier {
            did: did.into(),
            ods_code: ods.into(),
            name: name.into(),
            reason: reason.into(),
        }
    }

    fn desk() -> NewVerifier {
        new_verifier(DESK, "RJ1", "Guy's and St Thomas' onboarding", "new desk")
    }

    async fn signed_list(registry: &Registry, now: &str) -> TrustList {
        let signed = registry.trust_list_credential().await.unwrap();
        let pinned = PinnedDidDocuments::new()
            .with(registry.did_document().clone())
            .unwrap();
        let dids = ResolvedDids::resolve_all(&pinned, [registry.did()]).await;
        let clock = credentials::FixedClock(at(now));
        let verdict =
            credentials::verify_credential(&signed, &VerificationEnvironment::new(&dids, &clock))
                .await
                .unwrap();
        assert!(verdict.verified(), "{verdict:#?}");
        TrustList::from_credential(&signed).unwrap()
    }

    #[tokio::test]
    async fn each_change_is_audited_resigned_and_announced() {
        let dir = tempfile::tempdir().unwrap();
        let (registry, clock) = registry(dir.path());
        let mut feed = registry.subscribe();
        assert!(signed_list(&registry, "2026-01-01T09:00:01Z")
            .await
            .verifiers
            .is_empty());

        let record = registry.register_verifier(&operator(), desk()).unwrap();
        assert_eq!(record.status, VerifierStatus::Active);
        assert_eq!(record.registered_at, at("2026-01-01T09:00:00Z"), "floored");
        let trusted = VerifierTrust::Trusted {
            name: "Guy's and St Thomas' onboarding".into(),
            ods_code: "RJ1".into(),
        };
        let now = at("2026-01-01T09:00:00.500Z");
        let steps = [
            (None, trusted.clone()),
            (
                Some((VerifierAction::Suspend, "desk closed for audit")),
                VerifierTrust::Suspended,
            ),
            (
                Some((VerifierAction::Reinstate, "audit passed")),
                trusted.clone(),
            ),
            (
                Some((VerifierAction::Suspend, "phishing report")),
                VerifierTrust::Suspended,
            ),
            (
                Some((VerifierAction::Remove, "key compromise")),
                VerifierTrust::Removed,
            ),
        ];
        for (change, expected) in steps {
            if let Some((action, reason)) = change {
                clock.set("2026-02-01T10:00:00.250Z");
                registry
                    .change_verifier(&operator(), DESK, action, reason)
                    .unwrap();
            }
            assert!(
                matches!(feed.try_recv(), Ok(FeedEvent::TrustList(_))),
                "{change:?} announced"
            );
            let list = signed_list(&registry, "2026-02-01T10:00:01Z").await;
            assert_eq!(list.verifier_trust(DESK, now.max(clock.now())), expected);
        }
        let removed = registry.verifier(DESK).unwrap();
        assert_eq!(removed.ended_at, Some(at("2026-02-01T10:00:00Z")));

        // Removal is final: nothing acts on it and it cannot come back by registering.
        let audit_len = registry.audit().unwrap().len();
        for action in [
            VerifierAction::Reinstate,
            VerifierAction::Suspend,
            VerifierAction::Remove,
        ] {
            assert!(matches!(
                registry.change_verifier(&operator(), DESK, action, "undo"),
                Err(RegistryError::Conflict(_))
            ));
        }
        assert!(matches!(
            registry.register_verifier(&operator(), desk()),
            Err(RegistryError::Conflict(_))
        ));
        assert_eq!(registry.audit().unwrap().len(), audit_len);
        assert!(feed.try_recv().is_err(), "refusals announce nothing");

        let actions: Vec<String> = registry
            .audit()
            .unwrap()
            .into_iter()
            .filter(|e| e.verifier.as_deref() == Some(DESK))
            .map(|e| format!("{}: {}", e.action, e.reason.unwrap_or_default()))
            .collect();
        assert_eq!(
            actions,
            [
                "register-verifier: new desk",
                "suspend-verifier: desk closed for audit",
                "reinstate-verifier: audit passed",
                "suspend-verifier: phishing report",
                "remove-verifier: key compromise",
            ]
        );
        let about = |did: &str| {
            let filter = AuditFilter {
                verifier: Some(did.into()),
                ..AuditFilter::default()
            };
            registry.audit_matching(&filter, 100).unwrap().1
        };
        assert_eq!(
            about(DESK),
            5,
            "the audit filter finds a verifier's entries"
        );
        assert_eq!(about("did:web:other.example"), 0);
    }

    #[test]
    fn bad_changes_are_refused_and_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (registry, _) = registry(dir.path());
        let name = "Onboarding";
        let cases = [
            (
                "not a DID",
                new_verifier("https://verifier.example", "RJ1", name, "r"),
            ),
            (
                "DID with a path",
                new_verifier("did:web:x/verify", "RJ1", name, "r"),
            ),
            ("bad ODS code", new_verifier(DESK, "rj1x", name, "r")),
            ("empty name", new_verifier(DESK, "RJ1", "   ", "r")),
            (
                "control characters in the name",
                new_verifier(DESK, "RJ1", "Onboarding\u{7}", "r"),
            ),
            ("empty reason", new_verifier(DESK, "RJ1", name, " ")),
        ];
        for (what, verifier) in cases {
            assert!(
                matches!(
                    registry.register_verifier(&operator(), verifier),
                    Err(RegistryError::BadRequest(_))
                ),
                "{what}"
            );
        }
        assert!(matches!(
            registry.register_verifier(&Actor::Issuer(DESK.into()), desk()),
            Err(RegistryError::Forbidden(_))
        ));
        assert!(matches!(
            registry.change_verifier(&operator(), DESK, VerifierAction::Suspend, "why"),
            Err(RegistryError::NotFound(_))
        ));
        assert!(registry.verifiers().unwrap().is_empty());
        assert!(registry.audit().unwrap().is_empty());

        registry.register_verifier(&operator(), desk()).unwrap();
        let audit_len = registry.audit().unwrap().len();
        let refusals = [
            (VerifierAction::Reinstate, "r", "reinstate an active one"),
            (VerifierAction::Suspend, "", "no reason"),
        ];
        for (action, reason, what) in refusals {
            assert!(
                registry
                    .change_verifier(&operator(), DESK, action, reason)
                    .is_err(),
                "{what}"
            );
        }
        assert!(matches!(
            registry.change_verifier(
                &Actor::Issuer("did:web:issuer.example".into()),
                DESK,
                VerifierAction::Remove,
                "r"
            ),
            Err(RegistryError::Forbidden(_))
        ));
        assert!(matches!(
            registry.register_verifier(&operator(), desk()),
            Err(RegistryError::Conflict(_))
        ));
        assert_eq!(registry.audit().unwrap().len(), audit_len);
        assert_eq!(
            registry.verifier(DESK).unwrap().status,
            VerifierStatus::Active
        );
    }

    #[tokio::test]
    async fn registrations_survive_a_reopen_and_issuers_stay_apart() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (registry, _) = registry(dir.path());
            registry.register_verifier(&operator(), desk()).unwrap();
            registry
                .change_verifier(&operator(), DESK, VerifierAction::Suspend, "audit")
                .unwrap();
        }
        let (reopened, _) = registry(dir.path());
        assert_eq!(
            reopened.verifier(DESK).unwrap().status,
            VerifierStatus::Suspended
        );
        let list = signed_list(&reopened, "2026-01-01T09:00:01Z").await;
        assert_eq!(list.verifiers.len(), 1);
        assert!(list.issuers.is_empty(), "a verifier is not an issuer");
        assert!(list.issuer(DESK).is_none());
        assert!(reopened.issuers().unwrap().is_empty());
    }
}
