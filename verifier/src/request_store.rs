//! The verifier's store (sled, under `data_dir`): its signing key, and its OpenID4VP
//! presentation requests with their results.
//!
//! Requests are kept on disk, not in memory: a result must survive a restart until the
//! officer has read it. A request is answered at most once: the pending → answered step is
//! a compare-and-swap, so two deliveries of one response (a replay, or a wallet retrying)
//! cannot both be verified. Everything is dropped `retention` after it was answered or
//! expired, so personal data in results is not kept longer than the onboarding needs.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::dcql::DcqlQuery;

const KEY_TREE: &str = "keys";
const SIGNING_SEED: &[u8] = b"signing-seed";
const REQUEST_TREE: &str = "presentation-requests";

/// One presentation request: what was asked, and (once answered) what was found.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RequestRecord {
    pub id: String,
    pub template: String,
    pub nonce: String,
    pub state: String,
    pub dcql_query: DcqlQuery,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Set, once, when a response is accepted for checking.
    #[serde(default)]
    pub answered_at: Option<DateTime<Utc>>,
    /// The officer's view of the checks; absent while they run.
    #[serde(default)]
    pub result: Option<Value>,
}

pub struct RequestStore {
    db: sled::Db,
    requests: sled::Tree,
}

impl RequestStore {
    pub fn open(dir: &Path) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let db = sled::open(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let requests = db.open_tree(REQUEST_TREE).map_err(|e| e.to_string())?;
        Ok(Self { db, requests })
    }

    pub fn database(&self) -> sled::Db {
        self.db.clone()
    }

    /// The verifier's Ed25519 seed, made on first start and never leaving the store.
    pub fn signing_seed(&self) -> Result<[u8; 32], String> {
        let keys = self.db.open_tree(KEY_TREE).map_err(|e| e.to_string())?;
        service_kit::store::load_or_create_seed(&self.db, &keys, SIGNING_SEED)
    }

    pub fn insert(&self, record: &RequestRecord) -> Result<(), String> {
        let bytes = serde_json::to_vec(record).map_err(|e| e.to_string())?;
        self.requests
            .insert(record.id.as_bytes(), bytes)
            .map_err(|e| e.to_string())?;
        self.db.flush().map_err(|e| e.to_string())?;
        Ok(())
    }

    pub fn get(&self, id: &str) -> Result<Option<RequestRecord>, String> {
        match self
            .requests
            .get(id.as_bytes())
            .map_err(|e| e.to_string())?
        {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| format!("stored request {id} is corrupt: {e}")),
        }
    }

    /// Marks a pending request answered, only if it still is exactly `pending` (as read):
    /// `false` when another response got there first.
    pub fn claim(&self, pending: &RequestRecord, at: DateTime<Utc>) -> Result<bool, String> {
        let before = serde_json::to_vec(pending).map_err(|e| e.to_string())?;
        let mut answered = pending.clone();
        answered.answered_at = Some(at);
        let after = serde_json::to_vec(&answered).map_err(|e| e.to_string())?;
        let swapped = self
            .requests
            .compare_and_swap(pending.id.as_bytes(), Some(before), Some(after))
            .map_err(|e| e.to_string())?;
        self.db.flush().map_err(|e| e.to_string())?;
        Ok(swapped.is_ok())
    }

    /// Drops every request answered or expired more than `retention` ago.
    pub fn prune(&self, now: DateTime<Utc>, retention: Duration) -> Result<usize, String> {
        let mut dropped = 0;
        for entry in self.requests.iter() {
            let (key, bytes) = entry.map_err(|e| e.to_string())?;
            let done_at = serde_json::from_slice::<RequestRecord>(&bytes)
                .map(|r| r.answered_at.unwrap_or(r.expires_at))
                // A record we cannot read is of no use to anyone.
                .unwrap_or(DateTime::<Utc>::MIN_UTC);
            if done_at
                .checked_add_signed(retention)
                .is_some_and(|until| until < now)
            {
                self.requests.remove(key).map_err(|e| e.to_string())?;
                dropped += 1;
            }
        }
        if dropped > 0 {
            self.db.flush().map_err(|e| e.to_string())?;
        }
        Ok(dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, now: DateTime<Utc>) -> RequestRecord {
        RequestRecord {
            id: id.into(),
            template: "t".into(),
            nonce: "n".into(),
            state: "s".into(),
            dcql_query: serde_json::from_value(serde_json::json!({"credentials": [
                {"id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": ["v"]}}]}))
            .unwrap(),
            created_at: now,
            expires_at: now + Duration::minutes(5),
            answered_at: None,
            result: None,
        }
    }

    #[test]
    fn a_request_is_claimed_once_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let now = Utc::now();
        let seed = {
            let store = RequestStore::open(dir.path()).unwrap();
            let pending = record("r1", now);
            store.insert(&pending).unwrap();
            assert!(store.claim(&pending, now).unwrap());
            assert!(
                !store.claim(&pending, now).unwrap(),
                "a second claim must fail"
            );
            store.signing_seed().unwrap()
        };
        let store = RequestStore::open(dir.path()).unwrap();
        assert_eq!(store.signing_seed().unwrap(), seed);
        let stored = store.get("r1").unwrap().unwrap();
        assert_eq!(stored.answered_at, Some(now));
        assert!(store.get("r2").unwrap().is_none());
    }

    #[test]
    fn old_requests_are_pruned_and_recent_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = RequestStore::open(dir.path()).unwrap();
        let now = Utc::now();
        store
            .insert(&record("old", now - Duration::days(3)))
            .unwrap();
        store.insert(&record("new", now)).unwrap();
        assert_eq!(store.prune(now, Duration::days(1)).unwrap(), 1);
        assert!(store.get("old").unwrap().is_none());
        assert!(store.get("new").unwrap().is_some());
    }
}
