//! The wallet's storage: sled trees whose values are sealed by the [`Vault`]. Only the
//! salt and a check value are stored in the clear.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{storage, Result, WalletError};
use crate::vault::Vault;

const SALT: &[u8] = b"kdf-salt";
const CHECK: &[u8] = b"passphrase-check";
const CHECK_TEXT: &[u8] = b"nhs-staff-passport-wallet";

pub struct Store {
    db: sled::Db,
    vault: Vault,
    pub(crate) keys: sled::Tree,
    credentials: sled::Tree,
    history: sled::Tree,
    settings: sled::Tree,
}

/// A credential as received, in its own format, with what the issuer said to show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredCredential {
    /// The wallet's own id for it.
    pub id: String,
    /// `ldp_vc` (a JSON object) or `dc+sd-jwt` (a string).
    pub format: String,
    pub credential: Value,
    pub configuration_id: String,
    pub credential_issuer: String,
    /// The issuer's `credential_metadata.display` for this configuration.
    pub display: Value,
    pub received_at: String,
    /// The wallet key it is bound to.
    pub key_id: String,
}

impl StoredCredential {
    /// The issuer's name for it (its first `display` entry), else its configuration id.
    pub fn display_name(&self) -> String {
        self.display
            .as_array()
            .and_then(|entries| entries.first())
            .and_then(|d| d.get("name"))
            .and_then(Value::as_str)
            .unwrap_or(&self.configuration_id)
            .to_owned()
    }
}

/// Everything the wallet did for the holder, readable by them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum HistoryEntry {
    Received {
        at: String,
        credential_id: String,
        credential_issuer: String,
        configuration_id: String,
    },
    Presented {
        at: String,
        /// The verifier's client_id (with its prefix) and, when known, its name.
        verifier: String,
        verifier_name: Option<String>,
        credential_ids: Vec<String>,
        /// The claims disclosed, as claims path pointers.
        claims: Vec<Value>,
    },
    Deleted {
        at: String,
        credential_id: String,
    },
    /// A credential's status list said something new (suspended, reinstated, revoked).
    StatusChanged {
        at: String,
        credential_id: String,
        status: crate::status::CredentialStatus,
    },
}

impl Store {
    /// Opens (or creates) the wallet at `dir`. A wrong passphrase is refused before
    /// anything is read or written.
    pub fn open(dir: &Path, passphrase: &str) -> Result<Self> {
        let db = sled::open(dir).map_err(storage)?;
        let meta = db.open_tree("meta").map_err(storage)?;
        let salt = match meta.get(SALT).map_err(storage)? {
            Some(salt) => salt.to_vec(),
            None => {
                let salt = Vault::random_salt().to_vec();
                meta.insert(SALT, salt.as_slice()).map_err(storage)?;
                salt
            }
        };
        let vault = Vault::from_passphrase(passphrase, &salt)?;
        match meta.get(CHECK).map_err(storage)? {
            Some(check) => {
                let opened = vault
                    .open(&check, CHECK)
                    .map_err(|_| WalletError::WrongPassphrase)?;
                if opened != CHECK_TEXT {
                    return Err(WalletError::WrongPassphrase);
                }
            }
            None => {
                meta.insert(CHECK, vault.seal(CHECK_TEXT, CHECK)?)
                    .map_err(storage)?;
                db.flush().map_err(storage)?;
            }
        }
        Ok(Self {
            keys: db.open_tree("keys").map_err(storage)?,
            credentials: db.open_tree("credentials").map_err(storage)?,
            history: db.open_tree("history").map_err(storage)?,
            settings: db.open_tree("settings").map_err(storage)?,
            db,
            vault,
        })
    }

    pub(crate) fn put<T: Serialize>(&self, tree: &sled::Tree, key: &str, value: &T) -> Result<()> {
        let plain = serde_json::to_vec(value).map_err(storage)?;
        let sealed = self.vault.seal(&plain, &binding(tree, key))?;
        tree.insert(key.as_bytes(), sealed).map_err(storage)?;
        self.db.flush().map_err(storage)?;
        Ok(())
    }

    pub(crate) fn get<T: DeserializeOwned>(
        &self,
        tree: &sled::Tree,
        key: &str,
    ) -> Result<Option<T>> {
        match tree.get(key.as_bytes()).map_err(storage)? {
            None => Ok(None),
            Some(sealed) => {
                let plain = self.vault.open(&sealed, &binding(tree, key))?;
                serde_json::from_slice(&plain)
                    .map(Some)
                    .map_err(|e| WalletError::Corrupt {
                        detail: e.to_string(),
                    })
            }
        }
    }

    fn all<T: DeserializeOwned>(&self, tree: &sled::Tree) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for item in tree.iter() {
            let (key, sealed) = item.map_err(storage)?;
            let key = String::from_utf8_lossy(&key).into_owned();
            let plain = self.vault.open(&sealed, &binding(tree, &key))?;
            out.push(
                serde_json::from_slice(&plain).map_err(|e| WalletError::Corrupt {
                    detail: e.to_string(),
                })?,
            );
        }
        Ok(out)
    }

    pub(crate) fn settings(&self) -> &sled::Tree {
        &self.settings
    }

    pub fn put_credential(&self, credential: &StoredCredential) -> Result<()> {
        self.put(&self.credentials, &credential.id, credential)
    }

    pub fn credential(&self, id: &str) -> Result<StoredCredential> {
        self.get(&self.credentials, id)?
            .ok_or_else(|| WalletError::UnknownCredential { id: id.to_owned() })
    }

    pub fn credentials(&self) -> Result<Vec<StoredCredential>> {
        let mut all: Vec<StoredCredential> = self.all(&self.credentials)?;
        all.sort_by(|a, b| (&a.received_at, &a.id).cmp(&(&b.received_at, &b.id)));
        Ok(all)
    }

    pub fn delete_credential(&self, id: &str) -> Result<()> {
        if self
            .credentials
            .remove(id.as_bytes())
            .map_err(storage)?
            .is_none()
        {
            return Err(WalletError::UnknownCredential { id: id.to_owned() });
        }
        self.db.flush().map_err(storage)?;
        Ok(())
    }

    pub fn record(&self, entry: &HistoryEntry) -> Result<()> {
        // Monotonic keys keep the history in order across restarts.
        let sequence = self.db.generate_id().map_err(storage)?;
        self.put(&self.history, &format!("{sequence:020}"), entry)
    }

    pub fn history(&self) -> Result<Vec<HistoryEntry>> {
        self.all(&self.history)
    }
}

fn binding(tree: &sled::Tree, key: &str) -> Vec<u8> {
    let mut binding = tree.name().to_vec();
    binding.push(0);
    binding.extend_from_slice(key.as_bytes());
    binding
}
