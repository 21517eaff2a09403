//! The journey on the phone, with our wallet (wallet-core, as the terminal wallet and the
//! mobile bindings use it) against the running issuer and verifier.

use base64::Engine;
use serde_json::{json, Value};
use tests::{Platform, TOKEN};
use wallet_core::{Wallet, WalletError, WalletOptions};

use crate::oid4vci::decode_qr;

fn wallet(dir: &tempfile::TempDir) -> Wallet {
    Wallet::open(
        dir.path(),
        "a long wallet passphrase",
        WalletOptions {
            allow_loopback_http: true,
        },
    )
    .unwrap()
}

/// The RA's offer for a person: the link as the QR code carries it, and the PIN.
async fn offer(platform: &Platform, person: &str, body: Value) -> (String, String) {
    let response = platform
        .admin_post(&format!("/admin/people/{person}/offers"), &body)
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let offer: Value = response.json().await.unwrap();
    let png = base64::engine::general_purpose::STANDARD
        .decode(offer["qr_png"].as_str().unwrap())
        .unwrap();
    let scanned = decode_qr(&png);
    assert_eq!(scanned, offer["offer_uri"].as_str().unwrap());
    (scanned, offer["tx_code"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn the_wallet_accepts_an_offer_in_both_formats_with_the_pin() {
    let platform = Platform::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let wallet = wallet(&dir);
    let (link, pin) = offer(&platform, "P0001", json!({})).await;

    // Read first: what is offered, before agreeing to anything.
    let offered = wallet.read_offer(&link).await.unwrap();
    assert_eq!(offered.credential_issuer, platform.issuer_url);
    assert!(offered.credential_configuration_ids.len() >= 10);

    let received = wallet.accept_offer(&link, Some(&pin)).await.unwrap();
    let formats: std::collections::BTreeSet<&str> =
        received.iter().map(|c| c.format.as_str()).collect();
    assert_eq!(formats, ["dc+sd-jwt", "ldp_vc"].into());
    let holder = wallet.holder_did().unwrap();
    for credential in received.iter().filter(|c| c.format == "ldp_vc") {
        assert_eq!(credential.credential["credentialSubject"]["id"], holder);
        let verdict = platform
            .verify_credential(&credential.credential)
            .await
            .unwrap();
        assert_eq!(verdict["verified"], true, "{verdict:#}");
    }
    // Each SD-JWT VC has a key of its own: presentations of two cannot be linked by key.
    let keys: std::collections::BTreeSet<&str> = received
        .iter()
        .filter(|c| c.format == "dc+sd-jwt")
        .map(|c| c.key_id.as_str())
        .collect();
    assert_eq!(
        keys.len(),
        received.iter().filter(|c| c.format == "dc+sd-jwt").count()
    );
    assert_eq!(wallet.credentials().unwrap().len(), received.len());
    let history = wallet.history().unwrap();
    assert_eq!(
        history.len(),
        received.len(),
        "one history entry per credential received"
    );

    // The offer was used: a second wallet cannot take it again.
    let other_dir = tempfile::tempdir().unwrap();
    let other = self::wallet(&other_dir);
    assert!(matches!(
        other.accept_offer(&link, Some(&pin)).await,
        Err(WalletError::Refused { .. }) | Err(WalletError::Network { .. })
    ));
    assert!(other.credentials().unwrap().is_empty());
}

#[tokio::test]
async fn a_wrong_pin_is_refused_and_then_the_offer_locks() {
    let platform = Platform::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let wallet = wallet(&dir);
    let (link, pin) = offer(&platform, "P0001", json!({"formats": ["ldp_vc"]})).await;
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    for _ in 0..3 {
        match wallet.accept_offer(&link, Some(wrong)).await {
            Err(WalletError::Refused { error, .. }) => assert_eq!(error, "invalid_grant"),
            other => panic!("a wrong PIN must be refused: {other:?}"),
        }
    }
    // Locked: even the right PIN no longer works.
    assert!(matches!(
        wallet.accept_offer(&link, Some(&pin)).await,
        Err(WalletError::Refused { .. }) | Err(WalletError::Network { .. })
    ));
    assert!(matches!(
        wallet.accept_offer(&link, None).await,
        Err(WalletError::InvalidOffer { .. })
            | Err(WalletError::Refused { .. })
            | Err(WalletError::Network { .. })
    ));
    assert!(wallet.credentials().unwrap().is_empty(), "nothing stored");
    let _ = TOKEN;
}
