//! Encryption at rest: every record the wallet stores is sealed with XChaCha20-Poly1305
//! under a key derived from the holder's passphrase (Argon2id). A phone would derive the
//! key from its keystore instead; the bindings pass such a key in directly.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use zeroize::Zeroize;

use crate::error::{Result, WalletError};

/// Argon2id cost: OWASP's 2023 minimum (19 MiB, 2 passes), bearable on a phone.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;

pub struct Vault {
    cipher: XChaCha20Poly1305,
}

impl Vault {
    /// A vault keyed by a passphrase and the wallet's stored salt.
    pub fn from_passphrase(passphrase: &str, salt: &[u8]) -> Result<Self> {
        let params =
            Params::new(MEMORY_KIB, PASSES, 1, Some(32)).map_err(|e| WalletError::Storage {
                detail: format!("key derivation parameters: {e}"),
            })?;
        let mut key = [0u8; 32];
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(passphrase.as_bytes(), salt, &mut key)
            .map_err(|e| WalletError::Storage {
                detail: format!("key derivation: {e}"),
            })?;
        let vault = Self::from_key(&key);
        key.zeroize();
        Ok(vault)
    }

    /// A vault keyed directly (a key the platform keystore keeps).
    pub fn from_key(key: &[u8; 32]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(key.into()),
        }
    }

    pub fn random_salt() -> [u8; 16] {
        let mut salt = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        salt
    }

    /// `nonce ‖ ciphertext`. `binding` (the record's tree and key) is authenticated, so a
    /// sealed record moved to another place does not open.
    pub fn seal(&self, plaintext: &[u8], binding: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: binding,
                },
            )
            .map_err(|_| WalletError::Storage {
                detail: "encryption failed".into(),
            })?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(out)
    }

    pub fn open(&self, sealed: &[u8], binding: &[u8]) -> Result<Vec<u8>> {
        if sealed.len() < 24 {
            return Err(WalletError::Corrupt {
                detail: "sealed record too short".into(),
            });
        }
        let (nonce, ciphertext) = sealed.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().map_err(|_| WalletError::Corrupt {
            detail: "sealed record too short".into(),
        })?;
        self.cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: binding,
                },
            )
            .map_err(|_| WalletError::Corrupt {
                detail: "a record does not decrypt".into(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_records_open_only_with_their_key_and_place() {
        let salt = Vault::random_salt();
        let vault = Vault::from_passphrase("correct horse", &salt).unwrap();
        let sealed = vault.seal(b"secret", b"keys/1").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(vault.open(&sealed, b"keys/1").unwrap(), b"secret");
        assert!(vault.open(&sealed, b"keys/2").is_err(), "moved record");
        let other = Vault::from_passphrase("wrong horse", &salt).unwrap();
        assert!(other.open(&sealed, b"keys/1").is_err(), "other passphrase");
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(vault.open(&tampered, b"keys/1").is_err(), "tampered");
        assert!(vault.open(&[1, 2, 3], b"keys/1").is_err(), "truncated");
    }
}
