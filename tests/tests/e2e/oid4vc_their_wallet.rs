//! OpenID4VCI and OpenID4VP interop, their wallet with our services: the OpenWallet
//! Foundation's `@openid4vc/openid4vci` and `@openid4vc/openid4vp` (tests/js) as the wallet,
//! against our issuer and verifier on loopback.
//!
//! `oid4vci-wallet.mjs` follows the RA's offer with their client (offer by reference,
//! both metadata documents, PIN, nonce endpoint, `openid4vci-proof+jwt`, one request per
//! configuration); `oid4vp-holder.mjs` resolves the officer's request with theirs (request
//! object by reference, its signature checked against our verifier's did:web document,
//! DCQL) and answers by `direct_post`, its SD-JWT VC presentations made by `@sd-jwt`.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use tests::{digital_bazaar, our_contexts, Platform, OFFICER_TOKEN};

use crate::oid4vci::{payload_of, verify_sd_jwt};

/// The holder key of their wallet (and another, for a holder who is not the subject).
const SEED: &str = "4f1c0a5e9d3b7a2c6e8f0d1b3a5c7e9f2b4d6f8a0c2e4a6c8e0f2a4b6c8d0e1f";
const MALLORY: &str = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d";

async fn create_offer(platform: &Platform, person: &str, body: Value) -> Value {
    let response = platform
        .admin_post(&format!("/admin/people/{person}/offers"), &body)
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

/// Their wallet follows the offer's link with this PIN.
async fn their_wallet(offer: &Value, pin: &str, seed: &str, extra: Value) -> Value {
    let mut request = json!({
        "offerUri": offer["offer_uri"],
        "txCode": pin,
        "seed": seed,
        "contexts": our_contexts(),
    });
    if let (Some(request), Some(extra)) = (request.as_object_mut(), extra.as_object()) {
        request.extend(extra.clone());
    }
    digital_bazaar("oid4vci-wallet.mjs", &request)
        .await
        .unwrap()
}

fn pin_of(offer: &Value) -> &str {
    offer["tx_code"].as_str().unwrap()
}

/// A 6-digit PIN that is not the offer's.
fn wrong_pin(offer: &Value) -> &'static str {
    if pin_of(offer) == "000000" {
        "111111"
    } else {
        "000000"
    }
}

fn credentials_of(got: &Value) -> Vec<Value> {
    got["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["credential"].clone())
        .collect()
}

async fn ledger(platform: &Platform, person: &str) -> Vec<Value> {
    platform
        .admin_get(&format!("/admin/people/{person}/credentials"))
        .await
        .unwrap()["credentials"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn start(platform: &Platform, template: &str) -> Value {
    let response = platform
        .http
        .post(format!("{}/presentation-requests", platform.verifier_url))
        .bearer_auth(OFFICER_TOKEN)
        .json(&json!({"template": template}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn result_of(platform: &Platform, id: &str) -> Value {
    let response = platform
        .http
        .get(format!(
            "{}/presentation-requests/{id}",
            platform.verifier_url
        ))
        .bearer_auth(OFFICER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Their holder answers the officer's request with these credentials.
async fn their_holder(created: &Value, credentials: &[Value], seed: &str, extra: Value) -> Value {
    let mut request = json!({
        "requestLink": created["openid4vp_uri"],
        "credentials": credentials,
        "seed": seed,
        "contexts": our_contexts(),
    });
    if let (Some(request), Some(extra)) = (request.as_object_mut(), extra.as_object()) {
        request.extend(extra.clone());
    }
    digital_bazaar("oid4vp-holder.mjs", &request).await.unwrap()
}

/// The claim names a DCQL credential query asks for (one-segment paths after the
/// `credentialSubject` of an ldp_vc).
fn asked_claims(dcql: &Value, query: &str) -> BTreeSet<String> {
    let query = dcql["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == query)
        .unwrap();
    query["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let path = c["path"].as_array().unwrap();
            path.last().unwrap().as_str().unwrap().to_owned()
        })
        .collect()
}

/// What their wallet fetched, in order: `METHOD url status`.
fn fetched(got: &Value) -> Vec<String> {
    got["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{} {} {}",
                t["method"].as_str().unwrap().to_uppercase(),
                t["url"].as_str().unwrap(),
                t["status"]
            )
        })
        .collect()
}

/// Their wallet collects every credential P0001's record supports, in both formats.
async fn collect_everything(platform: &Platform, seed: &str) -> Value {
    let offer = create_offer(platform, "P0001", json!({})).await;
    let got = their_wallet(&offer, pin_of(&offer), seed, json!({})).await;
    assert_eq!(got["errors"], json!([]), "{got:#}");
    got
}

#[tokio::test]
async fn their_wallet_collects_both_formats_bound_to_its_key_and_they_verify_here() {
    let platform = Platform::start().await.unwrap();
    let issuer = platform.issuer_url.clone();
    let offer = create_offer(&platform, "P0001", json!({})).await;
    let got = their_wallet(&offer, pin_of(&offer), SEED, json!({})).await;

    // Their client took our metadata for OpenID4VCI 1.0 (it asks by configuration id only
    // then) and followed the flow end to end, nothing refused.
    assert_eq!(got["errors"], json!([]), "{got:#}");
    assert_eq!(got["version"], "V1");
    assert_eq!(got["issuer"], issuer.as_str());
    assert_eq!(got["token"]["token_type"], "Bearer");
    assert_eq!(got["offer"], offer["credential_offer"]);
    let trail = fetched(&got);
    assert_eq!(
        trail[..4],
        [
            format!(
                "GET {} 200",
                offer["credential_offer_uri"].as_str().unwrap()
            ),
            format!("GET {issuer}/.well-known/openid-credential-issuer 200"),
            format!("GET {issuer}/.well-known/oauth-authorization-server 200"),
            format!("POST {issuer}/token 200"),
        ],
        "{trail:#?}"
    );
    // A fresh nonce for each of the twelve requests (between them, the checks of what came).
    let each = [
        format!("POST {issuer}/nonce 200"),
        format!("POST {issuer}/credential 200"),
    ];
    let expected: Vec<String> = (0..12).flat_map(|_| each.clone()).collect();
    let protocol: Vec<String> = trail[4..]
        .iter()
        .filter(|f| f.starts_with("POST "))
        .cloned()
        .collect();
    assert_eq!(protocol, expected);
    assert!(trail.contains(&format!("GET {issuer}/.well-known/jwt-vc-issuer 200")));

    let did = got["did"].as_str().unwrap();
    let received = got["credentials"].as_array().unwrap();
    let configurations: BTreeSet<&str> = received
        .iter()
        .map(|c| c["configuration"].as_str().unwrap())
        .collect();
    let offered: BTreeSet<&str> = offer["credential_configuration_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(configurations, offered);
    // Every configuration of ours passes their format-specific schema (App. A).
    let metadata = platform
        .get_json(&format!("{issuer}/.well-known/openid-credential-issuer"))
        .await
        .unwrap();
    let ours: BTreeSet<&str> = metadata["credential_configurations_supported"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let known: BTreeSet<&str> = got["knownConfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(known, ours);
    assert_eq!(received.len(), 12);
    let registry_did = platform
        .get_json(&format!("{}/.well-known/did.json", platform.registry_url))
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for entry in received {
        let configuration = entry["configuration"].as_str().unwrap();
        let credential = &entry["credential"];
        // Their wallet checked it on receipt: Digital Bazaar for ldp_vc, @sd-jwt for
        // SD-JWT VC (key from our JWT VC Issuer Metadata, live Token Status List signed by
        // the registry).
        assert_eq!(
            entry["check"]["verified"], true,
            "{configuration}: {entry:#}"
        );
        if entry["format"] == "dc+sd-jwt" {
            assert!(
                entry["check"]["statusListKid"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{registry_did}#")),
                "{entry:#}"
            );
        }
        match entry["format"].as_str().unwrap() {
            "ldp_vc" => {
                assert_eq!(
                    credential["credentialSubject"]["id"], did,
                    "{configuration}"
                );
                let result = platform.verify_credential(credential).await.unwrap();
                assert_eq!(result["verified"], true, "{configuration}: {result:#}");
            }
            "dc+sd-jwt" => {
                let sd_jwt = credential.as_str().unwrap();
                assert!(sd_jwt.ends_with('~'), "{configuration}");
                assert_eq!(
                    payload_of(sd_jwt)["cnf"]["jwk"],
                    got["jwk"],
                    "{configuration}"
                );
                let verdict = verify_sd_jwt(&platform, sd_jwt).await;
                assert!(
                    verdict.verified(),
                    "{configuration}: {:#?}",
                    verdict.verdict
                );
            }
            other => panic!("{configuration}: format {other}"),
        }
    }
    // The issuer's ledger has them all, bound to their wallet's DID.
    let entries = ledger(&platform, "P0001").await;
    assert_eq!(entries.len(), 12);
    assert!(entries.iter().all(|e| e["holder"] == did), "{entries:#?}");
    let status = platform
        .admin_get(&format!(
            "/admin/offers/{}",
            offer["offer_id"].as_str().unwrap()
        ))
        .await
        .unwrap();
    assert_eq!(status["status"], "redeemed");

    // The offer is spent: their wallet scanning it again finds nothing to follow.
    let again = their_wallet(&offer, pin_of(&offer), SEED, json!({})).await;
    assert_eq!(again["errors"][0]["step"], "offer", "{again:#}");
    assert_eq!(again["errors"][0]["status"], 404);
    assert_eq!(again["credentials"], json!([]));
    assert_eq!(ledger(&platform, "P0001").await.len(), 12);
}

#[tokio::test]
async fn a_wrong_pin_in_their_wallet_gets_invalid_grant_and_nothing_is_issued() {
    let platform = Platform::start().await.unwrap();
    let offer = create_offer(&platform, "P0002", json!({})).await;
    let wrong = wrong_pin(&offer);
    let got = their_wallet(&offer, wrong, SEED, json!({})).await;
    assert_eq!(got["token"], Value::Null, "{got:#}");
    assert_eq!(got["credentials"], json!([]));
    let errors = got["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{got:#}");
    assert_eq!(errors[0]["step"], "token");
    assert_eq!(errors[0]["status"], 400);
    assert_eq!(errors[0]["error"], "invalid_grant");
    assert!(
        errors[0]["error_description"]
            .as_str()
            .unwrap()
            .contains("2 attempt"),
        "{errors:#?}"
    );
    // It never reached the credential endpoint, and nothing was issued.
    assert!(!fetched(&got).iter().any(|f| f.contains("/credential ")));
    assert!(ledger(&platform, "P0002").await.is_empty());

    // Two more wrong PINs lock the offer: the right one is refused after that, the same way.
    for _ in 0..2 {
        let got = their_wallet(&offer, wrong, SEED, json!({})).await;
        assert_eq!(got["errors"][0]["error"], "invalid_grant", "{got:#}");
    }
    let status = platform
        .admin_get(&format!(
            "/admin/offers/{}",
            offer["offer_id"].as_str().unwrap()
        ))
        .await
        .unwrap();
    assert_eq!(status["status"], "locked");
    assert_eq!(status["wrong_pin_attempts"], 3);
    let got = their_wallet(&offer, pin_of(&offer), SEED, json!({})).await;
    assert_eq!(got["errors"][0]["step"], "offer", "{got:#}");
    assert_eq!(got["errors"][0]["status"], 404);
    assert!(ledger(&platform, "P0002").await.is_empty());

    // A fresh offer with the right PIN, this time followed by value: their wallet gets its
    // credentials without fetching the offer.
    let offer = create_offer(&platform, "P0002", json!({"formats": ["dc+sd-jwt"]})).await;
    let got = their_wallet(
        &offer,
        pin_of(&offer),
        SEED,
        json!({"offerUri": offer["offer_uri_by_value"]}),
    )
    .await;
    assert_eq!(got["errors"], json!([]), "{got:#}");
    assert_eq!(got["offer"], offer["credential_offer"]);
    assert!(!fetched(&got).iter().any(|f| f.contains("/offers/")));
    assert_eq!(
        got["credentials"].as_array().unwrap().len(),
        offer["credential_configuration_ids"]
            .as_array()
            .unwrap()
            .len()
    );
    assert_eq!(
        ledger(&platform, "P0002").await.len(),
        got["credentials"].as_array().unwrap().len()
    );
}

#[tokio::test]
async fn their_wallet_with_a_token_we_never_issued_reads_invalid_token_from_our_challenge() {
    let platform = Platform::start().await.unwrap();
    let offer = create_offer(
        &platform,
        "P0001",
        json!({"types": ["CareIdentityCredential"], "formats": ["dc+sd-jwt"]}),
    )
    .await;
    let got = their_wallet(
        &offer,
        pin_of(&offer),
        SEED,
        json!({"accessToken": "not-a-token-we-issued"}),
    )
    .await;
    assert_eq!(got["credentials"], json!([]), "{got:#}");
    let error = &got["errors"][0];
    assert_eq!(error["step"], "credential", "{got:#}");
    assert_eq!(error["status"], 401);
    assert_eq!(error["error"], "invalid_token");
    // Their client parses our RFC 6750 §3 challenge into the same error.
    let challenge = &error["wwwAuthenticate"][0];
    assert_eq!(challenge["scheme"], "Bearer", "{error:#}");
    assert_eq!(challenge["error"], "invalid_token", "{error:#}");
    assert!(ledger(&platform, "P0001").await.is_empty());
}

#[tokio::test]
async fn their_wallet_takes_both_posts_of_a_two_post_record_from_one_request() {
    let platform = Platform::start().await.unwrap();
    // P0005 holds two posts at RJ1: one configuration, two employment credentials, one proof.
    let offer = create_offer(
        &platform,
        "P0005",
        json!({"types": ["EmploymentCredential"]}),
    )
    .await;
    let got = their_wallet(&offer, pin_of(&offer), SEED, json!({})).await;
    assert_eq!(got["errors"], json!([]), "{got:#}");
    for configuration in [
        "EmploymentCredential_ldp_vc",
        "EmploymentCredential_dc_sd_jwt",
    ] {
        let of_it: Vec<&Value> = got["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["configuration"] == configuration)
            .map(|c| &c["credential"])
            .collect();
        assert_eq!(of_it.len(), 2, "{configuration}: {got:#}");
        for credential in of_it {
            if let Some(sd_jwt) = credential.as_str() {
                assert_eq!(payload_of(sd_jwt)["cnf"]["jwk"], got["jwk"]);
                let verdict = verify_sd_jwt(&platform, sd_jwt).await;
                assert!(verdict.verified(), "{:#?}", verdict.verdict);
            } else {
                assert_eq!(credential["credentialSubject"]["id"], got["did"]);
                let result = platform.verify_credential(credential).await.unwrap();
                assert_eq!(result["verified"], true, "{result:#}");
            }
        }
    }
    assert_eq!(ledger(&platform, "P0005").await.len(), 4);
}

#[tokio::test]
async fn their_wallet_reusing_a_nonce_gets_invalid_nonce_for_the_second_credential() {
    let platform = Platform::start().await.unwrap();
    let offer = create_offer(
        &platform,
        "P0001",
        json!({"types": ["CareIdentityCredential", "RoleCredential"]}),
    )
    .await;
    let got = their_wallet(&offer, pin_of(&offer), SEED, json!({"oneNonce": true})).await;
    let issued: Vec<&str> = got["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["configuration"].as_str().unwrap())
        .collect();
    assert_eq!(issued.len(), 1, "{got:#}");
    let errors = got["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 3, "{got:#}");
    for error in errors {
        assert_eq!(error["step"], "credential");
        assert_eq!(error["status"], 400);
        assert_eq!(error["error"], "invalid_nonce", "{error}");
    }
    assert_eq!(ledger(&platform, "P0001").await.len(), 1);
}

#[tokio::test]
async fn their_holder_presents_both_formats_and_the_officer_sees_exactly_what_was_disclosed() {
    let platform = Platform::start().await.unwrap();
    let got = collect_everything(&platform, SEED).await;
    let held = credentials_of(&got);
    let did = got["did"].as_str().unwrap();

    let created = start(&platform, "new-starter").await;
    let answer = [
        "identity_sd_jwt",
        "employment_ldp",
        "checks_sd_jwt",
        "registration_sd_jwt",
    ];
    let answered = their_holder(&created, &held, SEED, json!({"choose": answer})).await;
    assert_eq!(answered["rejected"], Value::Null, "{answered:#}");

    // Their client checked our request object the way §5.9.3 asks: signed by a key in the
    // verifier's did:web document, which it fetched, and the same client_id as the link.
    let verifier_did = format!(
        "did:web:{}",
        platform
            .verifier_url
            .trim_start_matches("http://")
            .replace(':', "%3A")
    );
    assert_eq!(answered["client"]["prefix"], "decentralized_identifier");
    assert_eq!(answered["client"]["identifier"], verifier_did.as_str());
    let client_id = format!("decentralized_identifier:{verifier_did}");
    assert_eq!(answered["client"]["effective"], client_id.as_str());
    assert_eq!(answered["request"]["header"]["typ"], "oauth-authz-req+jwt");
    let verifications = answered["verifications"].as_array().unwrap();
    assert_eq!(verifications.len(), 1, "{verifications:#?}");
    assert_eq!(verifications[0]["verified"], true);
    assert_eq!(
        verifications[0]["documentUrl"],
        format!("{}/.well-known/did.json", platform.verifier_url)
    );
    assert!(verifications[0]["kid"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{verifier_did}#")));
    assert_eq!(
        answered["answers"],
        json!([{"status": 200, "body": {}}]),
        "{answered:#}"
    );

    // What their holder built: KB-JWTs for our full client_id and nonce, a DI presentation
    // with challenge and domain.
    let nonce = answered["request"]["nonce"].as_str().unwrap();
    let vp_token = &answered["vpToken"];
    let mut keys: Vec<&str> = vp_token
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    let mut expected = answer.to_vec();
    expected.sort();
    assert_eq!(keys, expected);
    let presented = vp_token["identity_sd_jwt"][0].as_str().unwrap();
    let kb = presented.rsplit('~').next().unwrap();
    let kb = payload_of(&format!("{kb}~"));
    assert_eq!(kb["aud"], client_id.as_str());
    assert_eq!(kb["nonce"], nonce);
    let proof = &vp_token["employment_ldp"][0]["proof"];
    assert_eq!(proof["challenge"], nonce);
    assert_eq!(proof["domain"], client_id.as_str());
    assert_eq!(proof["cryptosuite"], "eddsa-rdfc-2022");

    // The officer's result: verified, and for SD-JWT exactly the asked claims.
    let result = result_of(&platform, created["id"].as_str().unwrap()).await;
    assert_eq!(result["status"], "received");
    let outcome = &result["result"];
    assert_eq!(outcome["verified"], true, "{outcome:#}");
    assert_eq!(outcome["problems"], json!([]));
    let dcql = &result["dcql_query"];
    let credentials = outcome["credentials"].as_object().unwrap();
    let mut answered_ids: Vec<&str> = credentials.keys().map(String::as_str).collect();
    answered_ids.sort();
    assert_eq!(answered_ids, expected);
    for (query, presented) in credentials {
        let presented = &presented[0];
        assert_eq!(presented["verified"], true, "{query}: {presented:#}");
        assert_eq!(presented["issuer"], platform.issuer_did.as_str(), "{query}");
        for check in presented["checks"].as_array().unwrap() {
            assert!(
                check["outcome"] == "passed" || check["outcome"] == "notApplicable",
                "{query}: {check}"
            );
        }
        if query.ends_with("_sd_jwt") {
            let disclosed: BTreeSet<String> = presented["claims"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            assert_eq!(disclosed, asked_claims(dcql, query), "{query}");
        }
    }
    let identity = &credentials["identity_sd_jwt"][0]["claims"];
    assert_eq!(identity["givenName"], "Amara");
    assert!(
        identity.get("middleNames").is_none(),
        "not asked, not shown"
    );
    assert!(
        credentials["checks_sd_jwt"][0]["claims"]["checks"]
            .as_array()
            .unwrap()
            .len()
            >= 5
    );
    let employment = &credentials["employment_ldp"][0]["claims"];
    assert_eq!(employment["id"], did);

    // Left to choose by itself, their holder takes each set's first option it can meet.
    let created = start(&platform, "right-to-work").await;
    let answered = their_holder(&created, &held, SEED, json!({})).await;
    assert_eq!(answered["answers"][0]["status"], 200, "{answered:#}");
    let result = result_of(&platform, created["id"].as_str().unwrap()).await;
    assert_eq!(result["result"]["verified"], true, "{result:#}");
    assert!(result["result"]["credentials"]["identity_ldp"].is_array());
}

#[tokio::test]
async fn their_holder_sending_the_same_response_twice_is_refused_the_second_time() {
    let platform = Platform::start().await.unwrap();
    let held = credentials_of(&collect_everything(&platform, SEED).await);
    let created = start(&platform, "right-to-work").await;
    let answered = their_holder(
        &created,
        &held,
        SEED,
        json!({"choose": ["identity_sd_jwt"], "submissions": 2}),
    )
    .await;
    let answers = answered["answers"].as_array().unwrap();
    assert_eq!(
        answers[0],
        json!({"status": 200, "body": {}}),
        "{answered:#}"
    );
    assert_eq!(answers[1]["status"], 400, "{answered:#}");
    assert_eq!(answers[1]["body"]["error"], "invalid_request");
    assert!(
        answers[1]["body"]["error_description"]
            .as_str()
            .unwrap()
            .contains("replay"),
        "{answers:#?}"
    );
    // The officer still sees the first answer, verified.
    let result = result_of(&platform, created["id"].as_str().unwrap()).await;
    assert_eq!(result["result"]["verified"], true, "{result:#}");

    // The request is answered: their holder scanning it again is refused the request object.
    let again = their_holder(&created, &held, SEED, json!({})).await;
    assert_eq!(
        again["rejected"]["error"], "invalid_request_uri",
        "{again:#}"
    );
    assert!(again["answers"].as_array().unwrap().is_empty());
}

/// Expects the verifier to have refused their holder's answer, naming `check` for `query`.
async fn refused(platform: &Platform, created: &Value, answered: &Value, query: &str, check: &str) {
    let answer = &answered["answers"][0];
    assert_eq!(answer["status"], 400, "{answered:#}");
    assert_eq!(answer["body"]["error"], "invalid_request");
    let description = answer["body"]["error_description"].as_str().unwrap();
    assert!(
        description.contains(&format!("{query}[0]: {check}")),
        "{description}"
    );
    let result = result_of(platform, created["id"].as_str().unwrap()).await;
    assert_eq!(result["result"]["verified"], false);
    assert!(
        result["result"]["credentials"][query][0]["claims"].is_null(),
        "nothing accepted, nothing shown: {result:#}"
    );
}

#[tokio::test]
async fn their_holder_is_refused_for_a_bare_did_audience_extra_claims_and_someone_elses_credentials(
) {
    let platform = Platform::start().await.unwrap();
    let got = collect_everything(&platform, SEED).await;
    let held = credentials_of(&got);
    let verifier_did = format!(
        "did:web:{}",
        platform
            .verifier_url
            .trim_start_matches("http://")
            .replace(':', "%3A")
    );

    // The KB-JWT's aud is the DID without the prefix: OpenID4VP §14.8 wants the full
    // client_id, and so do we.
    let created = start(&platform, "right-to-work").await;
    let answered = their_holder(
        &created,
        &held,
        SEED,
        json!({"choose": ["identity_sd_jwt"], "kbAudience": verifier_did}),
    )
    .await;
    refused(
        &platform,
        &created,
        &answered,
        "identity_sd_jwt",
        "audience",
    )
    .await;

    // The same for a Data Integrity presentation's domain.
    let created = start(&platform, "right-to-work").await;
    let answered = their_holder(
        &created,
        &held,
        SEED,
        json!({"choose": ["identity_ldp"], "vpDomain": verifier_did}),
    )
    .await;
    refused(&platform, &created, &answered, "identity_ldp", "audience").await;

    // Every claim disclosed, not only the asked ones.
    let created = start(&platform, "right-to-work").await;
    let answered = their_holder(
        &created,
        &held,
        SEED,
        json!({"choose": ["identity_sd_jwt"], "discloseAll": true}),
    )
    .await;
    refused(&platform, &created, &answered, "identity_sd_jwt", "dcql").await;

    // Another holder (key) presenting our wallet's credentials, in each format.
    for query in ["identity_sd_jwt", "identity_ldp"] {
        let created = start(&platform, "right-to-work").await;
        let answered = their_holder(&created, &held, MALLORY, json!({"choose": [query]})).await;
        refused(&platform, &created, &answered, query, "holderBinding").await;
    }
}

/// Serves `jwt` as a request object at `http://127.0.0.1:<port>/request`, as a man in the
/// middle would; the link keeps our verifier's client_id.
async fn serve_request_object(jwt: String) -> String {
    let router = axum::Router::new().route(
        "/request",
        axum::routing::get(move || {
            let jwt = jwt.clone();
            async move { ([("content-type", "application/oauth-authz-req+jwt")], jwt) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}/request")
}

#[tokio::test]
async fn their_holder_refuses_our_request_object_once_it_is_tampered_with() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    let platform = Platform::start().await.unwrap();
    let held = credentials_of(&collect_everything(&platform, SEED).await);
    let created = start(&platform, "right-to-work").await;
    let jwt = platform
        .http
        .get(created["request_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let parts: Vec<&str> = jwt.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let client_id = claims["client_id"].as_str().unwrap().to_owned();
    let link_to = |request_uri: &str| {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &client_id)
            .append_pair("request_uri", request_uri)
            .finish();
        json!({"openid4vp_uri": format!("openid4vp://?{query}")})
    };

    // Untouched, served from elsewhere: still our verifier's signature, so it is taken.
    let untouched = serve_request_object(jwt.clone()).await;
    let answered = their_holder(
        &link_to(&untouched),
        &held,
        SEED,
        json!({"choose": ["identity_sd_jwt"]}),
    )
    .await;
    assert_eq!(answered["rejected"], Value::Null, "{answered:#}");
    assert_eq!(answered["verifications"][0]["verified"], true);
    assert_eq!(answered["request"]["aud"], "https://self-issued.me/v2");

    // The responses sent somewhere else, the signature kept: refused before anything is
    // presented, because the verifier's did:web key does not verify it.
    let created = start(&platform, "right-to-work").await;
    let jwt = platform
        .http
        .get(created["request_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let parts: Vec<&str> = jwt.split('.').collect();
    claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["response_uri"] = "http://127.0.0.1:9/steal".into();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    let answered = their_holder(
        &link_to(&serve_request_object(tampered).await),
        &held,
        SEED,
        json!({"choose": ["identity_sd_jwt"]}),
    )
    .await;
    assert_ne!(answered["rejected"], Value::Null, "{answered:#}");
    assert_eq!(answered["verifications"][0]["verified"], false);
    assert_eq!(answered["vpToken"], Value::Null);
    assert!(answered["answers"].as_array().unwrap().is_empty());
    assert!(!fetched(&answered).iter().any(|f| f.contains("/steal")));
    // The officer's request still waits for the real answer.
    let result = result_of(&platform, created["id"].as_str().unwrap()).await;
    assert_eq!(result["status"], "pending");
}

#[tokio::test]
async fn what_their_wallet_collected_is_refused_once_the_person_leaves() {
    let platform = Platform::start().await.unwrap();
    let held = credentials_of(&collect_everything(&platform, SEED).await);
    let leaver = json!({
        "event_id": "EVT-THEIR-WALLET-1",
        "event_type": "LEAVER",
        "occurred_at": (chrono::Utc::now() - chrono::Duration::minutes(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
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
    // The registry's change feed reaches the verifier.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for query in ["identity_sd_jwt", "identity_ldp"] {
        let created = start(&platform, "right-to-work").await;
        let answered = their_holder(&created, &held, SEED, json!({"choose": [query]})).await;
        refused(&platform, &created, &answered, query, "status").await;
    }
}
