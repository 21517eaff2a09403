//! The registry's persistence. Allocations, status changes and their audit entries are
//! written in one sled transaction and flushed before the caller is answered, so an
//! acknowledged revocation survives a crash and never exists without its audit entry.

use std::path::Path;

use chrono::{DateTime, Utc};
use credentials::sd_jwt::TokenStatusList;
use credentials::status_list::{random_free_index, Bitstring, StatusPurpose};
use credentials::trust_list::{Authorisation, IssuerStatus, VerifierStatus};
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;

use crate::error::{store_error, RegistryError, Result};

/// Where one status of one credential lives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusSlot {
    pub purpose: StatusPurpose,
    pub list: u32,
    pub index: usize,
}

/// Where an SD-JWT VC's status lives: one 2-bit entry of a Token Status List (ADR 0005).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSlot {
    pub list: u32,
    pub index: usize,
}

/// Bits per Token Status List entry: valid, revoked (permanent) and suspended.
pub const TOKEN_STATUS_BITS: u8 = 2;

/// The cursor and taken-index namespace of Token Status Lists, beside the Bitstring
/// purposes' own.
const TOKEN_LISTS: &str = "token";

/// Who holds a credential's status entries: the issuer that allocated them. A Data
/// Integrity credential has Bitstring `slots`; an SD-JWT VC has a `token` entry instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub credential_id: String,
    pub owner: String,
    pub slots: Vec<StatusSlot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenSlot>,
}

/// Which kind of status entries a credential gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    /// W3C Bitstring Status List: one revocation and one suspension entry.
    Bitstring,
    /// IETF Token Status List: one 2-bit entry.
    TokenStatusList,
}

/// One change, as the audit log keeps it (BR-34): of a credential's status, or of an
/// issuer's or a verifier's registration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub sequence: u64,
    pub at: String,
    /// `operator:<name>` or the issuer's DID.
    pub actor: String,
    pub action: String,
    /// For status changes: whose status changed, on which list purpose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<StatusPurpose>,
    /// For registration changes: the issuer's DID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// For verifier registration changes: the verifier's DID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifier: Option<String>,
    pub reason: Option<String>,
    pub event_id: Option<String>,
}

/// What the operator currently grants an issuer; reopened as a new authorisation interval
/// on reinstatement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    pub credential_types: Vec<String>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
}

/// A registered issuer. Its bearer token is kept only as a SHA-256 digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerRecord {
    pub did: String,
    pub ods_code: String,
    pub name: String,
    pub status: IssuerStatus,
    pub grant: Grant,
    /// Every interval the issuer was authorised in, oldest first; never rewritten, only ended.
    pub authorisations: Vec<Authorisation>,
    pub token_sha256: String,
    pub registered_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A registered verifier: a DID wallets may present to. It holds no token, since it writes
/// nothing at the registry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifierRecord {
    pub did: String,
    pub ods_code: String,
    pub name: String,
    pub status: VerifierStatus,
    pub registered_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When it was removed; removal is final.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct ListCursor {
    list: u32,
    allocated: usize,
}

pub struct RegistryStore {
    db: sled::Db,
    lists: sled::Tree,
    token_lists: sled::Tree,
    cursors: sled::Tree,
    allocations: sled::Tree,
    taken: sled::Tree,
    audit: sled::Tree,
    keys: sled::Tree,
    issuers: sled::Tree,
    /// SHA-256 of an issuer's token (hex) → its DID. A removed issuer's token is dropped.
    issuer_tokens: sled::Tree,
    verifiers: sled::Tree,
    list_size: usize,
}

fn list_key(purpose: StatusPurpose, list: u32) -> Vec<u8> {
    format!("{}/{list:08}", purpose.as_str()).into_bytes()
}

fn taken_key(namespace: &str, list: u32, index: usize) -> Vec<u8> {
    format!("{namespace}/{list:08}/{index:010}").into_bytes()
}

fn token_list_key(list: u32) -> [u8; 4] {
    list.to_be_bytes()
}

/// Takes a random free index in the current list of `namespace` (a Bitstring purpose or
/// the token lists), starting a new list when the current one is full.
fn take_slot(
    cursors: &sled::transaction::TransactionalTree,
    taken: &sled::transaction::TransactionalTree,
    namespace: &str,
    list_size: usize,
    credential_id: &str,
) -> std::result::Result<(u32, usize), ConflictableTransactionError<RegistryError>> {
    let key = namespace.as_bytes();
    let mut cursor = match cursors.get(key)? {
        Some(bytes) => serde_json::from_slice(&bytes).map_err(abort)?,
        None => ListCursor {
            list: 1,
            allocated: 0,
        },
    };
    if cursor.allocated >= list_size {
        cursor = ListCursor {
            list: cursor.list + 1,
            allocated: 0,
        };
    }
    let mut lookup_failed = None;
    let index = random_free_index(list_size, cursor.allocated, |i| {
        match taken.get(taken_key(namespace, cursor.list, i)) {
            Ok(found) => found.is_some(),
            Err(e) => {
                lookup_failed = Some(e);
                true
            }
        }
    });
    if let Some(e) = lookup_failed {
        return Err(abort(e));
    }
    let index = index.ok_or_else(|| abort("no free status index"))?;
    taken.insert(
        taken_key(namespace, cursor.list, index),
        credential_id.as_bytes(),
    )?;
    cursor.allocated += 1;
    cursors.insert(key, serde_json::to_vec(&cursor).map_err(abort)?)?;
    Ok((cursor.list, index))
}

fn abort(e: impl std::fmt::Display) -> ConflictableTransactionError<RegistryError> {
    ConflictableTransactionError::Abort(RegistryError::Store(e.to_string()))
}

fn unwrap_transaction<T>(
    result: std::result::Result<T, TransactionError<RegistryError>>,
) -> Result<T> {
    result.map_err(|e| match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => store_error(e),
    })
}

impl RegistryStore {
    pub fn open(dir: &Path, list_size: usize) -> Result<Self> {
        Bitstring::new(list_size)
            .map_err(|e| RegistryError::Settings(format!("list size: {e}")))?;
        let db = sled::open(dir)
            .map_err(|e| RegistryError::Store(format!("cannot open {}: {e}", dir.display())))?;
        let tree = |name: &str| db.open_tree(name).map_err(store_error);
        Ok(Self {
            lists: tree("lists")?,
            token_lists: tree("token-lists")?,
            cursors: tree("cursors")?,
            allocations: tree("allocations")?,
            taken: tree("taken")?,
            audit: tree("audit")?,
            keys: tree("keys")?,
            issuers: tree("issuers")?,
            issuer_tokens: tree("issuer-tokens")?,
            verifiers: tree("verifiers")?,
            db,
            list_size,
        })
    }

    fn flush(&self) -> Result<()> {
        self.db.flush().map(|_| ()).map_err(store_error)
    }

    /// The underlying database, for what keeps its own trees beside the registry's (the
    /// operator console's accounts and sessions).
    pub fn database(&self) -> sled::Db {
        self.db.clone()
    }

    /// Allocates status entries for a credential at random: one per Bitstring purpose, or
    /// one Token Status List entry. Allocating again for the same credential returns what
    /// it has, whichever mechanism is asked for.
    pub fn allocate(
        &self,
        owner: &str,
        credential_id: &str,
        mechanism: Mechanism,
    ) -> Result<Allocation> {
        if let Some(existing) = self.allocation(credential_id)? {
            if existing.owner != owner {
                return Err(RegistryError::Conflict(
                    "that credential id is allocated to another issuer".into(),
                ));
            }
            return Ok(existing);
        }
        let list_size = self.list_size;
        let allocation =
            unwrap_transaction((&self.cursors, &self.taken, &self.allocations).transaction(
                |(cursors, taken, allocations)| {
                    let mut allocation = Allocation {
                        credential_id: credential_id.to_owned(),
                        owner: owner.to_owned(),
                        slots: Vec::new(),
                        token: None,
                    };
                    match mechanism {
                        Mechanism::Bitstring => {
                            for purpose in [StatusPurpose::Revocation, StatusPurpose::Suspension] {
                                let (list, index) = take_slot(
                                    cursors,
                                    taken,
                                    purpose.as_str(),
                                    list_size,
                                    credential_id,
                                )?;
                                allocation.slots.push(StatusSlot {
                                    purpose,
                                    list,
                                    index,
                                });
                            }
                        }
                        Mechanism::TokenStatusList => {
                            let (list, index) =
                                take_slot(cursors, taken, TOKEN_LISTS, list_size, credential_id)?;
                            allocation.token = Some(TokenSlot { list, index });
                        }
                    }
                    allocations.insert(
                        credential_id.as_bytes(),
                        serde_json::to_vec(&allocation).map_err(abort)?,
                    )?;
                    Ok(allocation)
                },
            ))?;
        self.flush()?;
        Ok(allocation)
    }

    pub fn allocation(&self, credential_id: &str) -> Result<Option<Allocation>> {
        match self
            .allocations
            .get(credential_id.as_bytes())
            .map_err(store_error)?
        {
            Some(bytes) => Ok(Some(serde_json::from_slice(&bytes).map_err(store_error)?)),
            None => Ok(None),
        }
    }

    /// Whether list `list` of `namespace` has been started.
    fn list_exists(&self, namespace: &str, list: u32) -> Result<bool> {
        Ok(
            match self
                .cursors
                .get(namespace.as_bytes())
                .map_err(store_error)?
            {
                Some(bytes) => {
                    serde_json::from_slice::<ListCursor>(&bytes)
                        .map_err(store_error)?
                        .list
                        >= list
                        && list >= 1
                }
                None => false,
            },
        )
    }

    /// The current bits of a list; a list nothing has been set in yet is all zeros.
    pub fn list(&self, purpose: StatusPurpose, list: u32) -> Result<Option<Bitstring>> {
        if !self.list_exists(purpose.as_str(), list)? {
            return Ok(None);
        }
        match self
            .lists
            .get(list_key(purpose, list))
            .map_err(store_error)?
        {
            Some(bytes) => Ok(Some(
                Bitstring::from_bytes(bytes.to_vec()).map_err(|e| store_error(e.to_string()))?,
            )),
            None => Ok(Some(
                Bitstring::new(self.list_size).map_err(|e| store_error(e.to_string()))?,
            )),
        }
    }

    /// Sets or clears one status bit and appends the audit entry, in one transaction, then
    /// flushes. Returns the entry, or `None` when the bit already had that value.
    pub fn change(
        &self,
        slot: &StatusSlot,
        value: bool,
        entry: AuditEntry,
    ) -> Result<Option<AuditEntry>> {
        let list_size = self.list_size;
        let changed =
            unwrap_transaction((&self.lists, &self.audit).transaction(|(lists, audit)| {
                let key = list_key(slot.purpose, slot.list);
                let mut bits = match lists.get(&key)? {
                    Some(bytes) => Bitstring::from_bytes(bytes.to_vec()).map_err(abort)?,
                    None => Bitstring::new(list_size).map_err(abort)?,
                };
                if bits.get(slot.index).map_err(abort)? == value {
                    return Ok(None);
                }
                bits.set(slot.index, value).map_err(abort)?;
                lists.insert(key, bits.as_bytes())?;
                let entry = AuditEntry {
                    sequence: audit.generate_id()?,
                    ..entry.clone()
                };
                audit.insert(
                    &entry.sequence.to_be_bytes(),
                    serde_json::to_vec(&entry).map_err(abort)?,
                )?;
                Ok(Some(entry))
            }))?;
        self.flush()?;
        Ok(changed)
    }

    /// The current entries of a Token Status List; one nothing has been set in yet is all
    /// valid.
    pub fn token_list(&self, list: u32) -> Result<Option<TokenStatusList>> {
        if !self.list_exists(TOKEN_LISTS, list)? {
            return Ok(None);
        }
        self.read_token_list(
            &self
                .token_lists
                .get(token_list_key(list))
                .map_err(store_error)?,
        )
        .map(Some)
    }

    fn read_token_list(&self, stored: &Option<sled::IVec>) -> Result<TokenStatusList> {
        match stored {
            Some(bytes) => TokenStatusList::from_packed(TOKEN_STATUS_BITS, bytes.to_vec()),
            None => TokenStatusList::new(TOKEN_STATUS_BITS, self.list_size),
        }
        .map_err(|e| store_error(e.to_string()))
    }

    /// Changes one Token Status List entry to what `decide` makes of its current value
    /// (`None`: no change; an error refuses) and appends the audit entry, in one
    /// transaction, then flushes. Returns the entry, or `None` when nothing changed.
    pub fn change_token<F>(
        &self,
        slot: &TokenSlot,
        decide: F,
        entry: AuditEntry,
    ) -> Result<Option<AuditEntry>>
    where
        F: Fn(u8) -> Result<Option<u8>>,
    {
        let changed = unwrap_transaction((&self.token_lists, &self.audit).transaction(
            |(lists, audit)| {
                let key = token_list_key(slot.list);
                let mut list = self
                    .read_token_list(&lists.get(key)?)
                    .map_err(ConflictableTransactionError::Abort)?;
                let current = list
                    .get(slot.index as u64)
                    .ok_or_else(|| abort("token status index out of range"))?;
                let Some(value) = decide(current).map_err(ConflictableTransactionError::Abort)?
                else {
                    return Ok(None);
                };
                list.set(slot.index as u64, value).map_err(abort)?;
                lists.insert(&key, list.packed())?;
                let entry = AuditEntry {
                    sequence: audit.generate_id()?,
                    ..entry.clone()
                };
                audit.insert(
                    &entry.sequence.to_be_bytes(),
                    serde_json::to_vec(&entry).map_err(abort)?,
                )?;
                Ok(Some(entry))
            },
        ))?;
        self.flush()?;
        Ok(changed)
    }

    /// The audit log, oldest first.
    pub fn audit(&self) -> Result<Vec<AuditEntry>> {
        self.audit
            .iter()
            .values()
            .map(|bytes| serde_json::from_slice(&bytes.map_err(store_error)?).map_err(store_error))
            .collect()
    }

    /// The entries `keep` accepts, newest first, at most `limit` of them; and how many it
    /// accepted in all.
    pub fn audit_newest_first(
        &self,
        keep: impl Fn(&AuditEntry) -> bool,
        limit: usize,
    ) -> Result<(Vec<AuditEntry>, usize)> {
        let mut kept = Vec::new();
        let mut total = 0;
        for bytes in self.audit.iter().values().rev() {
            let entry: AuditEntry =
                serde_json::from_slice(&bytes.map_err(store_error)?).map_err(store_error)?;
            if keep(&entry) {
                total += 1;
                if kept.len() < limit {
                    kept.push(entry);
                }
            }
        }
        Ok((kept, total))
    }

    /// Writes an issuer's registration as `change` makes it from the current one, with its
    /// audit entry and its token digest, in one transaction; then flushes. `change` may
    /// refuse (its error is returned and nothing is written).
    pub fn write_issuer<F>(
        &self,
        did: &str,
        change: F,
        entry: AuditEntry,
    ) -> Result<(IssuerRecord, AuditEntry)>
    where
        F: Fn(Option<IssuerRecord>) -> Result<IssuerRecord>,
    {
        let written = unwrap_transaction(
            (&self.issuers, &self.issuer_tokens, &self.audit).transaction(
                |(issuers, tokens, audit)| {
                    let current: Option<IssuerRecord> = match issuers.get(did.as_bytes())? {
                        Some(bytes) => Some(serde_json::from_slice(&bytes).map_err(abort)?),
                        None => None,
                    };
                    let old_token = current.as_ref().map(|c| c.token_sha256.clone());
                    let record = change(current).map_err(ConflictableTransactionError::Abort)?;
                    if let Some(old) = old_token {
                        tokens.remove(old.as_bytes())?;
                    }
                    if record.status != IssuerStatus::Removed {
                        tokens.insert(record.token_sha256.as_bytes(), did.as_bytes())?;
                    }
                    issuers.insert(did.as_bytes(), serde_json::to_vec(&record).map_err(abort)?)?;
                    let entry = AuditEntry {
                        sequence: audit.generate_id()?,
                        ..entry.clone()
                    };
                    audit.insert(
                        &entry.sequence.to_be_bytes(),
                        serde_json::to_vec(&entry).map_err(abort)?,
                    )?;
                    Ok((record, entry))
                },
            ),
        )?;
        self.flush()?;
        Ok(written)
    }

    pub fn issuer(&self, did: &str) -> Result<Option<IssuerRecord>> {
        match self.issuers.get(did.as_bytes()).map_err(store_error)? {
            Some(bytes) => Ok(Some(serde_json::from_slice(&bytes).map_err(store_error)?)),
            None => Ok(None),
        }
    }

    /// The issuer whose token has this SHA-256 (hex), unless it was removed.
    pub fn issuer_by_token_digest(&self, digest: &str) -> Result<Option<IssuerRecord>> {
        match self
            .issuer_tokens
            .get(digest.as_bytes())
            .map_err(store_error)?
        {
            Some(did) => self.issuer(&String::from_utf8_lossy(&did)),
            None => Ok(None),
        }
    }

    /// Every registered issuer, by DID.
    pub fn issuers(&self) -> Result<Vec<IssuerRecord>> {
        self.issuers
            .iter()
            .values()
            .map(|bytes| serde_json::from_slice(&bytes.map_err(store_error)?).map_err(store_error))
            .collect()
    }

    /// Writes a verifier's registration as `change` makes it from the current one, with its
    /// audit entry, in one transaction; then flushes. `change` may refuse (its error is
    /// returned and nothing is written).
    pub fn write_verifier<F>(
        &self,
        did: &str,
        change: F,
        entry: AuditEntry,
    ) -> Result<(VerifierRecord, AuditEntry)>
    where
        F: Fn(Option<VerifierRecord>) -> Result<VerifierRecord>,
    {
        let written = unwrap_transaction((&self.verifiers, &self.audit).transaction(
            |(verifiers, audit)| {
                let current: Option<VerifierRecord> = match verifiers.get(did.as_bytes())? {
                    Some(bytes) => Some(serde_json::from_slice(&bytes).map_err(abort)?),
                    None => None,
                };
                let record = change(current).map_err(ConflictableTransactionError::Abort)?;
                verifiers.insert(did.as_bytes(), serde_json::to_vec(&record).map_err(abort)?)?;
                let entry = AuditEntry {
                    sequence: audit.generate_id()?,
                    ..entry.clone()
                };
                audit.insert(
                    &entry.sequence.to_be_bytes(),
                    serde_json::to_vec(&entry).map_err(abort)?,
                )?;
                Ok((record, entry))
            },
        ))?;
        self.flush()?;
        Ok(written)
    }

    pub fn verifier(&self, did: &str) -> Result<Option<VerifierRecord>> {
        match self.verifiers.get(did.as_bytes()).map_err(store_error)? {
            Some(bytes) => Ok(Some(serde_json::from_slice(&bytes).map_err(store_error)?)),
            None => Ok(None),
        }
    }

    /// Every registered verifier, by DID.
    pub fn verifiers(&self) -> Result<Vec<VerifierRecord>> {
        self.verifiers
            .iter()
            .values()
            .map(|bytes| serde_json::from_slice(&bytes.map_err(store_error)?).map_err(store_error))
            .collect()
    }

    /// The registry's Ed25519 secret, generated and stored on first use.
    pub fn signing_key_seed(&self) -> Result<[u8; 32]> {
        service_kit::store::load_or_create_seed(&self.db, &self.keys, b"registry-ed25519-seed")
            .map_err(RegistryError::Store)
    }
}
