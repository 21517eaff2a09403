//! The wallet's store: sealed at rest, opened only with the passphrase, keys usable only
//! through the key store.

use ed25519_dalek::Verifier;
use serde_json::json;
use wallet_core::keys::{sign_jwt, KeyStore, SoftwareKeyStore};
use wallet_core::store::{HistoryEntry, Store, StoredCredential};
use wallet_core::{Wallet, WalletError, WalletOptions};

fn credential(id: &str) -> StoredCredential {
    StoredCredential {
        id: id.into(),
        format: "ldp_vc".into(),
        credential: json!({"credentialSubject": {"givenName": "Amara-Unmistakable"}}),
        configuration_id: "employment_ldp_vc".into(),
        credential_issuer: "https://issuer.example".into(),
        display: json!([{"name": "Employment"}]),
        received_at: "2026-11-24T12:00:00Z".into(),
        key_id: "k".into(),
    }
}

fn everything_on_disk(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in walk(dir) {
        bytes.extend(std::fs::read(entry).unwrap_or_default());
    }
    bytes
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn the_store_is_sealed_and_opens_only_with_the_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let seed_hex;
    {
        let store = std::sync::Arc::new(Store::open(dir.path(), "correct horse").unwrap());
        store.put_credential(&credential("c1")).unwrap();
        store
            .record(&HistoryEntry::Deleted {
                at: "2026-11-24T12:00:01Z".into(),
                credential_id: "c0".into(),
            })
            .unwrap();
        let keys = SoftwareKeyStore::new(std::sync::Arc::clone(&store));
        let key = keys.create_key().unwrap();
        let signature = keys.sign(&key.id, b"message").unwrap();
        let public = ed25519_dalek::VerifyingKey::from_bytes(&key.public_key).unwrap();
        public
            .verify(
                b"message",
                &ed25519_dalek::Signature::from_bytes(&signature),
            )
            .unwrap();
        assert!(key.did().unwrap().starts_with("did:key:z6Mk"));
        let jwt = sign_jwt(&keys, &key.id, &json!({"alg": "EdDSA"}), &json!({"a": 1})).unwrap();
        assert_eq!(jwt.split('.').count(), 3);
        assert!(matches!(
            keys.sign("nope", b"x"),
            Err(WalletError::UnknownKey { .. })
        ));
        seed_hex = key.public_key;
    }
    let disk = everything_on_disk(dir.path());
    assert!(
        !disk.windows(18).any(|w| w == b"Amara-Unmistakable"),
        "credential in the clear"
    );
    assert!(
        !disk.windows(8).any(|w| w == b"ldp_vc\","),
        "metadata in the clear"
    );
    let _ = seed_hex;

    assert!(matches!(
        Store::open(dir.path(), "wrong horse"),
        Err(WalletError::WrongPassphrase)
    ));
    let store = Store::open(dir.path(), "correct horse").unwrap();
    assert_eq!(store.credentials().unwrap(), vec![credential("c1")]);
    assert_eq!(store.history().unwrap().len(), 1);
    store.delete_credential("c1").unwrap();
    assert!(store.credentials().unwrap().is_empty());
    assert!(matches!(
        store.delete_credential("c1"),
        Err(WalletError::UnknownCredential { .. })
    ));
}

#[tokio::test]
async fn a_wallet_keeps_one_holder_did_and_refuses_insecure_offers() {
    let dir = tempfile::tempdir().unwrap();
    let did = {
        let wallet = Wallet::open(dir.path(), "pw", WalletOptions::default()).unwrap();
        let did = wallet.holder_did().unwrap();
        assert_eq!(wallet.holder_did().unwrap(), did);
        did
    };
    let wallet = Wallet::open(dir.path(), "pw", WalletOptions::default()).unwrap();
    assert_eq!(
        wallet.holder_did().unwrap(),
        did,
        "the same holder after reopening"
    );
    let insecure =
        "openid-credential-offer://?credential_offer_uri=http%3A%2F%2F127.0.0.1%3A1%2Foffers%2F1";
    assert!(matches!(
        wallet.accept_offer(insecure, Some("123456")).await,
        Err(WalletError::InsecureUrl { .. })
    ));
    let remote_http =
        "openid-credential-offer://?credential_offer_uri=http%3A%2F%2Fissuer.example%2Foffers%2F1";
    let lenient = Wallet::open(
        tempfile::tempdir().unwrap().path(),
        "pw",
        WalletOptions {
            allow_loopback_http: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(matches!(
        lenient.accept_offer(remote_http, None).await,
        Err(WalletError::InsecureUrl { .. })
    ));
}
