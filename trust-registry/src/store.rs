//! The registry's persistence. Allocations, status changes and their audit entries are
//! written in one sled transaction and flushed before the caller is answered, so an
//! acknowledged revocation survives a crash and never exists without its audit entry.

use std::path::Path;

use credentials::status_list::{random_free_index, Bitstring, StatusPurpose};
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

/// Who holds a credential's status entries: the issuer that allocated them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub credential_id: String,
    pub owner: String,
    pub slots: Vec<StatusSlot>,
}

/// One change of status, as the audit log keeps it (BR-34).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub sequence: u64,
    pub at: String,
    /// `operator:<name>` or the issuer's DID.
    pub actor: String,
    pub action: String,
    pub credential_id: String,
    pub purpose: StatusPurpose,
    pub reason: Option<String>,
    pub event_id: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct ListCursor {
    list: u32,
    allocated: usize,
}

pub struct RegistryStore {
    db: sled::Db,
    lists: sled::Tree,
    cursors: sled::Tree,
    allocations: sled::Tree,
    taken: sled::Tree,
    audit: sled::Tree,
    keys: sled::Tree,
    list_size: usize,
}

fn list_key(purpose: StatusPurpose, list: u32) -> Vec<u8> {
    format!("{}/{list:08}", purpose.as_str()).into_bytes()
}

fn taken_key(purpose: StatusPurpose, list: u32, index: usize) -> Vec<u8> {
    format!("{}/{list:08}/{index:010}", purpose.as_str()).into_bytes()
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
            cursors: tree("cursors")?,
            allocations: tree("allocations")?,
            taken: tree("taken")?,
            audit: tree("audit")?,
            keys: tree("keys")?,
            db,
            list_size,
        })
    }

    fn flush(&self) -> Result<()> {
        self.db.flush().map(|_| ()).map_err(store_error)
    }

    /// Allocates one random slot per purpose for a credential, starting a new list when the
    /// current one is full. Allocating again for the same credential returns what it has.
    pub fn allocate(
        &self,
        owner: &str,
        credential_id: &str,
        purposes: &[StatusPurpose],
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
                    let mut slots = Vec::new();
                    for purpose in purposes {
                        let key = purpose.as_str().as_bytes();
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
                        let index = random_free_index(list_size, cursor.allocated, |i| match taken
                            .get(taken_key(*purpose, cursor.list, i))
                        {
                            Ok(found) => found.is_some(),
                            Err(e) => {
                                lookup_failed = Some(e);
                                true
                            }
                        });
                        if let Some(e) = lookup_failed {
                            return Err(abort(e));
                        }
                        let index = index.ok_or_else(|| abort("no free status index"))?;
                        taken.insert(
                            taken_key(*purpose, cursor.list, index),
                            credential_id.as_bytes(),
                        )?;
                        cursor.allocated += 1;
                        cursors.insert(key, serde_json::to_vec(&cursor).map_err(abort)?)?;
                        slots.push(StatusSlot {
                            purpose: *purpose,
                            list: cursor.list,
                            index,
                        });
                    }
                    let allocation = Allocation {
                        credential_id: credential_id.to_owned(),
                        owner: owner.to_owned(),
                        slots,
                    };
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

    /// The current bits of a list; a list nothing has been set in yet is all zeros.
    pub fn list(&self, purpose: StatusPurpose, list: u32) -> Result<Option<Bitstring>> {
        let exists = match self
            .cursors
            .get(purpose.as_str().as_bytes())
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
        };
        if !exists {
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

    /// The audit log, oldest first.
    pub fn audit(&self) -> Result<Vec<AuditEntry>> {
        self.audit
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
