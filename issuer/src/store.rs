//! The issuer's persistence, behind a trait so a server database can replace sled for a
//! multi-node deployment. Every write that is acknowledged to a caller is flushed first.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{IssuerError, Result};
use crate::oid4vci::{token_digest, AccessTokenRecord, OfferRecord};

/// What was issued: enough to audit and, later, to revoke. The credential itself is not
/// kept (it belongs to the holder); its hash is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IssuanceRecord {
    pub credential_id: String,
    pub credential_type: String,
    /// The Care Identity UUID for catalogue credentials, else the subject's id, if any.
    pub subject: Option<String>,
    pub holder: Option<String>,
    pub person_id: Option<String>,
    pub issued_at: String,
    pub cryptosuite: String,
    /// SHA-256 of the secured credential as sent (its JSON bytes), hex.
    pub sha256: String,
}

/// Where a credential this issuer issued stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialState {
    Active,
    Suspended,
    /// Permanent (BR-19): a revoked credential is replaced, never reinstated.
    Revoked,
}

/// One status change of a ledger entry, and what caused it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StateChange {
    pub at: String,
    pub state: CredentialState,
    pub reason: String,
    /// The ESR event or RA request that caused it.
    pub cause: String,
}

/// A credential issued for a person, with the post it belongs to and its current state:
/// what lifecycle events act on. The signed credential is kept until the holder's wallet
/// collects it (and for re-delivery), never the holder's keys.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub credential_id: String,
    pub credential_type: String,
    pub person_id: String,
    /// The assignment the credential belongs to (BR-17: a leaver's post's credentials).
    pub assignment_number: Option<String>,
    pub holder: Option<String>,
    pub issued_at: String,
    /// The ESR event or RA request it was issued for; none when an RA issued it directly.
    pub issued_for: Option<String>,
    pub state: CredentialState,
    #[serde(default)]
    pub history: Vec<StateChange>,
    pub credential: serde_json::Value,
}

impl LedgerEntry {
    pub fn kind(&self) -> Option<credentials::CredentialKind> {
        credentials::CredentialKind::from_type_name(&self.credential_type)
    }
}

/// What an event did (or, held, will do on its date), for the ESR interface and the event log.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CredentialChanges {
    pub issued: Vec<String>,
    pub revoked: Vec<String>,
    pub suspended: Vec<String>,
    pub reinstated: Vec<String>,
}

/// An applied ESR event: kept for idempotency (BR-21), ordering (BR-22) and audit (BR-34).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub event_id: String,
    pub event_type: crate::events::EventType,
    pub person_id: String,
    pub occurred_at: String,
    pub received_at: String,
    pub fingerprint: String,
    pub outcome: crate::events::EventOutcome,
    pub effects: Vec<String>,
    pub credentials: CredentialChanges,
    pub ra_request: Option<String>,
    pub event: serde_json::Value,
    /// For an event held until its date: that date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_for: Option<chrono::NaiveDate>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RaRequestState {
    Pending,
    Accepted,
    Rejected,
}

/// A change waiting for a Registration Authority's decision (BR-12, BR-15).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RaRequest {
    pub request_id: String,
    pub person_id: String,
    pub event_id: String,
    pub created_at: String,
    pub request: crate::events::RaRequestKind,
    pub state: RaRequestState,
    /// The Care Identity UUID of the RA who decided (BR-34).
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub reason: Option<String>,
    #[serde(default)]
    pub effects: Vec<String>,
    #[serde(default)]
    pub credentials: CredentialChanges,
}

/// Everything one lifecycle step writes, applied in one transaction and flushed.
#[derive(Clone, Debug, Default)]
pub struct Commit {
    pub person: Option<(String, serde_json::Value)>,
    pub ledger: Vec<LedgerEntry>,
    pub issuances: Vec<IssuanceRecord>,
    pub event: Option<EventRecord>,
    /// Held events this step ends (replaced by a newer one, or cancelled): rewritten as
    /// they now stand, with no effect on the person's event clock.
    pub held_ended: Vec<EventRecord>,
    pub ra_request: Option<RaRequest>,
}

pub trait IssuerStore: Send + Sync {
    /// Stores people records all at once, or none of them.
    fn put_people(&self, people: &[(String, serde_json::Value)]) -> Result<()>;
    fn person(&self, person_id: &str) -> Result<Option<serde_json::Value>>;
    fn people(&self) -> Result<Vec<serde_json::Value>>;
    fn person_count(&self) -> Result<usize>;
    /// Records issuances all at once, durably, before the caller answers success.
    fn record_issuances(&self, records: &[IssuanceRecord]) -> Result<()>;
    fn issuances(&self) -> Result<Vec<IssuanceRecord>>;
    /// The issuer's Ed25519 secret, generated and stored on first use.
    fn signing_key_seed(&self) -> Result<[u8; 32]>;
    /// Writes a lifecycle step all at once, or nothing of it, durably.
    fn commit(&self, commit: &Commit) -> Result<()>;
    fn ledger_for(&self, person_id: &str) -> Result<Vec<LedgerEntry>>;
    fn event(&self, event_id: &str) -> Result<Option<EventRecord>>;
    fn events(&self) -> Result<Vec<EventRecord>>;
    /// When the latest event received for this person occurred (BR-22), held ones included.
    fn person_clock(&self, person_id: &str) -> Result<Option<String>>;
    fn ra_request(&self, request_id: &str) -> Result<Option<RaRequest>>;
    fn ra_requests(&self) -> Result<Vec<RaRequest>>;
    /// The secret OpenID4VCI PIN and nonce MACs are keyed with, generated on first use.
    fn oid4vci_secret(&self) -> Result<[u8; 32]>;
    /// Stores a new credential offer, findable by id and by its pre-authorized code.
    fn put_offer(&self, offer: &OfferRecord) -> Result<()>;
    fn offer(&self, offer_id: &str) -> Result<Option<OfferRecord>>;
    /// A person's offers, newest first, for the RA console.
    fn offers_for(&self, person_id: &str) -> Result<Vec<OfferRecord>>;
    fn offer_for_code(&self, pre_authorized_code: &str) -> Result<Option<OfferRecord>>;
    /// A token request's outcome in one transaction: the offer as it now stands (a wrong
    /// PIN counted, locked, or redeemed) and the access token it earned, if any.
    fn record_redemption(
        &self,
        offer: &OfferRecord,
        token: Option<(&str, &AccessTokenRecord)>,
    ) -> Result<()>;
    /// An access token's grant, by the token's SHA-256 (hex).
    fn access_token(&self, digest: &str) -> Result<Option<AccessTokenRecord>>;
    fn put_access_token(&self, digest: &str, token: &AccessTokenRecord) -> Result<()>;
    /// Spends a `c_nonce`: true the first time, false ever after (it is remembered until
    /// it expires, when the MAC refuses it anyway).
    fn spend_nonce(
        &self,
        nonce: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool>;
}

pub struct SledStore {
    db: sled::Db,
    people: sled::Tree,
    issuances: sled::Tree,
    keys: sled::Tree,
    /// `person_id \0 credential_id` → [`LedgerEntry`].
    ledger: sled::Tree,
    /// `event_id` → [`EventRecord`].
    events: sled::Tree,
    /// `person_id` → the latest received event's `occurred_at` (RFC 3339, UTC, so it sorts).
    person_clock: sled::Tree,
    /// `request_id` → [`RaRequest`].
    ra_requests: sled::Tree,
    /// `offer_id` → [`OfferRecord`].
    offers: sled::Tree,
    /// SHA-256 of a pre-authorized code → `offer_id`.
    offer_codes: sled::Tree,
    /// SHA-256 of an access token → [`AccessTokenRecord`].
    access_tokens: sled::Tree,
    /// A spent `c_nonce` → its expiry (Unix seconds, big-endian).
    spent_nonces: sled::Tree,
}

impl SledStore {
    pub fn open(dir: &Path) -> Result<Self> {
        let db = sled::open(dir)
            .map_err(|e| IssuerError::Store(format!("cannot open {}: {e}", dir.display())))?;
        let tree = |name: &str| db.open_tree(name).map_err(store_error);
        Ok(Self {
            people: tree("people")?,
            issuances: tree("issuances")?,
            keys: tree("keys")?,
            ledger: tree("ledger")?,
            events: tree("events")?,
            person_clock: tree("person_clock")?,
            ra_requests: tree("ra_requests")?,
            offers: tree("offers")?,
            offer_codes: tree("offer_codes")?,
            access_tokens: tree("access_tokens")?,
            spent_nonces: tree("spent_nonces")?,
            db,
        })
    }

    /// The store's database, which the RA console keeps its accounts and sessions in.
    pub fn database(&self) -> sled::Db {
        self.db.clone()
    }

    fn flush(&self) -> Result<()> {
        self.db.flush().map_err(store_error)?;
        Ok(())
    }
}

fn store_error(e: impl std::fmt::Display) -> IssuerError {
    IssuerError::Store(e.to_string())
}

const SIGNING_KEY: &[u8] = b"issuer-ed25519-seed";
const OID4VCI_SECRET: &[u8] = b"oid4vci-mac-secret";

impl IssuerStore for SledStore {
    fn put_people(&self, people: &[(String, serde_json::Value)]) -> Result<()> {
        let mut batch = sled::Batch::default();
        for (person_id, record) in people {
            let bytes = serde_json::to_vec(record).map_err(store_error)?;
            batch.insert(person_id.as_bytes(), bytes);
        }
        self.people.apply_batch(batch).map_err(store_error)?;
        self.flush()
    }

    fn person(&self, person_id: &str) -> Result<Option<serde_json::Value>> {
        match self.people.get(person_id.as_bytes()).map_err(store_error)? {
            Some(bytes) => Ok(Some(serde_json::from_slice(&bytes).map_err(store_error)?)),
            None => Ok(None),
        }
    }

    fn people(&self) -> Result<Vec<serde_json::Value>> {
        self.people
            .iter()
            .values()
            .map(|bytes| serde_json::from_slice(&bytes.map_err(store_error)?).map_err(store_error))
            .collect()
    }

    fn person_count(&self) -> Result<usize> {
        Ok(self.people.len())
    }

    fn record_issuances(&self, records: &[IssuanceRecord]) -> Result<()> {
        let mut batch = sled::Batch::default();
        for record in records {
            let key = issuance_key(record);
            batch.insert(
                key.as_bytes(),
                serde_json::to_vec(record).map_err(store_error)?,
            );
        }
        self.issuances.apply_batch(batch).map_err(store_error)?;
        self.flush()
    }

    fn issuances(&self) -> Result<Vec<IssuanceRecord>> {
        self.issuances
            .iter()
            .values()
            .map(|bytes| serde_json::from_slice(&bytes.map_err(store_error)?).map_err(store_error))
            .collect()
    }

    fn signing_key_seed(&self) -> Result<[u8; 32]> {
        service_kit::store::load_or_create_seed(&self.db, &self.keys, SIGNING_KEY)
            .map_err(IssuerError::Store)
    }

    fn commit(&self, commit: &Commit) -> Result<()> {
        use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
        // Serialise outside the transaction: its closure may run more than once.
        let person = match &commit.person {
            Some((id, record)) => Some((id.clone(), encode(record)?)),
            None => None,
        };
        let ledger = commit
            .ledger
            .iter()
            .map(|e| Ok((ledger_key(&e.person_id, &e.credential_id), encode(e)?)))
            .collect::<Result<Vec<_>>>()?;
        let issuances = commit
            .issuances
            .iter()
            .map(|r| Ok((issuance_key(r), encode(r)?)))
            .collect::<Result<Vec<_>>>()?;
        let event = match &commit.event {
            Some(e) => Some((
                e.event_id.clone(),
                e.person_id.clone(),
                e.occurred_at.clone(),
                encode(e)?,
            )),
            None => None,
        };
        let request = match &commit.ra_request {
            Some(r) => Some((r.request_id.clone(), encode(r)?)),
            None => None,
        };
        let held_ended = commit
            .held_ended
            .iter()
            .map(|e| Ok((e.event_id.clone(), encode(e)?)))
            .collect::<Result<Vec<_>>>()?;
        let result: std::result::Result<(), TransactionError<()>> = (
            &self.people,
            &self.ledger,
            &self.issuances,
            &self.events,
            &self.person_clock,
            &self.ra_requests,
        )
            .transaction(
                |(people, ledger_tree, issuance_tree, events, clock, requests)| {
                    if let Some((id, bytes)) = &person {
                        people.insert(id.as_bytes(), bytes.as_slice())?;
                    }
                    for (key, bytes) in &ledger {
                        ledger_tree.insert(key.as_bytes(), bytes.as_slice())?;
                    }
                    for (key, bytes) in &issuances {
                        issuance_tree.insert(key.as_bytes(), bytes.as_slice())?;
                    }
                    if let Some((event_id, person_id, occurred_at, bytes)) = &event {
                        events.insert(event_id.as_bytes(), bytes.as_slice())?;
                        let later = match clock.get(person_id.as_bytes())? {
                            Some(current) => occurred_at.as_bytes() > current.as_ref(),
                            None => true,
                        };
                        if later {
                            clock.insert(person_id.as_bytes(), occurred_at.as_bytes())?;
                        }
                    }
                    if let Some((id, bytes)) = &request {
                        requests.insert(id.as_bytes(), bytes.as_slice())?;
                    }
                    for (event_id, bytes) in &held_ended {
                        events.insert(event_id.as_bytes(), bytes.as_slice())?;
                    }
                    Ok::<_, ConflictableTransactionError<()>>(())
                },
            );
        result.map_err(|e| IssuerError::Store(format!("{e:?}")))?;
        self.flush()
    }

    fn ledger_for(&self, person_id: &str) -> Result<Vec<LedgerEntry>> {
        let prefix = format!("{person_id}\0");
        let mut entries: Vec<LedgerEntry> = self
            .ledger
            .scan_prefix(prefix.as_bytes())
            .values()
            .map(|bytes| serde_json::from_slice(&bytes.map_err(store_error)?).map_err(store_error))
            .collect::<Result<_>>()?;
        entries.sort_by(|a, b| a.issued_at.cmp(&b.issued_at));
        Ok(entries)
    }

    fn event(&self, event_id: &str) -> Result<Option<EventRecord>> {
        decode_optional(self.events.get(event_id.as_bytes()).map_err(store_error)?)
    }

    fn events(&self) -> Result<Vec<EventRecord>> {
        let mut events: Vec<EventRecord> = decode_all(&self.events)?;
        events.sort_by(|a, b| (&a.occurred_at, &a.event_id).cmp(&(&b.occurred_at, &b.event_id)));
        Ok(events)
    }

    fn person_clock(&self, person_id: &str) -> Result<Option<String>> {
        Ok(self
            .person_clock
            .get(person_id.as_bytes())
            .map_err(store_error)?
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
    }

    fn ra_request(&self, request_id: &str) -> Result<Option<RaRequest>> {
        decode_optional(
            self.ra_requests
                .get(request_id.as_bytes())
                .map_err(store_error)?,
        )
    }

    fn ra_requests(&self) -> Result<Vec<RaRequest>> {
        let mut requests: Vec<RaRequest> = decode_all(&self.ra_requests)?;
        requests.sort_by(|a, b| a.created_at.cmp(&b.created_at));
        Ok(requests)
    }

    fn oid4vci_secret(&self) -> Result<[u8; 32]> {
        service_kit::store::load_or_create_seed(&self.db, &self.keys, OID4VCI_SECRET)
            .map_err(IssuerError::Store)
    }

    fn put_offer(&self, offer: &OfferRecord) -> Result<()> {
        use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
        let bytes = encode(offer)?;
        let code = token_digest(&offer.pre_authorized_code);
        let result: std::result::Result<(), TransactionError<()>> =
            (&self.offers, &self.offer_codes).transaction(|(offers, codes)| {
                offers.insert(offer.offer_id.as_bytes(), bytes.as_slice())?;
                codes.insert(code.as_bytes(), offer.offer_id.as_bytes())?;
                Ok::<_, ConflictableTransactionError<()>>(())
            });
        result.map_err(|e| IssuerError::Store(format!("{e:?}")))?;
        self.flush()
    }

    fn offer(&self, offer_id: &str) -> Result<Option<OfferRecord>> {
        decode_optional(self.offers.get(offer_id.as_bytes()).map_err(store_error)?)
    }

    fn offers_for(&self, person_id: &str) -> Result<Vec<OfferRecord>> {
        let mut offers: Vec<OfferRecord> = decode_all(&self.offers)?;
        offers.retain(|offer| offer.person_id == person_id);
        offers.sort_by_key(|offer| std::cmp::Reverse(offer.created_at));
        Ok(offers)
    }

    fn offer_for_code(&self, pre_authorized_code: &str) -> Result<Option<OfferRecord>> {
        let digest = token_digest(pre_authorized_code);
        match self
            .offer_codes
            .get(digest.as_bytes())
            .map_err(store_error)?
        {
            Some(offer_id) => decode_optional(self.offers.get(offer_id).map_err(store_error)?),
            None => Ok(None),
        }
    }

    fn record_redemption(
        &self,
        offer: &OfferRecord,
        token: Option<(&str, &AccessTokenRecord)>,
    ) -> Result<()> {
        use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
        let bytes = encode(offer)?;
        let token = match token {
            Some((digest, record)) => Some((digest.to_owned(), encode(record)?)),
            None => None,
        };
        let result: std::result::Result<(), TransactionError<()>> =
            (&self.offers, &self.access_tokens).transaction(|(offers, tokens)| {
                offers.insert(offer.offer_id.as_bytes(), bytes.as_slice())?;
                if let Some((digest, record)) = &token {
                    tokens.insert(digest.as_bytes(), record.as_slice())?;
                }
                Ok::<_, ConflictableTransactionError<()>>(())
            });
        result.map_err(|e| IssuerError::Store(format!("{e:?}")))?;
        self.flush()
    }

    fn access_token(&self, digest: &str) -> Result<Option<AccessTokenRecord>> {
        decode_optional(
            self.access_tokens
                .get(digest.as_bytes())
                .map_err(store_error)?,
        )
    }

    fn put_access_token(&self, digest: &str, token: &AccessTokenRecord) -> Result<()> {
        self.access_tokens
            .insert(digest.as_bytes(), encode(token)?)
            .map_err(store_error)?;
        self.flush()
    }

    fn spend_nonce(
        &self,
        nonce: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        // Forget nonces past their expiry first: the MAC check refuses them by then, so
        // the tree holds only the nonces of the last few minutes.
        let now_seconds = now.timestamp();
        for entry in self.spent_nonces.iter() {
            let (key, value) = entry.map_err(store_error)?;
            let expired = <[u8; 8]>::try_from(value.as_ref())
                .map(|bytes| i64::from_be_bytes(bytes) <= now_seconds)
                .unwrap_or(true);
            if expired {
                self.spent_nonces.remove(key).map_err(store_error)?;
            }
        }
        let first_use = self
            .spent_nonces
            .compare_and_swap(
                nonce.as_bytes(),
                None as Option<&[u8]>,
                Some(&expires_at.timestamp().to_be_bytes()[..]),
            )
            .map_err(store_error)?
            .is_ok();
        self.flush()?;
        Ok(first_use)
    }
}

fn ledger_key(person_id: &str, credential_id: &str) -> String {
    format!("{person_id}\0{credential_id}")
}

/// Keyed by time then id, so the log reads in issuance order.
fn issuance_key(record: &IssuanceRecord) -> String {
    format!("{}|{}", record.issued_at, record.credential_id)
}

fn decode_optional<T: serde::de::DeserializeOwned>(bytes: Option<sled::IVec>) -> Result<Option<T>> {
    bytes
        .map(|b| serde_json::from_slice(&b).map_err(store_error))
        .transpose()
}

fn decode_all<T: serde::de::DeserializeOwned>(tree: &sled::Tree) -> Result<Vec<T>> {
    tree.iter()
        .values()
        .map(|bytes| serde_json::from_slice(&bytes.map_err(store_error)?).map_err(store_error))
        .collect()
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(store_error)
}
