//! Holder keys. The wallet signs through [`KeyStore`], never with a key in hand: a phone
//! plugs in its Android Keystore or Secure Enclave through the bindings; the default is
//! [`SoftwareKeyStore`], Ed25519 seeds sealed in the wallet's encrypted store.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use zeroize::Zeroize;

use crate::error::{Result, WalletError};
use crate::store::Store;

/// A key the wallet may sign with: its id in the store and its public half.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyHandle {
    pub id: String,
    pub public_key: [u8; 32],
}

impl KeyHandle {
    /// A key another store reports (a phone's keystore): refused unless `public_key` is an
    /// Ed25519 public key.
    pub fn from_parts(id: String, public_key: &[u8]) -> Result<Self> {
        let bad = || WalletError::KeyStore {
            detail: format!(
                "key {id} is not an Ed25519 public key ({} bytes)",
                public_key.len()
            ),
        };
        let public_key: [u8; 32] = public_key.try_into().map_err(|_| bad())?;
        VerifyingKey::from_bytes(&public_key).map_err(|_| bad())?;
        Ok(Self { id, public_key })
    }

    fn verifying_key(&self) -> Result<VerifyingKey> {
        VerifyingKey::from_bytes(&self.public_key).map_err(|_| WalletError::Corrupt {
            detail: format!("key {} has an invalid public key", self.id),
        })
    }

    /// `did:key:z6Mk…`, the holder identifier for Data Integrity credentials.
    pub fn did(&self) -> Result<String> {
        Ok(credentials::did::did_key(&self.verifying_key()?).0)
    }

    /// `did:key:z6Mk…#z6Mk…`.
    pub fn verification_method(&self) -> Result<String> {
        Ok(credentials::did::did_key(&self.verifying_key()?).1)
    }

    /// The public JWK (OKP, Ed25519), for SD-JWT `cnf` and JWT proofs.
    pub fn jwk(&self) -> Value {
        json!({"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(self.public_key)})
    }
}

/// An Ed25519 signature another store made, checked for its length.
pub fn signature_from(bytes: &[u8]) -> Result<[u8; 64]> {
    bytes.try_into().map_err(|_| WalletError::KeyStore {
        detail: format!("a signature is 64 bytes, not {}", bytes.len()),
    })
}

/// Where the holder's private keys live. Ed25519 only for now (all our formats use it).
pub trait KeyStore: Send + Sync {
    fn create_key(&self) -> Result<KeyHandle>;
    fn key(&self, id: &str) -> Result<KeyHandle>;
    fn sign(&self, id: &str, message: &[u8]) -> Result<[u8; 64]>;
}

#[derive(Serialize, Deserialize)]
struct SealedSeed {
    seed: [u8; 32],
}

impl Drop for SealedSeed {
    fn drop(&mut self) {
        self.seed.zeroize();
    }
}

pub struct SoftwareKeyStore {
    store: Arc<Store>,
}

impl SoftwareKeyStore {
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }

    fn signing_key(&self, id: &str) -> Result<SigningKey> {
        let sealed: SealedSeed = self
            .store
            .get(&self.store.keys, id)?
            .ok_or_else(|| WalletError::UnknownKey { id: id.to_owned() })?;
        Ok(SigningKey::from_bytes(&sealed.seed))
    }
}

impl KeyStore for SoftwareKeyStore {
    fn create_key(&self) -> Result<KeyHandle> {
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        let id = uuid::Uuid::new_v4().simple().to_string();
        self.store.put(
            &self.store.keys,
            &id,
            &SealedSeed {
                seed: key.to_bytes(),
            },
        )?;
        Ok(KeyHandle {
            id,
            public_key: key.verifying_key().to_bytes(),
        })
    }

    fn key(&self, id: &str) -> Result<KeyHandle> {
        let key = self.signing_key(id)?;
        Ok(KeyHandle {
            id: id.to_owned(),
            public_key: key.verifying_key().to_bytes(),
        })
    }

    fn sign(&self, id: &str, message: &[u8]) -> Result<[u8; 64]> {
        Ok(self.signing_key(id)?.sign(message).to_bytes())
    }
}

/// A compact JWS (`EdDSA`) signed through the key store.
pub fn sign_jwt(
    keys: &dyn KeyStore,
    key_id: &str,
    header: &Value,
    claims: &Value,
) -> Result<String> {
    let encode = |v: &Value| -> Result<String> {
        serde_json::to_vec(v)
            .map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
            .map_err(|e| WalletError::Storage {
                detail: e.to_string(),
            })
    };
    let signing_input = format!("{}.{}", encode(header)?, encode(claims)?);
    let signature = keys.sign(key_id, signing_input.as_bytes())?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}
