//! The registry's operations on status, free of HTTP. Trusted-issuer registration is in
//! [`crate::trusted_issuers`], trusted verifiers in [`crate::trusted_verifiers`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use credentials::did::{did_web_document, did_web_for_base_url};
use credentials::sd_jwt::{
    sign_status_list_token, StatusListReference, STATUS_INVALID, STATUS_SUSPENDED, STATUS_VALID,
};
use credentials::status_list::{StatusEntry, StatusListCredential, StatusPurpose};
use credentials::trust_list::IssuerStatus;
use credentials::{sign_credential, Clock, Cryptosuite, ProofRequest, SigningIdentity};
use serde_json::Value;

use crate::error::{RegistryError, Result};
use crate::store::{AuditEntry, Mechanism, RegistryStore, StatusSlot};

/// Who asks for a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A trust-framework operator, by name: may change any entry, with a reason.
    Operator(String),
    /// An issuer, by DID: may change only the entries it allocated.
    Issuer(String),
}

impl Actor {
    pub(crate) fn label(&self) -> String {
        match self {
            Actor::Operator(name) => format!("operator:{name}"),
            Actor::Issuer(did) => did.clone(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusAction {
    Revoke,
    Suspend,
    /// Lifts a suspension. Nothing lifts a revocation (BR-19).
    Reinstate,
}

pub struct Registry {
    pub(crate) store: Arc<RegistryStore>,
    pub(crate) signer: SigningIdentity,
    did_document: Value,
    pub(crate) base_url: String,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ttl_millis: u64,
    /// Signed list credentials, re-signed only after a change.
    signed: Mutex<HashMap<(StatusPurpose, u32), Value>>,
    /// Signed Status List Tokens and when they were signed: re-signed after a change, and
    /// well before their `exp`.
    signed_tokens: Mutex<HashMap<u32, (DateTime<Utc>, String)>>,
    /// The signed trust list, re-signed only after a registration changes.
    pub(crate) signed_trust_list: Mutex<Option<Value>>,
    /// Every change, for the change feed. Only the list is named, never the credential:
    /// subscribers learn which list to fetch again, not whose status changed.
    pub(crate) changes: tokio::sync::broadcast::Sender<FeedEvent>,
}

/// What the change feed announces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeedEvent {
    StatusList(ListChanged),
    TrustList(TrustListChanged),
}

/// A change feed event: the trust list has changed; fetch it again.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustListChanged {
    pub sequence: u64,
    pub trust_list: String,
}

/// A change feed event: this list has changed; fetch it again.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListChanged {
    pub sequence: u64,
    pub status_list_credential: String,
}

impl Registry {
    pub fn new(
        store: Arc<RegistryStore>,
        public_base_url: &str,
        clock: Arc<dyn Clock>,
        ttl_millis: u64,
    ) -> Result<Self> {
        let base_url = public_base_url.trim_end_matches('/').to_owned();
        let did = did_web_for_base_url(&base_url)?;
        let key = ed25519_dalek::SigningKey::from_bytes(&store.signing_key_seed()?);
        let did_document = did_web_document(&did, &key.verifying_key());
        let signer = SigningIdentity::new(key, format!("{did}#key-1"));
        let (changes, _) = tokio::sync::broadcast::channel(1024);
        Ok(Self {
            store,
            signer,
            did_document,
            base_url,
            clock,
            ttl_millis,
            signed: Mutex::new(HashMap::new()),
            signed_tokens: Mutex::new(HashMap::new()),
            signed_trust_list: Mutex::new(None),
            changes,
        })
    }

    pub fn did(&self) -> &str {
        self.signer.did()
    }

    pub fn did_document(&self) -> &Value {
        &self.did_document
    }

    fn list_url(&self, purpose: StatusPurpose, list: u32) -> String {
        format!("{}/status/{}/{list}", self.base_url, purpose.as_str())
    }

    fn token_list_url(&self, list: u32) -> String {
        format!("{}/token-status-lists/{list}", self.base_url)
    }

    /// A registered issuer must be active and inside an authorisation interval to allocate:
    /// a suspended or removed issuer issues nothing. (An issuer known only from the
    /// settings' `issuer_tokens` table has no registration to check.)
    fn may_issue(&self, issuer: &str, credential_id: &str) -> Result<()> {
        if credential_id.trim().is_empty() {
            return Err(RegistryError::BadRequest(
                "credential id is required".into(),
            ));
        }
        if let Some(record) = self.store.issuer(issuer)? {
            if record.status != IssuerStatus::Active {
                return Err(RegistryError::Forbidden(format!(
                    "the issuer is {}: it may not issue",
                    record.status.as_str()
                )));
            }
            let now = self.clock.now();
            if !record.authorisations.iter().any(|a| a.is_current(now)) {
                return Err(RegistryError::Forbidden(
                    "the issuer's authorisation has not begun or has ended".into(),
                ));
            }
        }
        Ok(())
    }

    /// Status entries (revocation and suspension) for a new Data Integrity credential of
    /// `issuer`.
    pub fn allocate(&self, issuer: &str, credential_id: &str) -> Result<Vec<StatusEntry>> {
        self.may_issue(issuer, credential_id)?;
        let allocation = self
            .store
            .allocate(issuer, credential_id, Mechanism::Bitstring)?;
        if allocation.slots.is_empty() {
            return Err(RegistryError::Conflict(
                "that credential id has a Token Status List entry, not Bitstring entries".into(),
            ));
        }
        Ok(allocation
            .slots
            .iter()
            .map(|slot| StatusEntry {
                purpose: slot.purpose,
                index: slot.index,
                list_credential: self.list_url(slot.purpose, slot.list),
            })
            .collect())
    }

    /// The Token Status List entry (ADR 0005) for a new SD-JWT VC of `issuer`: its `status`
    /// claim's `status_list` reference.
    pub fn allocate_token_status(
        &self,
        issuer: &str,
        credential_id: &str,
    ) -> Result<StatusListReference> {
        self.may_issue(issuer, credential_id)?;
        let allocation = self
            .store
            .allocate(issuer, credential_id, Mechanism::TokenStatusList)?;
        let slot = allocation.token.ok_or_else(|| {
            RegistryError::Conflict(
                "that credential id has Bitstring entries, not a Token Status List entry".into(),
            )
        })?;
        Ok(StatusListReference {
            idx: slot.index as u64,
            uri: self.token_list_url(slot.list),
        })
    }

    /// Revokes, suspends or reinstates a credential. Returns the audit entry, or `None`
    /// when the credential already had that status.
    pub fn change_status(
        &self,
        actor: &Actor,
        credential_id: &str,
        action: StatusAction,
        reason: Option<String>,
        event_id: Option<String>,
    ) -> Result<Option<AuditEntry>> {
        let allocation = self.store.allocation(credential_id)?.ok_or_else(|| {
            RegistryError::NotFound(format!("no status entries for {credential_id}"))
        })?;
        match actor {
            Actor::Issuer(did) if *did != allocation.owner => {
                return Err(RegistryError::Forbidden(
                    "an issuer may change only its own credentials' status".into(),
                ));
            }
            // A suspended issuer may still revoke and suspend its own credentials (that only
            // lowers trust), but not lift a suspension.
            Actor::Issuer(did)
                if action == StatusAction::Reinstate
                    && self
                        .store
                        .issuer(did)?
                        .is_some_and(|r| r.status != IssuerStatus::Active) =>
            {
                return Err(RegistryError::Forbidden(
                    "a suspended issuer may not reinstate credentials".into(),
                ));
            }
            Actor::Operator(_) if reason.as_deref().is_none_or(|r| r.trim().is_empty()) => {
                return Err(RegistryError::BadRequest(
                    "an operator must give a reason".into(),
                ));
            }
            _ => {}
        }
        let entry = AuditEntry {
            sequence: 0,
            at: credentials::catalogue::xsd_date_time(&self.clock.now()),
            actor: actor.label(),
            action: serde_json::to_value(action)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            credential_id: Some(credential_id.to_owned()),
            purpose: Some(match action {
                StatusAction::Revoke => StatusPurpose::Revocation,
                StatusAction::Suspend | StatusAction::Reinstate => StatusPurpose::Suspension,
            }),
            issuer: None,
            verifier: None,
            reason,
            event_id,
        };
        if let Some(slot) = &allocation.token {
            let changed = self.store.change_token(
                slot,
                |current| token_transition(current, action),
                entry,
            )?;
            if let Some(entry) = &changed {
                if let Ok(mut signed) = self.signed_tokens.lock() {
                    signed.remove(&slot.list);
                }
                let _ = self.changes.send(FeedEvent::StatusList(ListChanged {
                    sequence: entry.sequence,
                    status_list_credential: self.token_list_url(slot.list),
                }));
            }
            return Ok(changed);
        }
        let slot_for = |purpose| {
            allocation
                .slots
                .iter()
                .find(|s| s.purpose == purpose)
                .cloned()
                .ok_or_else(|| {
                    RegistryError::Store(format!(
                        "{credential_id} has no {} entry",
                        purpose.as_str()
                    ))
                })
        };
        let (slot, value): (StatusSlot, bool) = match action {
            StatusAction::Revoke => (slot_for(StatusPurpose::Revocation)?, true),
            StatusAction::Suspend => (slot_for(StatusPurpose::Suspension)?, true),
            StatusAction::Reinstate => {
                let revocation = slot_for(StatusPurpose::Revocation)?;
                if self.is_set(&revocation)? {
                    return Err(RegistryError::Conflict(
                        "the credential is revoked; revocation is permanent".into(),
                    ));
                }
                (slot_for(StatusPurpose::Suspension)?, false)
            }
        };
        let changed = self.store.change(&slot, value, entry)?;
        if let Some(entry) = &changed {
            if let Ok(mut signed) = self.signed.lock() {
                signed.remove(&(slot.purpose, slot.list));
            }
            // No subscriber is not an error: the change is durable whoever listens.
            let _ = self.changes.send(FeedEvent::StatusList(ListChanged {
                sequence: entry.sequence,
                status_list_credential: self.list_url(slot.purpose, slot.list),
            }));
        }
        Ok(changed)
    }

    fn is_set(&self, slot: &StatusSlot) -> Result<bool> {
        let list = self
            .store
            .list(slot.purpose, slot.list)?
            .ok_or_else(|| RegistryError::Store("allocated list is missing".into()))?;
        list.get(slot.index)
            .map_err(|e| RegistryError::Store(e.to_string()))
    }

    /// The signed `BitstringStatusListCredential` for one list, signed again only after a change.
    pub async fn status_list_credential(&self, purpose: StatusPurpose, list: u32) -> Result<Value> {
        if let Some(signed) = self
            .signed
            .lock()
            .ok()
            .and_then(|signed| signed.get(&(purpose, list)).cloned())
        {
            return Ok(signed);
        }
        let bits = self.store.list(purpose, list)?.ok_or_else(|| {
            RegistryError::NotFound(format!("no {} list {list}", purpose.as_str()))
        })?;
        let url = self.list_url(purpose, list);
        let unsigned = StatusListCredential {
            url: &url,
            issuer: self.did(),
            purpose,
            list: &bits,
            valid_from: self.clock.now(),
            valid_until: None,
            ttl_millis: Some(self.ttl_millis),
        }
        .to_json()
        .map_err(|e| RegistryError::Store(e.to_string()))?;
        let request = ProofRequest {
            created: Some(self.clock.now()),
            ..Default::default()
        };
        let signed = sign_credential(
            &unsigned,
            &self.signer,
            Cryptosuite::EddsaRdfc2022,
            &request,
        )
        .await?;
        if let Ok(mut cache) = self.signed.lock() {
            cache.insert((purpose, list), signed.clone());
        }
        Ok(signed)
    }

    /// The signed Status List Token (`statuslist+jwt`) for one Token Status List: `ttl` as
    /// the Bitstring lists', `exp` a day after signing, signed again after a change or
    /// once half of that day has passed.
    pub fn status_list_token(&self, list: u32) -> Result<String> {
        let now = self.clock.now();
        if let Some(token) = self.signed_tokens.lock().ok().and_then(|signed| {
            signed
                .get(&list)
                .filter(|(signed_at, _)| now - *signed_at < TOKEN_RESIGN_AFTER)
                .map(|(_, token)| token.clone())
        }) {
            return Ok(token);
        }
        let entries = self
            .store
            .token_list(list)?
            .ok_or_else(|| RegistryError::NotFound(format!("no token status list {list}")))?;
        let token = sign_status_list_token(
            &entries,
            &self.token_list_url(list),
            &self.signer,
            now,
            Some(now + TOKEN_LIFETIME),
            Some(self.ttl_millis.div_ceil(1000)),
        )?;
        if let Ok(mut signed) = self.signed_tokens.lock() {
            signed.insert(list, (now, token.clone()));
        }
        Ok(token)
    }

    /// Subscribes to the change feed.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<FeedEvent> {
        self.changes.subscribe()
    }

    pub fn audit(&self) -> Result<Vec<AuditEntry>> {
        self.store.audit()
    }

    /// The audit entries `filter` lets through, newest first, at most `limit`; and how
    /// many it lets through in all.
    pub fn audit_matching(
        &self,
        filter: &AuditFilter,
        limit: usize,
    ) -> Result<(Vec<AuditEntry>, usize)> {
        self.store
            .audit_newest_first(|entry| filter.matches(entry), limit)
    }

    /// Where a credential's status stands now, for the operator: whose it is and whether
    /// it is revoked or suspended.
    pub fn credential_state(&self, credential_id: &str) -> Result<CredentialState> {
        let allocation = self.store.allocation(credential_id)?.ok_or_else(|| {
            RegistryError::NotFound(format!("no status entries for {credential_id}"))
        })?;
        let (mechanism, revoked, suspended) = match &allocation.token {
            Some(slot) => {
                let value = self
                    .store
                    .token_list(slot.list)?
                    .and_then(|list| list.get(slot.index as u64))
                    .ok_or_else(|| {
                        RegistryError::Store("allocated token entry is missing".into())
                    })?;
                (
                    Mechanism::TokenStatusList,
                    value == STATUS_INVALID,
                    value == STATUS_SUSPENDED,
                )
            }
            None => {
                let set = |purpose: StatusPurpose| match allocation
                    .slots
                    .iter()
                    .find(|s| s.purpose == purpose)
                {
                    Some(slot) => self.is_set(slot),
                    None => Err(RegistryError::Store(format!(
                        "{credential_id} has no {} entry",
                        purpose.as_str()
                    ))),
                };
                (
                    Mechanism::Bitstring,
                    set(StatusPurpose::Revocation)?,
                    set(StatusPurpose::Suspension)?,
                )
            }
        };
        Ok(CredentialState {
            credential_id: allocation.credential_id,
            issuer: allocation.owner,
            mechanism,
            revoked,
            suspended,
        })
    }
}

/// A credential's status as it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialState {
    pub credential_id: String,
    /// The issuer that allocated its status entries (and may change them).
    pub issuer: String,
    pub mechanism: Mechanism,
    /// Permanent (BR-19).
    pub revoked: bool,
    pub suspended: bool,
}

/// What the audit log is narrowed to: an entry must match every part given.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Part of the actor: `operator:<name>` or an issuer's DID.
    pub actor: Option<String>,
    pub action: Option<String>,
    pub credential_id: Option<String>,
    /// Entries about this issuer's registration, or made by it.
    pub issuer: Option<String>,
    /// Entries about this verifier's registration.
    pub verifier: Option<String>,
    pub from: Option<DateTime<Utc>>,
    /// The first moment no longer included.
    pub until: Option<DateTime<Utc>>,
}

impl AuditFilter {
    pub fn matches(&self, entry: &AuditEntry) -> bool {
        let same = |wanted: &Option<String>, value: Option<&str>| {
            wanted.as_deref().is_none_or(|w| value == Some(w))
        };
        let at = || {
            DateTime::parse_from_rfc3339(&entry.at)
                .ok()
                .map(|at| at.with_timezone(&Utc))
        };
        self.actor
            .as_deref()
            .is_none_or(|part| entry.actor.contains(part))
            && same(&self.action, Some(&entry.action))
            && same(&self.credential_id, entry.credential_id.as_deref())
            && self
                .issuer
                .as_deref()
                .is_none_or(|did| entry.issuer.as_deref() == Some(did) || entry.actor == did)
            && same(&self.verifier, entry.verifier.as_deref())
            && self
                .from
                .is_none_or(|from| at().is_some_and(|at| at >= from))
            && self
                .until
                .is_none_or(|until| at().is_some_and(|at| at < until))
    }
}

/// How long a Status List Token is valid, and when it is signed afresh: a verifier that
/// was served an old token cannot be kept on it for longer than this.
const TOKEN_LIFETIME: chrono::Duration = chrono::Duration::hours(24);
const TOKEN_RESIGN_AFTER: chrono::Duration = chrono::Duration::hours(12);

/// What an action makes of a Token Status List entry (0 valid, 1 revoked, 2 suspended):
/// the new value, `None` when it already says so, or a refusal. Revocation wins over
/// suspension and is never lifted (BR-19).
fn token_transition(current: u8, action: StatusAction) -> Result<Option<u8>> {
    match (action, current) {
        (StatusAction::Revoke, STATUS_INVALID) => Ok(None),
        (StatusAction::Revoke, _) => Ok(Some(STATUS_INVALID)),
        (StatusAction::Suspend, STATUS_VALID) => Ok(Some(STATUS_SUSPENDED)),
        (StatusAction::Suspend, _) => Ok(None),
        (StatusAction::Reinstate, STATUS_INVALID) => Err(RegistryError::Conflict(
            "the credential is revoked; revocation is permanent".into(),
        )),
        (StatusAction::Reinstate, STATUS_SUSPENDED) => Ok(Some(STATUS_VALID)),
        (StatusAction::Reinstate, _) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use credentials::status_list::{status_in, MINIMUM_ENTRIES};
    use credentials::{FixedClock, PinnedDidDocuments, ResolvedDids, VerificationEnvironment};

    use super::*;

    fn registry(dir: &std::path::Path) -> Registry {
        let store = Arc::new(RegistryStore::open(dir, MINIMUM_ENTRIES).unwrap());
        let clock = Arc::new(FixedClock("2026-11-24T12:00:00Z".parse().unwrap()));
        Registry::new(store, "http://127.0.0.1:8402", clock, 300_000).unwrap()
    }

    const RJ1: &str = "did:web:127.0.0.1%3A8401";

    async fn status_of(registry: &Registry, entry: &StatusEntry) -> bool {
        let purpose = entry.purpose;
        let list: u32 = entry
            .list_credential
            .rsplit('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let signed = registry
            .status_list_credential(purpose, list)
            .await
            .unwrap();
        let pinned = PinnedDidDocuments::new()
            .with(registry.did_document().clone())
            .unwrap();
        let dids = ResolvedDids::resolve_all(&pinned, [registry.did()]).await;
        let clock = FixedClock("2026-11-24T12:00:00Z".parse().unwrap());
        let verdict =
            credentials::verify_credential(&signed, &VerificationEnvironment::new(&dids, &clock))
                .await
                .unwrap();
        assert!(verdict.verified(), "{verdict:#?}");
        status_in(entry, &signed).unwrap()
    }

    #[tokio::test]
    async fn revocation_is_permanent_and_suspension_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let registry = registry(dir.path());
        let entries = registry.allocate(RJ1, "urn:uuid:1").unwrap();
        assert_eq!(entries.len(), 2);
        let (revocation, suspension) = (&entries[0], &entries[1]);
        assert!(!status_of(&registry, revocation).await);

        let issuer = Actor::Issuer(RJ1.into());
        registry
            .change_status(
                &issuer,
                "urn:uuid:1",
                StatusAction::Suspend,
                None,
                Some("EVT-1".into()),
            )
            .unwrap()
            .unwrap();
        assert!(status_of(&registry, suspension).await);
        registry
            .change_status(&issuer, "urn:uuid:1", StatusAction::Reinstate, None, None)
            .unwrap()
            .unwrap();
        assert!(!status_of(&registry, suspension).await);

        registry
            .change_status(
                &issuer,
                "urn:uuid:1",
                StatusAction::Revoke,
                None,
                Some("EVT-2".into()),
            )
            .unwrap()
            .unwrap();
        assert!(status_of(&registry, revocation).await);
        assert!(
            registry
                .change_status(&issuer, "urn:uuid:1", StatusAction::Revoke, None, None)
                .unwrap()
                .is_none(),
            "already revoked"
        );
        assert!(matches!(
            registry.change_status(&issuer, "urn:uuid:1", StatusAction::Reinstate, None, None),
            Err(RegistryError::Conflict(_))
        ));
        let audit = registry.audit().unwrap();
        assert_eq!(
            audit.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(),
            ["suspend", "reinstate", "revoke"]
        );
        assert_eq!(audit[2].event_id.as_deref(), Some("EVT-2"));
    }

    #[tokio::test]
    async fn issuers_change_only_their_own_and_operators_give_reasons() {
        let dir = tempfile::tempdir().unwrap();
        let registry = registry(dir.path());
        registry.allocate(RJ1, "urn:uuid:2").unwrap();
        let other = Actor::Issuer("did:web:rth.example".into());
        assert!(matches!(
            registry.change_status(&other, "urn:uuid:2", StatusAction::Revoke, None, None),
            Err(RegistryError::Forbidden(_))
        ));
        let operator = Actor::Operator("alex".into());
        assert!(matches!(
            registry.change_status(&operator, "urn:uuid:2", StatusAction::Revoke, None, None),
            Err(RegistryError::BadRequest(_))
        ));
        let entry = registry
            .change_status(
                &operator,
                "urn:uuid:2",
                StatusAction::Revoke,
                Some("key compromise".into()),
                None,
            )
            .unwrap()
            .unwrap();
        assert_eq!(entry.actor, "operator:alex");
        assert!(matches!(
            registry.allocate("did:web:rth.example", "urn:uuid:2"),
            Err(RegistryError::Conflict(_))
        ));
        assert!(matches!(
            registry.change_status(
                &operator,
                "urn:uuid:none",
                StatusAction::Revoke,
                Some("x".into()),
                None
            ),
            Err(RegistryError::NotFound(_))
        ));
        assert_eq!(
            registry.audit().unwrap().len(),
            1,
            "refused changes leave no audit entry"
        );
    }

    fn token_status(registry: &Registry, reference: &StatusListReference) -> u8 {
        let list: u32 = reference.uri.rsplit('/').next().unwrap().parse().unwrap();
        let token = registry.status_list_token(list).unwrap();
        let key = registry.signer.public_key();
        let now = "2026-11-24T12:00:00Z".parse().unwrap();
        let entries =
            credentials::sd_jwt::read_status_list_token(&token, &reference.uri, &key, now).unwrap();
        assert_eq!(entries.bits(), 2);
        entries.get(reference.idx).unwrap()
    }

    #[tokio::test]
    async fn token_status_entries_say_valid_suspended_revoked_and_revocation_wins() {
        let dir = tempfile::tempdir().unwrap();
        let registry = registry(dir.path());
        let reference = registry.allocate_token_status(RJ1, "urn:uuid:sd").unwrap();
        assert_eq!(reference.uri, "http://127.0.0.1:8402/token-status-lists/1");
        assert_eq!(token_status(&registry, &reference), STATUS_VALID);
        assert_eq!(
            registry.allocate_token_status(RJ1, "urn:uuid:sd").unwrap(),
            reference,
            "allocating again returns the same entry"
        );
        assert!(
            matches!(
                registry.allocate(RJ1, "urn:uuid:sd"),
                Err(RegistryError::Conflict(_))
            ),
            "one mechanism per credential"
        );

        let issuer = Actor::Issuer(RJ1.into());
        let change = |action| registry.change_status(&issuer, "urn:uuid:sd", action, None, None);
        assert!(change(StatusAction::Suspend).unwrap().is_some());
        assert_eq!(token_status(&registry, &reference), STATUS_SUSPENDED);
        assert!(change(StatusAction::Reinstate).unwrap().is_some());
        assert_eq!(token_status(&registry, &reference), STATUS_VALID);
        assert!(change(StatusAction::Reinstate).unwrap().is_none());
        assert!(change(StatusAction::Suspend).unwrap().is_some());
        assert!(change(StatusAction::Revoke).unwrap().is_some());
        assert_eq!(token_status(&registry, &reference), STATUS_INVALID);
        assert!(
            change(StatusAction::Suspend).unwrap().is_none(),
            "suspending a revoked credential changes nothing"
        );
        assert!(matches!(
            change(StatusAction::Reinstate),
            Err(RegistryError::Conflict(_))
        ));
        assert_eq!(token_status(&registry, &reference), STATUS_INVALID);
        assert_eq!(
            registry
                .audit()
                .unwrap()
                .iter()
                .map(|a| a.action.as_str())
                .collect::<Vec<_>>(),
            ["suspend", "reinstate", "suspend", "revoke"]
        );
        let other = Actor::Issuer("did:web:rth.example".into());
        assert!(matches!(
            registry.change_status(&other, "urn:uuid:sd", StatusAction::Revoke, None, None),
            Err(RegistryError::Forbidden(_))
        ));
        assert!(matches!(
            registry.status_list_token(2),
            Err(RegistryError::NotFound(_))
        ));
    }

    #[test]
    fn a_credentials_state_reads_either_mechanism_and_the_audit_log_filters() {
        let dir = tempfile::tempdir().unwrap();
        let registry = registry(dir.path());
        registry.allocate(RJ1, "urn:uuid:di").unwrap();
        registry.allocate_token_status(RJ1, "urn:uuid:sd").unwrap();
        let operator = Actor::Operator("555000000002".into());
        let state = |id| registry.credential_state(id).unwrap();
        assert_eq!(
            state("urn:uuid:di"),
            CredentialState {
                credential_id: "urn:uuid:di".into(),
                issuer: RJ1.into(),
                mechanism: Mechanism::Bitstring,
                revoked: false,
                suspended: false,
            }
        );
        for id in ["urn:uuid:di", "urn:uuid:sd"] {
            let reason = Some("under investigation".to_owned());
            registry
                .change_status(&operator, id, StatusAction::Suspend, reason, None)
                .unwrap();
            assert!(state(id).suspended && !state(id).revoked, "{id}");
            let reason = Some("dismissed".to_owned());
            registry
                .change_status(&operator, id, StatusAction::Revoke, reason, None)
                .unwrap();
            assert!(state(id).revoked, "{id}");
        }
        assert_eq!(state("urn:uuid:sd").mechanism, Mechanism::TokenStatusList);
        assert!(matches!(
            registry.credential_state("urn:uuid:none"),
            Err(RegistryError::NotFound(_))
        ));

        let matching = |filter: AuditFilter| {
            let (entries, total) = registry.audit_matching(&filter, 2).unwrap();
            assert_eq!(entries.len(), total.min(2));
            (
                entries.into_iter().map(|e| e.sequence).collect::<Vec<_>>(),
                total,
            )
        };
        let all = matching(AuditFilter::default());
        assert_eq!(all.1, 4);
        assert!(all.0[0] > all.0[1], "newest first");
        let revocations = AuditFilter {
            action: Some("revoke".into()),
            credential_id: Some("urn:uuid:sd".into()),
            ..AuditFilter::default()
        };
        assert_eq!(matching(revocations).1, 1);
        let by_uuid = AuditFilter {
            actor: Some("555000000002".into()),
            ..AuditFilter::default()
        };
        assert_eq!(matching(by_uuid).1, 4);
        let noon = "2026-11-24T12:00:00Z".parse().unwrap();
        let at_noon = AuditFilter {
            from: Some(noon),
            until: Some(noon + chrono::Duration::seconds(1)),
            ..AuditFilter::default()
        };
        assert_eq!(matching(at_noon).1, 4);
        let before = AuditFilter {
            until: Some(noon),
            ..AuditFilter::default()
        };
        assert_eq!(matching(before).1, 0);
    }

    #[tokio::test]
    async fn acknowledged_changes_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let entries = {
            let registry = registry(dir.path());
            let entries = registry.allocate(RJ1, "urn:uuid:3").unwrap();
            registry
                .change_status(
                    &Actor::Issuer(RJ1.into()),
                    "urn:uuid:3",
                    StatusAction::Revoke,
                    None,
                    None,
                )
                .unwrap();
            entries
        };
        let reopened = registry(dir.path());
        assert!(status_of(&reopened, &entries[0]).await);
        assert_eq!(reopened.audit().unwrap().len(), 1);
        assert_eq!(
            reopened.allocate(RJ1, "urn:uuid:3").unwrap(),
            entries,
            "allocation is stable"
        );
    }
}
