//! OpenID4VCI 1.0, pre-authorized code flow, done by the test itself over HTTP as a
//! wallet would: an RA makes an offer, the QR code is read back with an independent
//! decoder (rqrr) and followed, the PIN buys an access token, each credential is asked for
//! with a fresh nonce and a proof of the holder's key. And every refusal, each with its
//! OAuth error code, changing nothing.

use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use credentials::did::did_key;
use credentials::sd_jwt::{
    read_status_list_token, verify_sd_jwt_vc, IssuerKeys, SdJwtExpectations, SdJwtVcVerdict,
    TokenStatusLists,
};
use credentials::{CheckName, Outcome};
use credentials::{PinnedDidDocuments, ResolvedDids};
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Value};
use tests::Platform;

const PRE_AUTHORIZED: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

/// A wallet's holder key, and what it sends.
struct Wallet {
    key: SigningKey,
}

impl Wallet {
    fn new(seed: u8) -> Self {
        Self {
            key: SigningKey::from_bytes(&[seed; 32]),
        }
    }

    fn did(&self) -> String {
        did_key(&self.key.verifying_key()).0
    }

    fn kid(&self) -> String {
        did_key(&self.key.verifying_key()).1
    }

    fn jwk(&self) -> Value {
        json!({"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(self.key.verifying_key().as_bytes())})
    }

    /// An `openid4vci-proof+jwt` with this header and claims, signed by this wallet's key.
    fn sign(&self, header: Value, claims: Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self.key.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    fn proof(&self, audience: &str, nonce: &str) -> String {
        self.sign(
            json!({"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": self.kid()}),
            json!({"aud": audience, "iat": chrono::Utc::now().timestamp(), "nonce": nonce}),
        )
    }
}

async fn create_offer(platform: &Platform, person: &str, body: Value) -> Value {
    let response = platform
        .admin_post(&format!("/admin/people/{person}/offers"), &body)
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

/// The pre-authorized code of an offer, or of the RA's answer that holds one.
fn code_of(offer: &Value) -> String {
    let offer = offer.get("credential_offer").unwrap_or(offer);
    offer["grants"][PRE_AUTHORIZED]["pre-authorized_code"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// POST /token; the status and the body.
async fn token_request(platform: &Platform, form: &[(&str, &str)]) -> (u16, Value) {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let response = platform
        .http
        .post(format!("{}/token", platform.issuer_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    if status == 200 || status == 400 {
        assert_eq!(response.headers()["cache-control"], "no-store");
    }
    (status, response.json().await.unwrap())
}

async fn redeem(platform: &Platform, offer: &Value, pin: &str) -> (u16, Value) {
    let code = code_of(offer);
    token_request(
        platform,
        &[
            ("grant_type", PRE_AUTHORIZED),
            ("pre-authorized_code", &code),
            ("tx_code", pin),
        ],
    )
    .await
}

async fn access_token(platform: &Platform, offer: &Value) -> String {
    let (status, body) = redeem(platform, offer, offer["tx_code"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

async fn nonce(platform: &Platform) -> String {
    let response = platform
        .http
        .post(format!("{}/nonce", platform.issuer_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    body["c_nonce"].as_str().unwrap().to_owned()
}

/// POST /credential; the status, the WWW-Authenticate header, and the body.
async fn credential_request(
    platform: &Platform,
    token: Option<&str>,
    body: &Value,
) -> (u16, Option<String>, Value) {
    let mut request = platform
        .http
        .post(format!("{}/credential", platform.issuer_url))
        .json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, challenge, response.json().await.unwrap())
}

fn request_for(configuration: &str, proof: String) -> Value {
    json!({"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}})
}

async fn ledger_size(platform: &Platform, person: &str) -> usize {
    platform
        .admin_get(&format!("/admin/people/{person}/credentials"))
        .await
        .unwrap()["credentials"]
        .as_array()
        .map(Vec::len)
        .unwrap_or_default()
}

pub(crate) fn decode_qr(png: &[u8]) -> String {
    let image = image::load_from_memory(png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code in the image");
    grids[0].decode().unwrap().1
}

pub(crate) async fn verify_sd_jwt(platform: &Platform, sd_jwt: &str) -> SdJwtVcVerdict {
    let metadata = platform
        .get_json(&format!(
            "{}/.well-known/jwt-vc-issuer",
            platform.issuer_url
        ))
        .await
        .unwrap();
    let iss = SdJwtVcVerdict::issuer_of(sd_jwt).unwrap();
    let mut keys = IssuerKeys::new();
    keys.add_metadata(&iss, &metadata).unwrap();
    let lists = token_status_list_of(platform, sd_jwt).await;
    verify_sd_jwt_vc(
        sd_jwt,
        &keys,
        &SdJwtExpectations::issued_credential(chrono::Utc::now()).with_status_lists(&lists),
    )
}

/// The Token Status List the SD-JWT VC's `status` names, fetched from the registry and read
/// with the registry's did:web key.
async fn token_status_list_of(platform: &Platform, sd_jwt: &str) -> TokenStatusLists {
    let reference = SdJwtVcVerdict::status_reference_of(sd_jwt)
        .expect("an SD-JWT VC from a registry-backed issuer names its status list");
    assert!(
        reference
            .uri
            .starts_with(&format!("{}/token-status-lists/", platform.registry_url)),
        "{}",
        reference.uri
    );
    let response = reqwest::get(&reference.uri).await.unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "application/statuslist+jwt"
    );
    let token = response.text().await.unwrap();
    let registry = platform
        .get_json(&format!("{}/.well-known/did.json", platform.registry_url))
        .await
        .unwrap();
    let pinned = PinnedDidDocuments::new().with(registry.clone()).unwrap();
    let kid = format!("{}#key-1", registry["id"].as_str().unwrap());
    let dids = ResolvedDids::resolve_all(&pinned, [kid.as_str()]).await;
    let key = dids.public_key(&kid, "assertionMethod").unwrap();
    let list = read_status_list_token(&token, &reference.uri, &key, chrono::Utc::now()).unwrap();
    let mut lists = TokenStatusLists::default();
    lists.lists.insert(reference.uri, Ok(list));
    lists
}

pub(crate) fn payload_of(sd_jwt: &str) -> Value {
    let jwt = sd_jwt.split('~').next().unwrap();
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn a_wallet_scans_the_offer_types_the_pin_and_collects_both_formats() {
    let platform = Platform::start().await.unwrap();
    let issuer = platform.issuer_url.clone();

    // The issuer describes itself as the final text says.
    let metadata = platform
        .get_json(&format!("{issuer}/.well-known/openid-credential-issuer"))
        .await
        .unwrap();
    assert_eq!(metadata["credential_issuer"], issuer.as_str());
    assert_eq!(
        metadata["credential_endpoint"],
        format!("{issuer}/credential")
    );
    assert_eq!(metadata["nonce_endpoint"], format!("{issuer}/nonce"));
    let configurations = &metadata["credential_configurations_supported"];
    assert_eq!(
        configurations["EmploymentCredential_ldp_vc"]["format"],
        "ldp_vc"
    );
    assert_eq!(
        configurations["EmploymentCredential_dc_sd_jwt"]["format"],
        "dc+sd-jwt"
    );
    let server = platform
        .get_json(&format!("{issuer}/.well-known/oauth-authorization-server"))
        .await
        .unwrap();
    assert_eq!(server["token_endpoint"], format!("{issuer}/token"));
    assert_eq!(
        server["pre-authorized_grant_anonymous_access_supported"],
        true
    );

    // The RA makes the offer: by default every type P0001's record supports, both formats.
    let offer = create_offer(&platform, "P0001", json!({})).await;
    let pin = offer["tx_code"].as_str().unwrap();
    assert!(
        pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()),
        "{pin}"
    );
    let configuration_ids: Vec<String> =
        serde_json::from_value(offer["credential_configuration_ids"].clone()).unwrap();
    assert_eq!(configuration_ids.len(), 12, "six types in two formats");
    assert_eq!(
        offer["credential_offer"]["credential_issuer"],
        issuer.as_str()
    );
    assert_eq!(
        offer["credential_offer"]["grants"][PRE_AUTHORIZED]["tx_code"],
        json!({"input_mode": "numeric", "length": 6, "description": "Enter the 6-digit PIN your Registration Authority gave you"})
    );
    let offer_uri = offer["offer_uri"].as_str().unwrap();
    assert!(offer_uri.starts_with("openid-credential-offer://?credential_offer_uri="));

    // A phone reads the QR code (PNG, from the answer and from its URL): the same link.
    let png = STANDARD.decode(offer["qr_png"].as_str().unwrap()).unwrap();
    assert_eq!(decode_qr(&png), offer_uri);
    let fetched_png = platform
        .http
        .get(offer["qr_png_url"].as_str().unwrap())
        .bearer_auth(tests::TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(fetched_png.headers()["content-type"], "image/png");
    assert_eq!(decode_qr(&fetched_png.bytes().await.unwrap()), offer_uri);
    assert!(offer["qr_svg"].as_str().unwrap().contains("<svg"));

    // ...and follows it: the one parameter is the offer's URL, which serves the offer.
    let link = reqwest::Url::parse(offer_uri).unwrap();
    let pairs: Vec<(String, String)> = link.query_pairs().into_owned().collect();
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0].0, "credential_offer_uri");
    let by_reference = platform.http.get(&pairs[0].1).send().await.unwrap();
    assert_eq!(by_reference.headers()["content-type"], "application/json");
    let fetched: Value = by_reference.json().await.unwrap();
    assert_eq!(fetched, offer["credential_offer"]);
    // The by-value link carries the same offer.
    let by_value = reqwest::Url::parse(offer["offer_uri_by_value"].as_str().unwrap()).unwrap();
    let (_, value) = by_value.query_pairs().next().unwrap();
    assert_eq!(serde_json::from_str::<Value>(&value).unwrap(), fetched);

    let (status, token) = redeem(&platform, &fetched, pin).await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["token_type"], "Bearer");
    assert!(token.get("c_nonce").is_none(), "1.0 final: no c_nonce here");
    let token = token["access_token"].as_str().unwrap().to_owned();

    let wallet = Wallet::new(31);
    let mut received = Vec::new();
    for configuration in &configuration_ids {
        let proof = wallet.proof(&issuer, &nonce(&platform).await);
        let (status, _, body) =
            credential_request(&platform, Some(&token), &request_for(configuration, proof)).await;
        assert_eq!(status, 200, "{configuration}: {body}");
        let credentials = body["credentials"].as_array().unwrap();
        assert_eq!(credentials.len(), 1, "{configuration}");
        received.push((configuration.clone(), credentials[0]["credential"].clone()));
    }

    for (configuration, credential) in &received {
        if configuration.ends_with("_ldp_vc") {
            assert_eq!(credential["credentialSubject"]["id"], wallet.did().as_str());
            let result = platform.verify_credential(credential).await.unwrap();
            assert_eq!(result["verified"], true, "{configuration}: {result:#}");
        } else {
            let sd_jwt = credential.as_str().unwrap();
            assert!(sd_jwt.ends_with('~'));
            let payload = payload_of(sd_jwt);
            assert_eq!(payload["cnf"]["jwk"], wallet.jwk(), "{configuration}");
            let verdict = verify_sd_jwt(&platform, sd_jwt).await;
            assert!(
                verdict.verified(),
                "{configuration}: {:#?}",
                verdict.verdict
            );
        }
    }

    // Everything collected is in the person's ledger, bound to the wallet's key, so the
    // ESR lifecycle acts on it: P0001 leaves the NHS.
    let ledger = platform
        .admin_get("/admin/people/P0001/credentials")
        .await
        .unwrap();
    let entries = ledger["credentials"].as_array().unwrap();
    assert_eq!(entries.len(), 12);
    assert!(entries.iter().all(|e| e["holder"] == wallet.did().as_str()));
    let sd_jwt_ids: Vec<&str> = entries
        .iter()
        .filter(|e| e["credential"].is_string())
        .map(|e| e["credential_id"].as_str().unwrap())
        .collect();
    assert_eq!(sd_jwt_ids.len(), 6);
    let leaver = json!({
        "event_id": "EVT-OID4VCI-1",
        "event_type": "LEAVER",
        "occurred_at": (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "org_ods": "RJ1",
        "person_id": "P0001",
        "assignment_number": "30493776",
        "payload": {"leaving_date": chrono::Utc::now().date_naive().to_string(), "reason": "resignation", "staying_in_nhs": false},
    });
    let response = platform.admin_post("/esr/events", &leaver).await.unwrap();
    assert_eq!(response.status(), 200);
    let reply: Value = response.json().await.unwrap();
    assert_eq!(
        reply["credentials"]["revoked"].as_array().unwrap().len(),
        12,
        "{reply:#}"
    );
    // Both formats are revoked at the registry: the Data Integrity credentials on their
    // Bitstring lists, the SD-JWT VCs on their Token Status Lists.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (configuration, credential) in &received {
        if configuration.ends_with("_ldp_vc") {
            let result = platform.verify_credential(credential).await.unwrap();
            assert_eq!(result["verified"], false, "{configuration} must be revoked");
        } else {
            let verdict = verify_sd_jwt(&platform, credential.as_str().unwrap()).await;
            let status = verdict.verdict.outcome_of(CheckName::Status).cloned();
            assert_eq!(
                status,
                Some(Outcome::Failed("revoked".into())),
                "{configuration}"
            );
        }
    }
    let effects = reply["effects"].to_string();
    assert!(!effects.contains("no_status_entry"), "{effects}");
    let ledger = platform
        .admin_get("/admin/people/P0001/credentials")
        .await
        .unwrap();
    assert!(ledger["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["state"] == "revoked"));
}

#[tokio::test]
async fn an_sd_jwt_vc_can_be_bound_by_a_jwk_proof_and_a_two_post_record_gets_both_posts() {
    let platform = Platform::start().await.unwrap();
    // P0005 holds two posts at RJ1: one configuration, two employment credentials.
    let offer = create_offer(
        &platform,
        "P0005",
        json!({"types": ["EmploymentCredential"], "formats": ["dc+sd-jwt"]}),
    )
    .await;
    assert_eq!(
        offer["credential_configuration_ids"],
        json!(["EmploymentCredential_dc_sd_jwt"])
    );
    let token = access_token(&platform, &offer).await;
    let wallet = Wallet::new(32);
    let proof = wallet.sign(
        json!({"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "jwk": wallet.jwk()}),
        json!({"aud": platform.issuer_url, "iat": chrono::Utc::now().timestamp(), "nonce": nonce(&platform).await}),
    );
    let (status, _, body) = credential_request(
        &platform,
        Some(&token),
        &request_for("EmploymentCredential_dc_sd_jwt", proof),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let credentials = body["credentials"].as_array().unwrap();
    assert_eq!(credentials.len(), 2);
    for credential in credentials {
        let sd_jwt = credential["credential"].as_str().unwrap();
        assert_eq!(payload_of(sd_jwt)["cnf"]["jwk"], wallet.jwk());
        let verdict = verify_sd_jwt(&platform, sd_jwt).await;
        assert!(verdict.verified(), "{:#?}", verdict.verdict);
    }
}

#[tokio::test]
async fn wrong_pins_lock_the_offer_and_a_code_is_single_use() {
    let platform = Platform::start().await.unwrap();
    let offer = create_offer(&platform, "P0002", json!({"formats": ["ldp_vc"]})).await;
    let pin: String = offer["tx_code"].as_str().unwrap().to_owned();
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    let (status, body) = redeem(&platform, &offer, wrong).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("2 attempt"));
    // A missing PIN is the client's mistake and does not count.
    let code = code_of(&offer);
    let (status, body) = token_request(
        &platform,
        &[
            ("grant_type", PRE_AUTHORIZED),
            ("pre-authorized_code", &code),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    redeem(&platform, &offer, wrong).await;
    let (_, body) = redeem(&platform, &offer, wrong).await;
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("locked"));
    // Locked: the right PIN is refused too, and the offer is gone for the wallet.
    let (status, body) = redeem(&platform, &offer, &pin).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let status_of = platform
        .admin_get(&format!(
            "/admin/offers/{}",
            offer["offer_id"].as_str().unwrap()
        ))
        .await
        .unwrap();
    assert_eq!(status_of["status"], "locked");
    assert_eq!(status_of["wrong_pin_attempts"], 3);
    assert!(status_of.get("tx_code").is_none());
    assert!(!status_of.to_string().contains(&code));
    let gone = platform
        .http
        .get(offer["credential_offer_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);

    // Another offer: its code buys one token, once.
    let offer = create_offer(&platform, "P0002", json!({})).await;
    access_token(&platform, &offer).await;
    let (status, body) = redeem(&platform, &offer, offer["tx_code"].as_str().unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("already been used"));
    // A code that was never issued, and a grant type we do not serve.
    let (_, body) = token_request(
        &platform,
        &[
            ("grant_type", PRE_AUTHORIZED),
            ("pre-authorized_code", "made-up"),
            ("tx_code", "123456"),
        ],
    )
    .await;
    assert_eq!(body["error"], "invalid_grant");
    let (_, body) = token_request(
        &platform,
        &[("grant_type", "authorization_code"), ("code", "x")],
    )
    .await;
    assert_eq!(body["error"], "unsupported_grant_type");
    // JSON is not a token request.
    let response = platform
        .http
        .post(format!("{}/token", platform.issuer_url))
        .json(&json!({"grant_type": PRE_AUTHORIZED}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn expired_offers_and_expired_access_tokens_are_refused() {
    let platform = Platform::start_configured(
        Vec::new(),
        |issuer| {
            issuer.offer_ttl_seconds = 1;
            issuer.access_token_ttl_seconds = 1;
        },
        |_| {},
    )
    .await
    .unwrap();
    let waiting = create_offer(&platform, "P0001", json!({"formats": ["ldp_vc"]})).await;
    let used = create_offer(&platform, "P0001", json!({"formats": ["ldp_vc"]})).await;
    let token = access_token(&platform, &used).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (status, body) = redeem(&platform, &waiting, waiting["tx_code"].as_str().unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("expired"));
    let wallet = Wallet::new(33);
    let proof = wallet.proof(&platform.issuer_url, &nonce(&platform).await);
    let (status, challenge, body) = credential_request(
        &platform,
        Some(&token),
        &request_for("CareIdentityCredential_ldp_vc", proof),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_token"))
    );
    assert!(challenge
        .unwrap()
        .starts_with("Bearer error=\"invalid_token\""));
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("expired"));
    assert_eq!(ledger_size(&platform, "P0001").await, 0);
}

#[tokio::test]
async fn an_officer_can_make_an_offer_last_less_than_the_issuer_allows_and_no_longer() {
    let platform = Platform::start().await.unwrap();
    for refused in [json!(0), json!(901), json!(-5), json!("60")] {
        let response = platform
            .admin_post(
                "/admin/people/P0001/offers",
                &json!({"formats": ["ldp_vc"], "expires_in_seconds": refused}),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "expires_in_seconds {refused}");
        let problem: Value = response.json().await.unwrap();
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("expires_in_seconds"),
            "{problem}"
        );
    }

    let minute = create_offer(&platform, "P0001", json!({"expires_in_seconds": 60})).await;
    let expires_at = chrono::DateTime::parse_from_rfc3339(minute["expires_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let left = expires_at - chrono::Utc::now();
    assert!(
        left <= chrono::Duration::seconds(60) && left > chrono::Duration::seconds(50),
        "{left}"
    );

    let brief = create_offer(&platform, "P0001", json!({"expires_in_seconds": 1})).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (status, body) = redeem(&platform, &brief, brief["tx_code"].as_str().unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("expired"));
    let (status, _) = redeem(&platform, &minute, minute["tx_code"].as_str().unwrap()).await;
    assert_eq!(status, 200, "the minute-long offer is still good");
}

#[tokio::test]
async fn the_credential_endpoint_refuses_bad_tokens_requests_proofs_and_nonces() {
    let platform = Platform::start().await.unwrap();
    let issuer = platform.issuer_url.clone();
    let offer = create_offer(
        &platform,
        "P0001",
        json!({"types": ["CareIdentityCredential", "RoleCredential"], "formats": ["ldp_vc"]}),
    )
    .await;
    let token = access_token(&platform, &offer).await;
    let wallet = Wallet::new(34);
    let mallory = Wallet::new(35);
    let care = "CareIdentityCredential_ldp_vc";

    // (what is sent, the status, the OAuth error) — each refused, changing nothing.
    let mut cases: Vec<(&str, Option<String>, Value, u16, &str)> = vec![
        ("no access token", None, request_for(care, wallet.proof(&issuer, &nonce(&platform).await)), 401, "invalid_token"),
        ("an access token we never issued", Some("not-a-token".into()), request_for(care, wallet.proof(&issuer, &nonce(&platform).await)), 401, "invalid_token"),
        ("an unknown configuration", Some(token.clone()), request_for("DrivingLicence_ldp_vc", wallet.proof(&issuer, &nonce(&platform).await)), 400, "unknown_credential_configuration"),
        ("a configuration not offered", Some(token.clone()), request_for("EmploymentCredential_ldp_vc", wallet.proof(&issuer, &nonce(&platform).await)), 403, "insufficient_scope"),
        ("no proofs", Some(token.clone()), json!({"credential_configuration_id": care}), 400, "invalid_proof"),
        ("the draft's singular proof", Some(token.clone()), json!({"credential_configuration_id": care, "proof": {"proof_type": "jwt", "jwt": wallet.proof(&issuer, &nonce(&platform).await)}}), 400, "invalid_proof"),
        ("a proof for another audience", Some(token.clone()), request_for(care, wallet.proof("https://other-issuer.example", &nonce(&platform).await)), 400, "invalid_proof"),
        ("a nonce we never issued", Some(token.clone()), request_for(care, wallet.proof(&issuer, "made-up-nonce")), 400, "invalid_nonce"),
        ("a proof without a nonce", Some(token.clone()), request_for(care, wallet.sign(json!({"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": wallet.kid()}), json!({"aud": issuer, "iat": chrono::Utc::now().timestamp()}))), 400, "invalid_proof"),
        ("a proof with typ JWT", Some(token.clone()), request_for(care, wallet.sign(json!({"typ": "JWT", "alg": "EdDSA", "kid": wallet.kid()}), json!({"aud": issuer, "iat": chrono::Utc::now().timestamp(), "nonce": nonce(&platform).await}))), 400, "invalid_proof"),
    ];
    // Signed by mallory's key, naming the wallet's.
    let forged = mallory.sign(
        json!({"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": wallet.kid()}),
        json!({"aud": issuer, "iat": chrono::Utc::now().timestamp(), "nonce": nonce(&platform).await}),
    );
    cases.push((
        "a proof signed by another key than its kid",
        Some(token.clone()),
        request_for(care, forged),
        400,
        "invalid_proof",
    ));
    for (what, token, body, status, error) in cases {
        let (got_status, challenge, got) =
            credential_request(&platform, token.as_deref(), &body).await;
        assert_eq!(
            (got_status, got["error"].as_str()),
            (status, Some(error)),
            "{what}: {got}"
        );
        assert!(
            got["error_description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{what}"
        );
        if status == 401 {
            assert!(
                challenge.is_some_and(|c| c.starts_with("Bearer ")),
                "{what}"
            );
        }
    }
    assert_eq!(
        ledger_size(&platform, "P0001").await,
        0,
        "refusals issue nothing"
    );

    // A nonce is spent by the proof that uses it: the second use is refused.
    let spent = nonce(&platform).await;
    let (status, _, body) = credential_request(
        &platform,
        Some(&token),
        &request_for(care, wallet.proof(&issuer, &spent)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = credential_request(
        &platform,
        Some(&token),
        &request_for("RoleCredential_ldp_vc", wallet.proof(&issuer, &spent)),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_nonce")),
        "{body}"
    );
    // A configuration is issued once per offer.
    let (status, _, body) = credential_request(
        &platform,
        Some(&token),
        &request_for(care, wallet.proof(&issuer, &nonce(&platform).await)),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("credential_request_denied"))
    );
    assert_eq!(ledger_size(&platform, "P0001").await, 1);
}

#[tokio::test]
async fn an_ra_cannot_offer_what_the_record_does_not_support_and_the_pin_is_shown_once() {
    let platform = Platform::start().await.unwrap();
    let refused = |body: Value, person: &'static str| {
        let platform = &platform;
        async move {
            platform
                .admin_post(&format!("/admin/people/{person}/offers"), &body)
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        refused(json!({"formats": ["jwt_vc_json"]}), "P0001").await,
        400
    );
    assert_eq!(
        refused(json!({"types": ["DrivingLicence"]}), "P0001").await,
        400
    );
    assert_eq!(
        refused(json!({"types": ["SmartcardCredential"]}), "P0001").await,
        422
    );
    assert_eq!(refused(json!({"extra": true}), "P0001").await, 400);
    assert_eq!(refused(json!({}), "P9999").await, 404);
    let unauthenticated = platform
        .http
        .post(format!("{}/admin/people/P0001/offers", platform.issuer_url))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);

    let offer = create_offer(&platform, "P0001", json!({"types": ["RoleCredential"]})).await;
    let id = offer["offer_id"].as_str().unwrap();
    let status = platform
        .admin_get(&format!("/admin/offers/{id}"))
        .await
        .unwrap();
    assert_eq!(status["status"], "pending");
    assert!(!status
        .to_string()
        .contains(offer["tx_code"].as_str().unwrap()));
    let svg = platform
        .http
        .get(format!("{}/admin/offers/{id}/qr.svg", platform.issuer_url))
        .bearer_auth(tests::TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.text().await.unwrap().contains("<svg"));
}
