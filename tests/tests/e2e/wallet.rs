//! The journey on the phone, with our wallet (wallet-core, as the terminal wallet and the
//! mobile bindings use it) against the running issuer and verifier.

use base64::Engine;
use serde_json::{json, Value};
use tests::{Platform, TOKEN};
use wallet_core::status::CredentialStatus;
use wallet_core::store::HistoryEntry;
use wallet_core::{Wallet, WalletError, WalletOptions};

use crate::oid4vci::decode_qr;

pub(crate) fn wallet(dir: &tempfile::TempDir) -> Wallet {
    Wallet::open(
        dir.path(),
        "a long wallet passphrase",
        WalletOptions {
            allow_loopback_http: true,
            ..Default::default()
        },
    )
    .unwrap()
}

/// A wallet that presents only to verifiers the platform's trust registry lists.
fn checking_wallet(dir: &tempfile::TempDir, platform: &Platform) -> Wallet {
    Wallet::open(
        dir.path(),
        "a long wallet passphrase",
        WalletOptions {
            allow_loopback_http: true,
            trust_list_url: Some(format!("{}/trust-list", platform.registry_url)),
            registry_did: None,
        },
    )
    .unwrap()
}

async fn register_platform_verifier(platform: &Platform) -> String {
    let did = credentials::did::did_web_for_base_url(&platform.verifier_url).unwrap();
    tests::register_verifier(
        &platform.registry_url,
        tests::OPERATOR_TOKEN,
        &did,
        "RJ1",
        "Leeds Teaching Hospitals onboarding",
    )
    .await
    .unwrap();
    did
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

    // The offer was used: a second wallet cannot take it again; our issuer no longer
    // serves it, so the wallet can say so rather than blame the PIN.
    let other_dir = tempfile::tempdir().unwrap();
    let other = self::wallet(&other_dir);
    match other.accept_offer(&link, Some(&pin)).await {
        Err(WalletError::OfferUnavailable { detail }) => {
            assert!(detail.contains("redeemed"), "{detail}")
        }
        other => panic!("a used offer must be refused: {other:?}"),
    }
    assert!(other.credentials().unwrap().is_empty());
}

#[tokio::test]
async fn an_offer_naming_an_authorization_server_the_issuer_does_not_list_is_refused() {
    let platform = Platform::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let wallet = wallet(&dir);
    let response = platform
        .admin_post(
            "/admin/people/P0001/offers",
            &json!({"formats": ["ldp_vc"]}),
        )
        .await
        .unwrap();
    let created: Value = response.json().await.unwrap();
    let pin = created["tx_code"].as_str().unwrap().to_owned();
    let by_value = reqwest::Url::parse(created["offer_uri_by_value"].as_str().unwrap()).unwrap();
    let (_, text) = by_value.query_pairs().next().unwrap();
    let mut offer: Value = serde_json::from_str(&text).unwrap();
    let link_for = |offer: &Value| {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("credential_offer", &offer.to_string())
            .finish();
        format!("openid-credential-offer://?{query}")
    };
    let untouched = link_for(&offer);
    offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
        ["authorization_server"] = json!("http://127.0.0.1:9/phishing");
    match wallet.accept_offer(&link_for(&offer), Some(&pin)).await {
        Err(WalletError::InvalidOffer { detail }) => {
            assert!(detail.contains("does not list"), "{detail}")
        }
        other => panic!("the PIN must not go to an unlisted server: {other:?}"),
    }
    assert!(wallet.credentials().unwrap().is_empty());
    // Nothing was spent: the offer as the issuer made it still works.
    assert!(!wallet
        .accept_offer(&untouched, Some(&pin))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_wrong_pin_is_refused_and_then_the_offer_locks() {
    let platform = Platform::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let wallet = wallet(&dir);
    let (link, pin) = offer(&platform, "P0001", json!({"formats": ["ldp_vc"]})).await;
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    for left in ["2 attempt(s) left", "1 attempt(s) left", "now locked"] {
        match wallet.accept_offer(&link, Some(wrong)).await {
            Err(WalletError::WrongPin { detail }) => assert!(detail.contains(left), "{detail}"),
            other => panic!("a wrong PIN must be refused: {other:?}"),
        }
    }
    // Locked: even the right PIN no longer works, and the wallet says the offer is gone.
    match wallet.accept_offer(&link, Some(&pin)).await {
        Err(WalletError::OfferUnavailable { detail }) => {
            assert!(detail.contains("locked"), "{detail}")
        }
        other => panic!("a locked offer must be refused: {other:?}"),
    }
    assert!(matches!(
        wallet.accept_offer(&link, None).await,
        Err(WalletError::OfferUnavailable { .. })
    ));
    assert!(wallet.credentials().unwrap().is_empty(), "nothing stored");
    let _ = TOKEN;
}

async fn officer_starts(platform: &Platform, template: &str) -> Value {
    let response = platform
        .http
        .post(format!("{}/presentation-requests", platform.verifier_url))
        .bearer_auth(tests::OFFICER_TOKEN)
        .json(&json!({"template": template}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn officer_reads(platform: &Platform, created: &Value) -> Value {
    platform
        .http
        .get(created["result_url"].as_str().unwrap())
        .bearer_auth(tests::OFFICER_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn scanned(created: &Value) -> String {
    let png = base64::engine::general_purpose::STANDARD
        .decode(created["qr_png"].as_str().unwrap())
        .unwrap();
    let link = decode_qr(&png);
    assert_eq!(link, created["openid4vp_uri"].as_str().unwrap());
    link
}

/// Offer → PIN → both formats stored → the verifier's QR code → the wallet shows who asks
/// and what it would disclose → the holder answers with a subset → the officer's result
/// lists exactly what was disclosed and passes every check.
#[tokio::test]
async fn the_whole_journey_from_offer_to_onboarding_with_our_wallet() {
    let platform = Platform::start().await.unwrap();
    register_platform_verifier(&platform).await;
    let dir = tempfile::tempdir().unwrap();
    let wallet = checking_wallet(&dir, &platform);
    let (link, pin) = offer(&platform, "P0001", json!({})).await;
    wallet.accept_offer(&link, Some(&pin)).await.unwrap();

    let created = officer_starts(&platform, "new-starter").await;
    let request = wallet.read_request(&scanned(&created)).await.unwrap();
    let registered = request.registered_as.clone().unwrap();
    assert_eq!(
        registered.ods_code, "RJ1",
        "who asks, from the trust registry"
    );
    let verifier_did = credentials::did::did_web_for_base_url(&platform.verifier_url).unwrap();
    assert_eq!(
        request.verifier_did, verifier_did,
        "who asks, from the signed request"
    );
    assert_eq!(
        request.client_id,
        format!("decentralized_identifier:{verifier_did}")
    );
    // Prefer SD-JWT VCs: they disclose only what is asked.
    let mut chosen = std::collections::BTreeMap::new();
    for (query, candidates) in &request.candidates {
        if query.ends_with("_sd_jwt") {
            if let Some(first) = candidates.first() {
                chosen.insert(query.clone(), first.credential_id.clone());
            }
        }
    }
    assert!(
        chosen.contains_key("identity_sd_jwt"),
        "{:?}",
        request.candidates.keys()
    );
    let receipt = wallet.answer(&request, &chosen).await.unwrap();
    assert_eq!(receipt.presented, chosen);

    let result = officer_reads(&platform, &created).await;
    assert_eq!(result["status"], "received", "{result:#}");
    assert_eq!(result["result"]["verified"], true, "{result:#}");
    let identity = &result["result"]["credentials"]["identity_sd_jwt"][0];
    assert_eq!(identity["verified"], true);
    let asked: std::collections::BTreeSet<String> = identity["requested_claims"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    c.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| c.to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    let shown: std::collections::BTreeSet<String> = identity["claims"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| json!([k]).to_string())
        .collect();
    assert!(!shown.is_empty());
    assert_eq!(shown, asked, "exactly what was asked is disclosed");
    assert!(
        identity["claims"].get("middleNames").is_none(),
        "not asked, not disclosed"
    );

    // The holder can read what went to whom.
    let presented: Vec<_> = wallet
        .history()
        .unwrap()
        .into_iter()
        .filter(|h| matches!(h, wallet_core::store::HistoryEntry::Presented { .. }))
        .collect();
    assert_eq!(presented.len(), 1);

    // The same request cannot be answered twice (the nonce is spent).
    assert!(wallet.answer(&request, &chosen).await.is_err());

    // A Data Integrity answer: the whole credential, signed by the wallet's did:key.
    let created = officer_starts(&platform, "right-to-work").await;
    let request = wallet.read_request(&scanned(&created)).await.unwrap();
    let chosen: std::collections::BTreeMap<String, String> = request
        .candidates
        .iter()
        .filter(|(query, _)| query.ends_with("_ldp"))
        .filter_map(|(query, c)| c.first().map(|c| (query.clone(), c.credential_id.clone())))
        .collect();
    assert!(!chosen.is_empty(), "{:?}", request.candidates);
    assert!(request
        .candidates
        .values()
        .flatten()
        .filter(|c| c.format == "ldp_vc")
        .all(|c| c.whole_credential));
    wallet.answer(&request, &chosen).await.unwrap();
    let result = officer_reads(&platform, &created).await;
    assert_eq!(result["result"]["verified"], true, "{result:#}");
    let (_, answered) = result["result"]["credentials"]
        .as_object()
        .unwrap()
        .iter()
        .next()
        .unwrap();
    assert_eq!(answered[0]["format"], "ldp_vc");
    assert_eq!(answered[0]["claims"]["id"], wallet.holder_did().unwrap());
}

#[tokio::test]
async fn the_wallet_refuses_a_request_not_signed_by_the_verifier_it_names() {
    let platform = Platform::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let wallet = wallet(&dir);
    let created = officer_starts(&platform, "right-to-work").await;
    let link = scanned(&created);
    // The same request object, claimed for another verifier's DID.
    let impostor = form_urlencoded::byte_serialize(
        b"decentralized_identifier:did:web:verifier.example.nhs.uk",
    )
    .collect::<String>();
    let forged = link.replacen(
        &link[link.find("client_id=").unwrap() + 10..link.find('&').unwrap()],
        &impostor,
        1,
    );
    assert!(matches!(
        wallet.read_request(&forged).await,
        Err(WalletError::InvalidRequest { .. }) | Err(WalletError::UntrustedVerifier { .. })
    ));
    // A link whose request object is missing is refused, not guessed at.
    let gone = link.replace("request-objects%2F", "request-objects%2Fnope");
    assert!(wallet.read_request(&gone).await.is_err());
    // Nothing in the wallet answers: the holder is told, nothing is sent.
    let request = wallet.read_request(&link).await.unwrap();
    assert!(request.candidates.values().all(Vec::is_empty));
    assert!(matches!(
        wallet.answer(&request, &Default::default()).await,
        Err(WalletError::CannotAnswer { .. })
    ));
}

#[tokio::test]
async fn the_wallet_refuses_a_verifier_the_trust_registry_does_not_list_as_active() {
    let platform = Platform::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let wallet = checking_wallet(&dir, &platform);
    // Not registered: refused before anything is shown or sent.
    let created = officer_starts(&platform, "right-to-work").await;
    match wallet.read_request(&scanned(&created)).await {
        Err(WalletError::UntrustedVerifier { detail }) => {
            assert!(
                detail.contains("not a verifier the trust registry knows"),
                "{detail}"
            )
        }
        other => panic!("an unregistered verifier must be refused: {other:?}"),
    }
    // Registered: accepted; suspended by the operator: refused again.
    let did = register_platform_verifier(&platform).await;
    let created = officer_starts(&platform, "right-to-work").await;
    assert!(wallet.read_request(&scanned(&created)).await.is_ok());
    let suspended = platform
        .http
        .post(format!(
            "{}/verifiers/{}/suspend",
            platform.registry_url,
            tests::did_path_segment(&did)
        ))
        .bearer_auth(tests::OPERATOR_TOKEN)
        .json(&json!({"reason": "complaint under review"}))
        .send()
        .await
        .unwrap();
    assert_eq!(suspended.status(), 200);
    let created = officer_starts(&platform, "right-to-work").await;
    assert!(matches!(
        wallet.read_request(&scanned(&created)).await,
        Err(WalletError::UntrustedVerifier { .. })
    ));
    assert!(
        wallet.history().unwrap().is_empty(),
        "nothing was presented"
    );
}

/// Every held credential's status after a refresh, and how many reported a change.
async fn refreshed(wallet: &Wallet) -> (Vec<CredentialStatus>, usize) {
    let reports = wallet.refresh_statuses().await.unwrap();
    let statuses = reports
        .iter()
        .map(|r| {
            r.status
                .clone()
                .unwrap_or_else(|why| panic!("{}: {why}", r.credential_id))
        })
        .collect();
    (statuses, reports.iter().filter(|r| r.changed()).count())
}

#[tokio::test]
async fn the_wallet_learns_when_its_credentials_are_suspended_reinstated_and_revoked() {
    let platform = Platform::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let wallet = checking_wallet(&dir, &platform);
    let (link, pin) = offer(&platform, "P0001", json!({})).await;
    let held = wallet.accept_offer(&link, Some(&pin)).await.unwrap().len();
    assert!(held >= 10);

    let (statuses, changed) = refreshed(&wallet).await;
    assert_eq!(
        statuses,
        vec![CredentialStatus::Valid; held],
        "both formats carry a status"
    );
    assert_eq!(changed, 0, "valid at the first reading is nothing to tell");

    platform.esr_event_for_p0001( "EVT-W-1", "SUSPENSION", 3, json!({"reason_category": "investigation", "from": chrono::Utc::now().date_naive().to_string()})).await.unwrap();
    let (statuses, changed) = refreshed(&wallet).await;
    assert_eq!(statuses, vec![CredentialStatus::Suspended; held]);
    assert_eq!(changed, held);
    let (_, changed) = refreshed(&wallet).await;
    assert_eq!(changed, 0, "told once, not at every refresh");

    platform
        .esr_event_for_p0001(
            "EVT-W-2",
            "SUSPENSION_LIFTED",
            2,
            json!({"to": chrono::Utc::now().date_naive().to_string()}),
        )
        .await
        .unwrap();
    let (statuses, changed) = refreshed(&wallet).await;
    assert_eq!(statuses, vec![CredentialStatus::Valid; held]);
    assert_eq!(changed, held);

    platform.esr_event_for_p0001( "EVT-W-3", "LEAVER", 1, json!({"leaving_date": chrono::Utc::now().date_naive().to_string(), "reason": "resignation", "staying_in_nhs": false})).await.unwrap();
    let (statuses, changed) = refreshed(&wallet).await;
    assert_eq!(statuses, vec![CredentialStatus::Revoked; held]);
    assert_eq!(changed, held);

    // The history says so, credential by credential, in order.
    let said: Vec<CredentialStatus> = wallet
        .history()
        .unwrap()
        .into_iter()
        .filter_map(|entry| match entry {
            HistoryEntry::StatusChanged { status, .. } => Some(status),
            _ => None,
        })
        .collect();
    let expected: Vec<CredentialStatus> = [
        CredentialStatus::Suspended,
        CredentialStatus::Valid,
        CredentialStatus::Revoked,
    ]
    .iter()
    .flat_map(|s| std::iter::repeat_n(*s, held))
    .collect();
    assert_eq!(said, expected);

    // A wallet that cannot reach the lists keeps what it knew and says why.
    drop(platform);
    let reports = wallet.refresh_statuses().await.unwrap();
    assert!(reports.iter().all(|r| r.status.is_err() && !r.changed()));
    assert!(reports
        .iter()
        .all(|r| r.previous == Some(CredentialStatus::Revoked)));
}
