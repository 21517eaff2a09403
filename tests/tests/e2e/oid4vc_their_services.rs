//! OpenID4VCI and OpenID4VP interop, our wallet with their services: `wallet-core` against
//! an issuer and a verifier built on the OpenWallet Foundation's `@openid4vc/*` (tests/js).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use tests::Platform;
use tokio::io::{AsyncBufReadExt, BufReader};
use wallet_core::store::HistoryEntry;
use wallet_core::{Wallet, WalletError, WalletOptions};

const CARE_IDENTITY_VCT: &str = "https://staff-passport.nhs.uk/vct/care-identity/v1";

/// One of the JS servers, running until dropped.
struct JsServer {
    url: String,
    http: reqwest::Client,
    _child: tokio::process::Child,
}

impl JsServer {
    async fn start(script: &str) -> Self {
        Self::start_with(script, &[]).await
    }

    async fn start_with(script: &str, args: &[&str]) -> Self {
        let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("js");
        assert!(
            folder.join("node_modules").exists(),
            "tests/js/node_modules is missing: run `npm ci --prefix tests/js`"
        );
        let mut child = tokio::process::Command::new("node")
            .arg(folder.join(script))
            .args(args)
            .current_dir(&folder)
            // Kept open: the server ends when its stdin closes, i.e. with this value.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node is installed");
        let stdout = child.stdout.take().unwrap();
        let line = tokio::time::timeout(
            Duration::from_secs(30),
            BufReader::new(stdout).lines().next_line(),
        )
        .await
        .unwrap_or_else(|_| panic!("{script} did not start in time"))
        .unwrap()
        .unwrap_or_else(|| panic!("{script} ended before it was ready"));
        let ready: Value = serde_json::from_str(&line).unwrap();
        Self {
            url: ready["url"].as_str().unwrap().to_owned(),
            http: reqwest::Client::new(),
            _child: child,
        }
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{path}");
        response.json().await.unwrap()
    }

    async fn get(&self, url: &str) -> Value {
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// Their issuer's `iss` for its SD-JWT VCs: its address with https (SD-JWT VC §3).
fn iss_of(issuer: &JsServer) -> String {
    issuer.url.replacen("http://", "https://", 1)
}

fn alice() -> Value {
    json!({
        "givenName": "Ada",
        "middleNames": "Augusta",
        "familyName": "Lovelace",
        "careIdentityUuid": "555000111222",
        "identityProofing": {
            "method": "face_to_face_documents",
            "level": "NHS Identity Check Standard (documents seen in person)",
        },
    })
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

/// Their issuer's offer (by reference) and its PIN.
async fn offer(issuer: &JsServer, body: Value) -> (String, Option<String>) {
    let offer = issuer.post("/offers", body).await;
    (
        offer["offer_uri"].as_str().unwrap().to_owned(),
        offer["tx_code"].as_str().map(str::to_owned),
    )
}

fn verifier_did(verifier: &JsServer) -> String {
    credentials::did::did_web_for_base_url(&verifier.url).unwrap()
}

async fn register(platform: &Platform, verifier: &JsServer) -> String {
    let did = verifier_did(verifier);
    tests::register_verifier(
        &platform.registry_url,
        tests::OPERATOR_TOKEN,
        &did,
        "RJ1",
        "oid4vc-ts test verifier",
    )
    .await
    .unwrap();
    did
}

/// The holder's credential from their issuer, in a wallet that checks verifiers.
async fn wallet_holding_alice(
    dir: &tempfile::TempDir,
    platform: &Platform,
    issuer: &JsServer,
) -> (Wallet, String) {
    let wallet = checking_wallet(dir, platform);
    let (link, pin) = offer(issuer, json!({"claims": alice()})).await;
    let received = wallet.accept_offer(&link, pin.as_deref()).await.unwrap();
    assert_eq!(received.len(), 1);
    (wallet, received[0].id.clone())
}

#[tokio::test]
async fn our_wallet_collects_from_their_issuer_and_presents_to_their_verifier() {
    let platform = Platform::start().await.unwrap();
    let issuer = JsServer::start("oid4vc-issuer-server.mjs").await;
    let verifier = JsServer::start("oid4vc-verifier-server.mjs").await;
    let dir = tempfile::tempdir().unwrap();
    let wallet = checking_wallet(&dir, &platform);

    // Issuance: read the offer first, then accept it with the PIN.
    let (link, pin) = offer(&issuer, json!({"claims": alice()})).await;
    let pin = pin.expect("the offer asks for a PIN");
    assert!(link.starts_with("openid-credential-offer://?credential_offer_uri="));
    let offered = wallet.read_offer(&link).await.unwrap();
    assert_eq!(offered.credential_issuer, issuer.url);
    assert_eq!(
        offered.credential_configuration_ids,
        ["care_identity_sd_jwt"]
    );
    let grant = offered.grants.pre_authorized_code.unwrap();
    assert_eq!(grant.tx_code.unwrap().length, Some(6));

    let received = wallet.accept_offer(&link, Some(&pin)).await.unwrap();
    assert_eq!(received.len(), 1);
    let stored = &received[0];
    assert_eq!(stored.format, "dc+sd-jwt");
    assert_eq!(stored.credential_issuer, issuer.url);
    assert_eq!(stored.configuration_id, "care_identity_sd_jwt");
    assert_eq!(stored.display[0]["name"], "Care Identity (oid4vc-ts)");
    assert_eq!(wallet.credentials().unwrap(), received);
    // What their issuer signed is what the wallet keeps, bound to the key it proved.
    let issued = issuer.get(&format!("{}/issued", issuer.url)).await;
    assert_eq!(issued["issued"][0]["sd_jwt"], stored.credential);
    let payload = wallet_core::oid4vp::sd_jwt_payload(stored.credential.as_str().unwrap()).unwrap();
    assert_eq!(payload["iss"], iss_of(&issuer));
    assert_eq!(payload["vct"], CARE_IDENTITY_VCT);
    assert_eq!(payload["cnf"]["jwk"], issued["issued"][0]["holder_jwk"]);
    // The code bought one token: the same offer cannot be redeemed again.
    let other_dir = tempfile::tempdir().unwrap();
    let other = checking_wallet(&other_dir, &platform);
    // OpenID4VCI §6.3 answers `invalid_grant` for a spent code and for a wrong PIN alike;
    // an issuer that still serves a spent offer cannot be told apart from a wrong PIN.
    match other.accept_offer(&link, Some(&pin)).await {
        Err(WalletError::WrongPin { .. } | WalletError::OfferUnavailable { .. }) => {}
        other => panic!("a redeemed code must be refused: {other:?}"),
    }

    // Presentation: their verifier, listed at our trust registry, asks for two claims.
    let did = register(&platform, &verifier).await;
    let created = verifier
        .post(
            "/requests",
            json!({"claims": ["givenName", "familyName"], "trusted_issuers": [iss_of(&issuer)]}),
        )
        .await;
    let request = wallet
        .read_request(created["openid4vp_uri"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(request.verifier_did, did);
    assert_eq!(request.client_id, format!("decentralized_identifier:{did}"));
    assert_eq!(request.client_id, created["client_id"]);
    assert_eq!(request.nonce, created["nonce"]);
    assert_eq!(request.registered_as.as_ref().unwrap().ods_code, "RJ1");
    assert_eq!(
        request.verifier_name.as_deref(),
        Some("oid4vc-ts test verifier")
    );
    let candidates = &request.candidates["care_identity"];
    assert_eq!(candidates.len(), 1);
    assert_eq!(candidates[0].credential_id, stored.id);
    assert!(!candidates[0].whole_credential);

    let chosen: BTreeMap<String, String> = [("care_identity".to_owned(), stored.id.clone())].into();
    let receipt = wallet.answer(&request, &chosen).await.unwrap();
    assert_eq!(receipt.presented, chosen);
    let redirect = receipt.redirect_uri.unwrap();
    assert!(
        redirect.starts_with(&format!("{}/done#response_code=", verifier.url)),
        "{redirect}"
    );

    // Their verifier accepted exactly what was asked, bound to this request.
    let result = verifier.get(created["result_url"].as_str().unwrap()).await;
    assert_eq!(result["status"], "received", "{result:#}");
    assert_eq!(result["verified"], true, "{result:#}");
    let presented = &result["presentations"]["care_identity"];
    let disclosed: BTreeSet<&str> = presented["disclosed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(disclosed, ["familyName", "givenName"].into());
    assert_eq!(
        presented["claims"],
        json!({"givenName": "Ada", "familyName": "Lovelace"})
    );
    assert_eq!(presented["iss"], iss_of(&issuer));
    assert_eq!(presented["kb"]["aud"], created["client_id"]);
    assert_eq!(presented["kb"]["nonce"], created["nonce"]);
    assert!(result["received"]["state"].is_string(), "state is returned");

    // The holder's history: one credential received, one presentation, to whom, what.
    let history = wallet.history().unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert!(matches!(
        &history[0],
        HistoryEntry::Received { credential_issuer, configuration_id, .. }
            if *credential_issuer == issuer.url && configuration_id == "care_identity_sd_jwt"
    ));
    match &history[1] {
        HistoryEntry::Presented {
            verifier: to,
            verifier_name,
            credential_ids,
            claims,
            ..
        } => {
            assert_eq!(to, &request.client_id);
            assert_eq!(verifier_name.as_deref(), Some("oid4vc-ts test verifier"));
            assert_eq!(credential_ids, &vec![stored.id.clone()]);
            let paths: BTreeSet<String> = claims.iter().map(|c| c["path"].to_string()).collect();
            assert_eq!(
                paths,
                [
                    r#"["familyName"]"#.to_owned(),
                    r#"["givenName"]"#.to_owned()
                ]
                .into()
            );
        }
        other => panic!("expected a presentation: {other:?}"),
    }

    // Their verifier takes one answer per request: a replay is refused, and a refused
    // answer is not in the holder's history.
    assert!(matches!(
        wallet.answer(&request, &chosen).await,
        Err(WalletError::Refused { .. })
    ));
    assert_eq!(wallet.history().unwrap().len(), 2);
}

#[tokio::test]
async fn a_wrong_pin_at_their_issuer_is_our_typed_refusal_and_stores_nothing() {
    let platform = Platform::start().await.unwrap();
    let issuer = JsServer::start("oid4vc-issuer-server.mjs").await;
    let dir = tempfile::tempdir().unwrap();
    let wallet = checking_wallet(&dir, &platform);
    let (link, pin) = offer(&issuer, json!({"claims": alice()})).await;
    let pin = pin.unwrap();
    let wrong = if pin == "000000" { "111111" } else { "000000" };

    match wallet.accept_offer(&link, Some(wrong)).await {
        Err(WalletError::WrongPin { .. }) => {}
        other => panic!("a wrong PIN must be refused: {other:?}"),
    }
    // Without the PIN the wallet does not even ask their server.
    assert!(matches!(
        wallet.accept_offer(&link, None).await,
        Err(WalletError::InvalidOffer { .. })
    ));
    assert!(wallet.credentials().unwrap().is_empty());
    assert!(wallet.history().unwrap().is_empty());
    // One wrong try does not spend the offer; the right PIN then works.
    assert_eq!(
        wallet.accept_offer(&link, Some(&pin)).await.unwrap().len(),
        1
    );

    // Three wrong tries lock an offer at their issuer: then even the right PIN fails.
    let (link, pin) = offer(&issuer, json!({"claims": alice()})).await;
    let pin = pin.unwrap();
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    for _ in 0..3 {
        assert!(matches!(
            wallet.accept_offer(&link, Some(wrong)).await,
            Err(WalletError::WrongPin { .. })
        ));
    }
    assert!(matches!(
        wallet.accept_offer(&link, Some(&pin)).await,
        Err(WalletError::WrongPin { .. } | WalletError::OfferUnavailable { .. })
    ));
    assert_eq!(wallet.credentials().unwrap().len(), 1);

    // An offer without a tx_code: a PIN typed anyway is not sent (§6.1), so their
    // issuer, which refuses an unexpected tx_code, still issues.
    let (link, pin) = offer(&issuer, json!({"claims": alice(), "tx_code": false})).await;
    assert!(pin.is_none());
    let offered = wallet.read_offer(&link).await.unwrap();
    assert!(offered
        .grants
        .pre_authorized_code
        .unwrap()
        .tx_code
        .is_none());
    assert_eq!(
        wallet
            .accept_offer(&link, Some("123456"))
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn our_wallet_refuses_their_verifier_until_our_trust_registry_lists_it() {
    let platform = Platform::start().await.unwrap();
    let issuer = JsServer::start("oid4vc-issuer-server.mjs").await;
    let verifier = JsServer::start("oid4vc-verifier-server.mjs").await;
    let dir = tempfile::tempdir().unwrap();
    let (wallet, _) = wallet_holding_alice(&dir, &platform, &issuer).await;

    // BR-30: a correctly signed request from a verifier the registry does not list.
    let created = verifier.post("/requests", json!({})).await;
    let link = created["openid4vp_uri"].as_str().unwrap();
    match wallet.read_request(link).await {
        Err(WalletError::UntrustedVerifier { detail }) => assert!(
            detail.contains("not a verifier the trust registry knows"),
            "{detail}"
        ),
        other => panic!("an unlisted verifier must be refused: {other:?}"),
    }
    let result = verifier.get(created["result_url"].as_str().unwrap()).await;
    assert_eq!(result["status"], "pending", "nothing was sent");
    assert!(!wallet
        .history()
        .unwrap()
        .iter()
        .any(|h| matches!(h, HistoryEntry::Presented { .. })));

    // Listed by the operator: the same request is now read.
    register(&platform, &verifier).await;
    let request = wallet.read_request(link).await.unwrap();
    assert_eq!(request.verifier_did, verifier_did(&verifier));

    // A wallet without a trust list would take it too: the refusal above is the registry's.
    let open_dir = tempfile::tempdir().unwrap();
    let open = Wallet::open(
        open_dir.path(),
        "another passphrase",
        WalletOptions {
            allow_loopback_http: true,
            ..Default::default()
        },
    )
    .unwrap();
    let other = verifier.post("/requests", json!({})).await;
    let read = open
        .read_request(other["openid4vp_uri"].as_str().unwrap())
        .await
        .unwrap();
    assert!(read.registered_as.is_none());
}

#[tokio::test]
async fn our_wallet_refuses_a_request_their_verifier_did_not_sign_and_a_query_it_cannot_answer() {
    let platform = Platform::start().await.unwrap();
    let issuer = JsServer::start("oid4vc-issuer-server.mjs").await;
    let verifier = JsServer::start("oid4vc-verifier-server.mjs").await;
    register(&platform, &verifier).await;
    let dir = tempfile::tempdir().unwrap();
    let (wallet, _) = wallet_holding_alice(&dir, &platform, &issuer).await;

    // Signed with a key the verifier's DID document does not hold, under its kid.
    let forged = verifier
        .post("/requests", json!({"misbehave": "wrong_key"}))
        .await;
    match wallet
        .read_request(forged["openid4vp_uri"].as_str().unwrap())
        .await
    {
        Err(WalletError::UntrustedVerifier { detail }) => {
            assert!(detail.contains("signature"), "{detail}")
        }
        other => panic!("a request not signed by its verifier must be refused: {other:?}"),
    }

    // Another type than the wallet holds: nothing answers, nothing is sent.
    let created = verifier
        .post(
            "/requests",
            json!({"vct": "https://staff-passport.nhs.uk/vct/employment/v1"}),
        )
        .await;
    let request = wallet
        .read_request(created["openid4vp_uri"].as_str().unwrap())
        .await
        .unwrap();
    assert!(request.candidates["care_identity"].is_empty());
    assert!(matches!(
        wallet.answer(&request, &BTreeMap::new()).await,
        Err(WalletError::CannotAnswer { .. })
    ));
    // A claim the credential does not have: it cannot answer either.
    let created = verifier
        .post("/requests", json!({"claims": ["givenName", "regulator"]}))
        .await;
    let request = wallet
        .read_request(created["openid4vp_uri"].as_str().unwrap())
        .await
        .unwrap();
    assert!(request.candidates["care_identity"].is_empty());
    let result = verifier.get(created["result_url"].as_str().unwrap()).await;
    assert_eq!(result["status"], "pending");
}

#[tokio::test]
async fn our_wallet_keeps_nothing_their_issuer_got_wrong() {
    let platform = Platform::start().await.unwrap();
    let issuer = JsServer::start("oid4vc-issuer-server.mjs").await;
    let dir = tempfile::tempdir().unwrap();
    let wallet = checking_wallet(&dir, &platform);
    // Signed by a key its JWT VC Issuer Metadata does not publish; bound to a key the
    // wallet never proved; of a type outside our catalogue; a Data Integrity credential
    // changed after signing.
    for (misbehave, configuration, why) in [
        (
            "wrong_key",
            "care_identity_sd_jwt",
            "the issuer's signature does not verify",
        ),
        (
            "wrong_cnf",
            "care_identity_sd_jwt",
            "not bound to this wallet's key",
        ),
        (
            "unknown_vct",
            "care_identity_sd_jwt",
            "the vct is not a type of the catalogue",
        ),
        ("tamper_ldp", "care_identity_ldp_vc", "Proof"),
    ] {
        let body =
            json!({"claims": alice(), "misbehave": misbehave, "configurations": [configuration]});
        let (link, pin) = offer(&issuer, body).await;
        match wallet.accept_offer(&link, pin.as_deref()).await {
            Err(WalletError::BadCredential { detail }) => {
                assert!(detail.contains(why), "{misbehave}: {detail}")
            }
            other => panic!("{misbehave}: the credential must be refused: {other:?}"),
        }
    }
    let issued = issuer.get(&format!("{}/issued", issuer.url)).await;
    assert_eq!(
        issued["issued"].as_array().unwrap().len(),
        4,
        "all four were sent"
    );
    assert!(wallet.credentials().unwrap().is_empty());
    assert!(wallet.history().unwrap().is_empty());
}

#[tokio::test]
async fn a_data_integrity_credential_from_their_issuer_goes_whole_to_their_verifier() {
    let platform = Platform::start().await.unwrap();
    let issuer = JsServer::start("oid4vc-issuer-server.mjs").await;
    let verifier = JsServer::start("oid4vc-verifier-server.mjs").await;
    register(&platform, &verifier).await;
    let dir = tempfile::tempdir().unwrap();
    let wallet = checking_wallet(&dir, &platform);

    // Both formats in one offer, one token: an SD-JWT VC and a Data Integrity credential.
    let body = json!({
        "claims": alice(),
        "configurations": ["care_identity_ldp_vc", "care_identity_sd_jwt"],
    });
    let (link, pin) = offer(&issuer, body).await;
    let received = wallet.accept_offer(&link, pin.as_deref()).await.unwrap();
    let formats: BTreeSet<&str> = received.iter().map(|c| c.format.as_str()).collect();
    assert_eq!(formats, ["dc+sd-jwt", "ldp_vc"].into());
    let ldp = received.iter().find(|c| c.format == "ldp_vc").unwrap();
    let holder = wallet.holder_did().unwrap();
    assert_eq!(ldp.credential["credentialSubject"]["id"], holder);
    assert_eq!(ldp.credential["proof"]["cryptosuite"], "eddsa-rdfc-2022");
    let issuer_did = ldp.credential["issuer"].as_str().unwrap().to_owned();
    assert!(issuer_did.starts_with("did:key:z6Mk"), "{issuer_did}");

    let body =
        json!({"format": "ldp_vc", "claims": ["givenName"], "trusted_issuers": [issuer_did]});
    let created = verifier.post("/requests", body).await;
    let request = wallet
        .read_request(created["openid4vp_uri"].as_str().unwrap())
        .await
        .unwrap();
    let candidates = &request.candidates["care_identity_ldp"];
    assert_eq!(
        candidates.len(),
        1,
        "only the ldp_vc answers an ldp_vc query"
    );
    assert_eq!(candidates[0].credential_id, ldp.id);
    assert!(
        candidates[0].whole_credential,
        "the holder is told it goes whole"
    );
    let chosen: BTreeMap<String, String> =
        [("care_identity_ldp".to_owned(), ldp.id.clone())].into();
    wallet.answer(&request, &chosen).await.unwrap();

    let result = verifier.get(created["result_url"].as_str().unwrap()).await;
    assert_eq!(result["verified"], true, "{result:#}");
    let presented = &result["presentations"]["care_identity_ldp"];
    assert_eq!(presented["holder"], holder);
    assert_eq!(presented["issuer"], issuer_did);
    assert_eq!(presented["proof"]["challenge"], created["nonce"]);
    assert_eq!(presented["proof"]["domain"], created["client_id"]);
    assert_eq!(
        presented["claims"]["familyName"], "Lovelace",
        "the whole credential"
    );
}

/// OpenID4VP 1.0 §5.1: a wallet that does not POST to the request_uri GETs it, as RFC 9101
/// has it (and §5: it MAY continue with JAR); `request_uri_method=post` is no reason to
/// refuse the verifier.
#[tokio::test]
async fn a_request_uri_method_post_link_is_read_with_get() {
    let platform = Platform::start().await.unwrap();
    let issuer = JsServer::start("oid4vc-issuer-server.mjs").await;
    let verifier = JsServer::start("oid4vc-verifier-server.mjs").await;
    register(&platform, &verifier).await;
    let dir = tempfile::tempdir().unwrap();
    let (wallet, credential_id) = wallet_holding_alice(&dir, &platform, &issuer).await;

    let created = verifier
        .post("/requests", json!({"request_uri_method": "post"}))
        .await;
    let link = created["openid4vp_uri"].as_str().unwrap();
    assert!(link.ends_with("&request_uri_method=post"), "{link}");
    let request = wallet.read_request(link).await.unwrap();
    let chosen: BTreeMap<String, String> = [("care_identity".to_owned(), credential_id)].into();
    wallet.answer(&request, &chosen).await.unwrap();
    let result = verifier.get(created["result_url"].as_str().unwrap()).await;
    assert_eq!(result["verified"], true, "{result:#}");
    assert_eq!(result["request_fetched_with"], json!(["GET"]));
}

/// Their issuer under a path, its authorization server separate and under another path,
/// the offer by value: the well-known documents are found by inserting the well-known
/// segment between host and path (OpenID4VCI 1.0 §12.2.2, RFC 8414 §3, SD-JWT VC §3).
#[tokio::test]
async fn our_wallet_finds_their_issuer_and_authorization_server_under_paths() {
    let platform = Platform::start().await.unwrap();
    let config = json!({"path": "/tenants/rj1", "authorization_server_path": "/auth/rj1"});
    let issuer = JsServer::start_with("oid4vc-issuer-server.mjs", &[&config.to_string()]).await;
    let dir = tempfile::tempdir().unwrap();
    let wallet = checking_wallet(&dir, &platform);

    let (link, pin) = offer(&issuer, json!({"claims": alice(), "by_value": true})).await;
    assert!(
        link.starts_with("openid-credential-offer://?credential_offer=%7B"),
        "{link}"
    );
    let issuer_id = format!("{}/tenants/rj1", issuer.url);
    let offered = wallet.read_offer(&link).await.unwrap();
    assert_eq!(offered.credential_issuer, issuer_id);
    let received = wallet.accept_offer(&link, pin.as_deref()).await.unwrap();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].credential_issuer, issuer_id);
    let payload =
        wallet_core::oid4vp::sd_jwt_payload(received[0].credential.as_str().unwrap()).unwrap();
    assert_eq!(payload["iss"], issuer_id.replacen("http://", "https://", 1));
}

/// DCQL beyond one query (OpenID4VP 1.0 §6.2–§6.4): credential_sets with alternatives
/// and an optional set, claim_sets whose first set cannot be met. Our wallet answers the
/// first option it holds with the first claim set it can satisfy, and their verifier
/// agrees the answer meets the query.
#[tokio::test]
async fn our_wallet_answers_their_credential_sets_and_claim_sets() {
    let platform = Platform::start().await.unwrap();
    let issuer = JsServer::start("oid4vc-issuer-server.mjs").await;
    let verifier = JsServer::start("oid4vc-verifier-server.mjs").await;
    register(&platform, &verifier).await;
    let dir = tempfile::tempdir().unwrap();
    let (wallet, credential_id) = wallet_holding_alice(&dir, &platform, &issuer).await;

    let dcql_query = json!({
        "credentials": [
            {
                "id": "identity_sd_jwt",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": [CARE_IDENTITY_VCT]},
                "claims": [
                    {"id": "given", "path": ["givenName"]},
                    {"id": "uuid", "path": ["careIdentityUuid"]},
                    {"id": "regulator", "path": ["regulator"]},
                ],
                "claim_sets": [["given", "regulator"], ["given", "uuid"]],
            },
            {
                "id": "identity_ldp",
                "format": "ldp_vc",
                "meta": {"type_values": [["https://staff-passport.nhs.uk/vocab#CareIdentityCredential"]]},
                "claims": [{"path": ["credentialSubject", "givenName"]}],
            },
            {
                "id": "employment_sd_jwt",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": ["https://staff-passport.nhs.uk/vct/employment/v1"]},
            },
        ],
        "credential_sets": [
            {"options": [["identity_ldp"], ["identity_sd_jwt"]]},
            {"options": [["employment_sd_jwt"]], "required": false},
        ],
    });
    let created = verifier
        .post("/requests", json!({"dcql_query": dcql_query}))
        .await;
    let request = wallet
        .read_request(created["openid4vp_uri"].as_str().unwrap())
        .await
        .unwrap();
    assert!(request.candidates["identity_ldp"].is_empty());
    assert!(request.candidates["employment_sd_jwt"].is_empty());
    let candidate = &request.candidates["identity_sd_jwt"][0];
    assert_eq!(
        serde_json::to_value(&candidate.disclosed).unwrap(),
        json!([["givenName"], ["careIdentityUuid"]]),
        "the first claim set the credential can satisfy"
    );
    let chosen: BTreeMap<String, String> = [("identity_sd_jwt".to_owned(), credential_id)].into();
    let receipt = wallet.answer(&request, &chosen).await.unwrap();
    assert_eq!(receipt.presented, chosen);

    let result = verifier.get(created["result_url"].as_str().unwrap()).await;
    assert_eq!(result["verified"], true, "{result:#}");
    let presentations = result["presentations"].as_object().unwrap();
    assert_eq!(
        presentations.keys().collect::<Vec<_>>(),
        ["identity_sd_jwt"]
    );
    assert_eq!(
        presentations["identity_sd_jwt"]["claims"],
        json!({"givenName": "Ada", "careIdentityUuid": "555000111222"})
    );
}

/// Their issuer makes the members of `identityProofing` disclosable on their own, inside
/// a disclosable `identityProofing` (RFC 9901 §4.2.6), with decoy digests (§4.2.5): our
/// issuer does neither, our wallet still takes the credential, and asked for the whole
/// `identityProofing` it sends the object's own disclosures with it.
#[tokio::test]
async fn our_wallet_discloses_a_nested_object_whole_with_its_own_disclosures() {
    let platform = Platform::start().await.unwrap();
    let issuer = JsServer::start("oid4vc-issuer-server.mjs").await;
    let verifier = JsServer::start("oid4vc-verifier-server.mjs").await;
    register(&platform, &verifier).await;
    let dir = tempfile::tempdir().unwrap();
    let wallet = checking_wallet(&dir, &platform);
    let (link, pin) = offer(&issuer, json!({"claims": alice(), "nested_sd": true})).await;
    let received = wallet.accept_offer(&link, pin.as_deref()).await.unwrap();

    let created = verifier
        .post(
            "/requests",
            json!({"claims": ["givenName", "identityProofing"]}),
        )
        .await;
    let request = wallet
        .read_request(created["openid4vp_uri"].as_str().unwrap())
        .await
        .unwrap();
    let chosen: BTreeMap<String, String> =
        [("care_identity".to_owned(), received[0].id.clone())].into();
    wallet.answer(&request, &chosen).await.unwrap();
    let result = verifier.get(created["result_url"].as_str().unwrap()).await;
    assert_eq!(result["verified"], true, "{result:#}");
    assert_eq!(
        result["presentations"]["care_identity"]["claims"],
        json!({"givenName": "Ada", "identityProofing": alice()["identityProofing"]})
    );
}

/// OpenID4VP 1.0 §5 and §5.1: a wallet that does not support `transaction_data` MUST
/// reject a request that carries it; presenting would let the verifier take the answer
/// as the holder's authorization of a transaction the wallet never showed.
#[tokio::test]
async fn our_wallet_refuses_a_request_with_transaction_data() {
    let platform = Platform::start().await.unwrap();
    let issuer = JsServer::start("oid4vc-issuer-server.mjs").await;
    let verifier = JsServer::start("oid4vc-verifier-server.mjs").await;
    register(&platform, &verifier).await;
    let dir = tempfile::tempdir().unwrap();
    let (wallet, _) = wallet_holding_alice(&dir, &platform, &issuer).await;

    let created = verifier
        .post("/requests", json!({"transaction_data": true}))
        .await;
    match wallet
        .read_request(created["openid4vp_uri"].as_str().unwrap())
        .await
    {
        Err(WalletError::InvalidRequest { detail }) => {
            assert!(detail.contains("transaction_data"), "{detail}")
        }
        other => panic!("a request with transaction_data must be refused: {other:?}"),
    }
    let result = verifier.get(created["result_url"].as_str().unwrap()).await;
    assert_eq!(result["status"], "pending", "nothing was sent");
}
