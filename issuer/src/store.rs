//! The issuer's persistence, behind a trait so a server database can replace sled for a
//! multi-node deployment. Every write that is acknowledged to a caller is flushed first.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{IssuerError, Result};

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
}

pub struct SledStore {
    db: sled::Db,
    people: sled::Tree,
    issuances: sled::Tree,
    keys: sled::Tree,
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
            db,
        })
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
            // Keyed by time then id, so the log reads in issuance order.
            let key = format!("{}|{}", record.issued_at, record.credential_id);
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
}
