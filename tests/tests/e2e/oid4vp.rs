//! OpenID4VP 1.0 at the verifier, with the test playing the wallet over HTTP: an officer
//! starts a request from a template, the QR code is read back with an independent decoder
//! (rqrr) and followed to the signed request object, the wallet answers by `direct_post`
//! with Data Integrity presentations (credentials from the issuer's admin API) and SD-JWT VC
//! presentations (collected from the issuer over OpenID4VCI), and the officer reads the
//! result. Then every refusal, each with its reason, and what it changes (nothing, or the
//! one request it spends).

use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::Utc;
use credentials::did::{did_key, ed25519_from_multibase};
use credentials::sd_jwt::{claim_path, present, ClaimPath};
use credentials::securing::{sign_credential, sign_presentation, Cryptosuite, ProofRequest};
use credentials::SigningIdentity;
use ed25519_dalek::{Signer, SigningKey, Verifier as _};
use serde_json::{json, Value};
use tests::{Platform, OFFICER_TOKEN, TOKEN};

const PRE_AUTHORIZED: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

/// The wallet's side: the holder's key, as did:key (ldp_vc) and as `cnf` (SD-JWT VC).
struct Holder {
    key: SigningKey,
    identity: SigningIdentity,
}

impl Holder {
    fn new(seed: u8) -> Self {
        let key = SigningKey::from_bytes(&[seed; 32]);
        Self {
            identity: SigningIdentity::did_key(key.clone()),
            key,
        }
    }

    fn did(&self) -> String {
        self.identity.did().to_owned()
    }

    fn proof_jwt(&self, audience: &str, nonce: &str) -> String {
        let header = json!({"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": did_key(&self.key.verifying_key()).1});
        let claims = json!({"aud": audience, "iat": Utc::now().timestamp(), "nonce": nonce});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self.key.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }
}

/// What the wallet learnt from the QR code and the request object.
struct Request {
    id: String,
    client_id: String,
    nonce: String,
    state: String,
    response_uri: String,
    dcql_query: Value,
}

async fn officer_post(platform: &Platform, body: &Value) -> reqwest::Response {
    platform
        .http
        .post(format!("{}/presentation-requests", platform.verifier_url))
        .bearer_auth(OFFICER_TOKEN)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn start(platform: &Platform, template: &str) -> Value {
    let response = officer_post(platform, &json!({"template": template})).await;
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
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

fn decode_qr(png: &[u8]) -> String {
    let image = image::load_from_memory(png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code in the image");
    grids[0].decode().unwrap().1
}

fn json_part(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// Scans the QR code, follows the link, checks the request object as a wallet must (typ,
/// signature by the key its kid names in the verifier's DID document, client_id as in the
/// link) and reads it.
async fn scan(platform: &Platform, created: &Value) -> Request {
    let png = STANDARD
        .decode(created["qr_png"].as_str().unwrap())
        .unwrap();
    let link = decode_qr(&png);
    assert_eq!(link, created["openid4vp_uri"].as_str().unwrap());
    let url = reqwest::Url::parse(&link).unwrap();
    assert_eq!(url.scheme(), "openid4vp");
    let pairs: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    let client_id = pairs["client_id"].clone();
    let response = platform
        .http
        .get(&pairs["request_uri"])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/oauth-authz-req+jwt"
    );
    let jwt = response.text().await.unwrap();
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header = json_part(parts[0]);
    assert_eq!(header["typ"], "oauth-authz-req+jwt");
    assert_eq!(header["alg"], "EdDSA");
    let kid = header["kid"].as_str().unwrap();
    let did = client_id.strip_prefix("decentralized_identifier:").unwrap();
    assert!(kid.starts_with(&format!("{did}#")), "{kid}");
    // did:web of a loopback host: its document is at /.well-known/did.json.
    let document = platform
        .get_json(&format!("{}/.well-known/did.json", platform.verifier_url))
        .await
        .unwrap();
    assert_eq!(document["id"], did);
    let method = document["verificationMethod"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == kid)
        .unwrap();
    let key = ed25519_from_multibase(method["publicKeyMultibase"].as_str().unwrap()).unwrap();
    let signature =
        ed25519_dalek::Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
    key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .expect("the request object is signed by the verifier's key");
    let payload = json_part(parts[1]);
    assert_eq!(payload["client_id"], client_id.as_str());
    assert_eq!(payload["response_type"], "vp_token");
    assert_eq!(payload["response_mode"], "direct_post");
    assert_eq!(payload["aud"], "https://self-issued.me/v2");
    let nonce = payload["nonce"].as_str().unwrap().to_owned();
    assert!(nonce.len() >= 22, "at least 128 bits");
    Request {
        id: created["id"].as_str().unwrap().to_owned(),
        client_id,
        nonce,
        state: payload["state"].as_str().unwrap().to_owned(),
        response_uri: payload["response_uri"].as_str().unwrap().to_owned(),
        dcql_query: payload["dcql_query"].clone(),
    }
}

async fn post_form(platform: &Platform, url: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let response = platform
        .http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert_eq!(response.headers()["content-type"], "application/json");
    (status, response.json().await.unwrap())
}

async fn answer(platform: &Platform, request: &Request, vp_token: &Value) -> (u16, Value) {
    post_form(
        platform,
        &request.response_uri,
        &[
            ("vp_token", &vp_token.to_string()),
            ("state", &request.state),
        ],
    )
    .await
}

async fn ldp_presentation(
    holder: &SigningIdentity,
    credential: &Value,
    nonce: &str,
    domain: &str,
) -> Value {
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder.did(),
        "verifiableCredential": [credential],
    });
    let request = ProofRequest {
        challenge: Some(nonce.into()),
        domain: Some(domain.into()),
        ..Default::default()
    };
    sign_presentation(&unsigned, holder, Cryptosuite::EddsaJcs2022, &request)
        .await
        .unwrap()
}

fn paths(names: &[&str]) -> Vec<ClaimPath> {
    names
        .iter()
        .map(|n| claim_path(&json!([n])).unwrap())
        .collect()
}

fn sd_presentation(holder: &Holder, sd_jwt: &str, names: &[&str], request: &Request) -> String {
    present(
        sd_jwt,
        &paths(names),
        &holder.identity,
        &request.client_id,
        &request.nonce,
        Utc::now(),
    )
    .unwrap()
}

fn of_type<'a>(credentials: &'a [Value], type_name: &str) -> &'a Value {
    credentials
        .iter()
        .find(|c| c["type"].as_array().unwrap().iter().any(|t| t == type_name))
        .unwrap_or_else(|| panic!("no {type_name}"))
}

/// The person's SD-JWT VCs, collected as a wallet does: an RA's offer, the PIN, a token,
/// then each credential with a fresh nonce and a proof of the holder's key.
async fn collect_sd_jwt_vcs(platform: &Platform, person: &str, holder: &Holder) -> Vec<String> {
    let offer: Value = platform
        .admin_post(
            &format!("/admin/people/{person}/offers"),
            &json!({"formats": ["dc+sd-jwt"]}),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = offer["credential_offer"]["grants"][PRE_AUTHORIZED]["pre-authorized_code"]
        .as_str()
        .unwrap();
    let (status, token) = post_form(
        platform,
        &format!("{}/token", platform.issuer_url),
        &[
            ("grant_type", PRE_AUTHORIZED),
            ("pre-authorized_code", code),
            ("tx_code", offer["tx_code"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{token}");
    let access = token["access_token"].as_str().unwrap();
    let mut collected = Vec::new();
    for configuration in offer["credential_configuration_ids"].as_array().unwrap() {
        let nonce: Value = platform
            .http
            .post(format!("{}/nonce", platform.issuer_url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let proof = holder.proof_jwt(&platform.issuer_url, nonce["c_nonce"].as_str().unwrap());
        let body: Value = platform
            .http
            .post(format!("{}/credential", platform.issuer_url))
            .bearer_auth(access)
            .json(
                &json!({"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}}),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        collected.push(
            body["credentials"][0]["credential"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    collected
}

fn sd_of_type<'a>(sd_jwts: &'a [String], slug: &str) -> &'a str {
    let vct = format!("https://staff-passport.nhs.uk/vct/{slug}/v1");
    sd_jwts
        .iter()
        .find(|s| json_part(s.split('.').nth(1).unwrap())["vct"] == vct.as_str())
        .unwrap_or_else(|| panic!("no {slug}"))
}

/// The check named `name` of the first presentation for `query` in a result.
fn check<'a>(result: &'a Value, query: &str, name: &str) -> &'a Value {
    result["result"]["credentials"][query][0]["checks"]
        .as_array()
        .unwrap_or_else(|| panic!("no checks for {query}: {result:#}"))
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check for {query}: {result:#}"))
}

#[tokio::test]
async fn a_new_starter_presents_in_both_formats_and_the_officer_sees_exactly_what_was_disclosed() {
    let platform = Platform::start().await.unwrap();
    let holder = Holder::new(41);
    let ldp = platform
        .issue_person("P0001", Some(&holder.did()), "eddsa-jcs-2022")
        .await
        .unwrap();
    let sd_jwts = collect_sd_jwt_vcs(&platform, "P0001", &holder).await;

    // The officer's templates: each need asked for in both formats.
    let templates: Value = platform
        .http
        .get(format!("{}/presentation-templates", platform.verifier_url))
        .bearer_auth(OFFICER_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = templates["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"new-starter") && names.contains(&"right-to-work"),
        "{names:?}"
    );

    let created = start(&platform, "new-starter").await;
    assert_eq!(created["status"], "pending");
    assert!(created["qr_svg"].as_str().unwrap().contains("<svg"));
    // The PNG at its own URL is the same code.
    let png = platform
        .http
        .get(created["qr_png_url"].as_str().unwrap())
        .bearer_auth(OFFICER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    assert_eq!(
        decode_qr(&png.bytes().await.unwrap()),
        created["openid4vp_uri"].as_str().unwrap()
    );
    assert_eq!(
        result_of(&platform, created["id"].as_str().unwrap()).await["status"],
        "pending"
    );

    let request = scan(&platform, &created).await;
    let ids: Vec<&str> = request.dcql_query["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "identity_ldp",
            "identity_sd_jwt",
            "employment_ldp",
            "employment_sd_jwt",
            "checks_ldp",
            "checks_sd_jwt",
            "registration_ldp",
            "registration_sd_jwt"
        ]
    );

    // Identity and employment as Data Integrity; checks and registration as SD-JWT VC,
    // disclosing only what was asked.
    let vp_token = json!({
        "identity_ldp": [ldp_presentation(&holder.identity, of_type(&ldp, "CareIdentityCredential"), &request.nonce, &request.client_id).await],
        "employment_ldp": [ldp_presentation(&holder.identity, of_type(&ldp, "EmploymentCredential"), &request.nonce, &request.client_id).await],
        "checks_sd_jwt": [sd_presentation(&holder, sd_of_type(&sd_jwts, "employment-checks"), &["checkedBy", "checks"], &request)],
        "registration_sd_jwt": [sd_presentation(&holder, sd_of_type(&sd_jwts, "professional-registration"), &["regulator", "registrationNumber", "registrationStatus", "renewalDue"], &request)],
    });
    let (status, body) = answer(&platform, &request, &vp_token).await;
    assert_eq!((status, &body), (200, &json!({})));

    let result = result_of(&platform, &request.id).await;
    assert_eq!(result["status"], "received", "{result:#}");
    let outcome = &result["result"];
    assert_eq!(outcome["verified"], true, "{outcome:#}");
    assert_eq!(outcome["problems"], json!([]));
    let credentials = outcome["credentials"].as_object().unwrap();
    let answered: Vec<&str> = credentials.keys().map(String::as_str).collect();
    assert_eq!(
        answered,
        [
            "identity_ldp",
            "employment_ldp",
            "checks_sd_jwt",
            "registration_sd_jwt"
        ]
    );
    for (query, presented) in credentials {
        let presented = &presented[0];
        assert_eq!(presented["verified"], true, "{query}");
        assert_eq!(presented["issuer"], platform.issuer_did.as_str(), "{query}");
        for check in presented["checks"].as_array().unwrap() {
            assert!(
                check["outcome"] == "passed" || check["outcome"] == "notApplicable",
                "{query}: {check}"
            );
        }
        for name in [
            "proof",
            "holderBinding",
            "nonce",
            "audience",
            "status",
            "issuerTrusted",
            "dcql",
        ] {
            assert!(
                presented["checks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c["name"] == name),
                "{query} lacks {name}"
            );
        }
    }
    // SD-JWT: exactly the disclosed claims, nothing the wallet kept back.
    let registration = &credentials["registration_sd_jwt"][0];
    assert_eq!(
        registration["credential_type"],
        "ProfessionalRegistrationCredential"
    );
    let mut disclosed: Vec<&str> = registration["claims"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    disclosed.sort();
    assert_eq!(
        disclosed,
        [
            "registrationNumber",
            "registrationStatus",
            "regulator",
            "renewalDue"
        ]
    );
    assert_eq!(registration["claims"]["registrationNumber"], "4095647");
    let checks = credentials["checks_sd_jwt"][0]["claims"]
        .as_object()
        .unwrap();
    assert_eq!(checks.len(), 2);
    assert!(checks["checks"].as_array().unwrap().len() >= 5);
    // Data Integrity discloses the whole credential, and the result says what it held.
    let identity = &credentials["identity_ldp"][0];
    assert_eq!(identity["claims"]["givenName"], "Amara");
    assert_eq!(identity["claims"]["id"], holder.did().as_str());

    // The same answer again: the nonce is spent, the request answered. Nothing changes.
    let (status, body) = answer(&platform, &request, &vp_token).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_request");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("replay"),
        "{body}"
    );
    assert_eq!(
        result_of(&platform, &request.id).await["result"],
        result["result"]
    );
    // Nor is the request object served any more.
    let gone = platform
        .http
        .get(created["request_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);

    // An SD-JWT-only answer to right-to-work passes too.
    let request = scan(&platform, &start(&platform, "right-to-work").await).await;
    let vp_token = json!({"identity_sd_jwt": [sd_presentation(&holder, sd_of_type(&sd_jwts, "care-identity"), &["careIdentityUuid", "givenName", "familyName", "identityProofing"], &request)]});
    let (status, body) = answer(&platform, &request, &vp_token).await;
    assert_eq!(status, 200, "{body}");
    let result = result_of(&platform, &request.id).await;
    let identity = &result["result"]["credentials"]["identity_sd_jwt"][0];
    assert_eq!(identity["claims"]["givenName"], "Amara");
    assert!(
        identity["claims"].get("middleNames").is_none(),
        "not disclosed, not shown"
    );
}

/// Expects a refusal: 400 `invalid_request` naming `check` for the wallet, and the detail
/// for the officer, in a request now spent.
async fn refused(
    platform: &Platform,
    request: &Request,
    vp_token: &Value,
    query: &str,
    name: &str,
    detail: &str,
) {
    let (status, body) = answer(platform, request, vp_token).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_request");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.contains(&format!("{query}[0]: {name}")),
        "{description}"
    );
    let result = result_of(platform, &request.id).await;
    assert_eq!(result["status"], "received");
    assert_eq!(result["result"]["verified"], false);
    let found = check(&result, query, name);
    assert_ne!(found["outcome"], "passed");
    let said = found["detail"].as_str().unwrap_or_default();
    assert!(said.contains(detail), "{name}: {said}");
    assert!(
        result["result"]["credentials"][query][0]["claims"].is_null(),
        "nothing accepted, nothing shown"
    );
}

#[tokio::test]
async fn sd_jwt_presentations_are_refused_for_audience_holder_disclosures_and_replay() {
    let platform = Platform::start().await.unwrap();
    let holder = Holder::new(42);
    let sd_jwts = collect_sd_jwt_vcs(&platform, "P0001", &holder).await;
    let identity = sd_of_type(&sd_jwts, "care-identity");
    let asked = [
        "careIdentityUuid",
        "givenName",
        "familyName",
        "identityProofing",
    ];

    // Wrong audience: the verifier's URL, not its full client_id.
    let request = scan(&platform, &start(&platform, "right-to-work").await).await;
    let presented = present(
        identity,
        &paths(&asked),
        &holder.identity,
        &platform.verifier_url,
        &request.nonce,
        Utc::now(),
    )
    .unwrap();
    refused(
        &platform,
        &request,
        &json!({"identity_sd_jwt": [presented]}),
        "identity_sd_jwt",
        "audience",
        "aud is not this verifier",
    )
    .await;

    // Key binding by another holder's key (the credential is bound to ours).
    let request = scan(&platform, &start(&platform, "right-to-work").await).await;
    let mallory = Holder::new(66);
    let mallorys = collect_sd_jwt_vcs(&platform, "P0002", &mallory).await;
    let honest = sd_presentation(&holder, identity, &asked, &request);
    let (head, _kb) = honest.rsplit_once('~').unwrap();
    let forged_kb = sd_presentation(
        &mallory,
        sd_of_type(&mallorys, "care-identity"),
        &asked,
        &request,
    );
    let (_, mallory_kb) = forged_kb.rsplit_once('~').unwrap();
    let swapped = format!("{head}~{mallory_kb}");
    refused(
        &platform,
        &request,
        &json!({"identity_sd_jwt": [swapped]}),
        "identity_sd_jwt",
        "holderBinding",
        "not signed by the credential's holder key",
    )
    .await;

    // A disclosure that is not in the credential (from another credential of the same type).
    let request = scan(&platform, &start(&platform, "right-to-work").await).await;
    let other = sd_presentation(
        &mallory,
        sd_of_type(&mallorys, "care-identity"),
        &["middleNames"],
        &request,
    );
    let foreign = other.split('~').nth(1).unwrap();
    let (issuer_jwt, rest) = identity.split_once('~').unwrap();
    let smuggled = format!("{issuer_jwt}~{foreign}~{rest}");
    let presented = present(
        &smuggled,
        &[],
        &holder.identity,
        &request.client_id,
        &request.nonce,
        Utc::now(),
    );
    // Our own holder library will not even build it; a hostile wallet does, by hand.
    assert!(presented.is_err());
    let without_kb = format!(
        "{}~",
        sd_presentation(&holder, identity, &asked, &request)
            .rsplit_once('~')
            .unwrap()
            .0
    );
    let with_foreign = format!("{without_kb}{foreign}~");
    let kb = kb_jwt(&holder, &with_foreign, &request);
    refused(
        &platform,
        &request,
        &json!({"identity_sd_jwt": [format!("{with_foreign}{kb}")]}),
        "identity_sd_jwt",
        "disclosures",
        "not referenced",
    )
    .await;

    // A tampered disclosure: givenName changed, re-encoded, and key-bound afresh.
    let request = scan(&platform, &start(&platform, "right-to-work").await).await;
    let honest = sd_presentation(&holder, identity, &asked, &request);
    let parts: Vec<&str> = honest.split('~').collect();
    let tampered: Vec<String> = parts[..parts.len() - 1]
        .iter()
        .map(|part| {
            let Ok(bytes) = URL_SAFE_NO_PAD.decode(part) else {
                return (*part).to_owned();
            };
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Array(mut d)) if d.len() == 3 && d[1] == "givenName" => {
                    d[2] = "Mallory".into();
                    URL_SAFE_NO_PAD.encode(Value::Array(d).to_string())
                }
                _ => (*part).to_owned(),
            }
        })
        .collect();
    let without_kb = format!("{}~", tampered.join("~"));
    assert_ne!(
        without_kb,
        format!("{}~", parts[..parts.len() - 1].join("~"))
    );
    let kb = kb_jwt(&holder, &without_kb, &request);
    refused(
        &platform,
        &request,
        &json!({"identity_sd_jwt": [format!("{without_kb}{kb}")]}),
        "identity_sd_jwt",
        "disclosures",
        "not referenced",
    )
    .await;

    // More than was asked: middleNames disclosed too.
    let request = scan(&platform, &start(&platform, "right-to-work").await).await;
    let mut more = asked.to_vec();
    more.push("middleNames");
    let presented = sd_presentation(&holder, identity, &more, &request);
    refused(
        &platform,
        &request,
        &json!({"identity_sd_jwt": [presented]}),
        "identity_sd_jwt",
        "dcql",
        "not requested: middleNames",
    )
    .await;

    // A presentation made for one request, replayed to another: its nonce is not this one's.
    let first = scan(&platform, &start(&platform, "right-to-work").await).await;
    let second = scan(&platform, &start(&platform, "right-to-work").await).await;
    let for_first = sd_presentation(&holder, identity, &asked, &first);
    let (status, _) = answer(
        &platform,
        &first,
        &json!({"identity_sd_jwt": [for_first.clone()]}),
    )
    .await;
    assert_eq!(status, 200);
    refused(
        &platform,
        &second,
        &json!({"identity_sd_jwt": [for_first]}),
        "identity_sd_jwt",
        "nonce",
        "nonce does not match",
    )
    .await;
}

#[tokio::test]
async fn sd_jwt_vcs_suspended_or_revoked_by_esr_events_are_refused_through_token_status_lists() {
    let platform = Platform::start().await.unwrap();
    let holder = Holder::new(44);
    let sd_jwts = collect_sd_jwt_vcs(&platform, "P0001", &holder).await;
    let identity = sd_of_type(&sd_jwts, "care-identity");
    let status = json_part(identity.split('.').nth(1).unwrap())["status"].clone();
    let uri = status["status_list"]["uri"].as_str().unwrap();
    assert!(
        uri.starts_with(&format!("{}/token-status-lists/", platform.registry_url)),
        "{status}"
    );
    assert!(status["status_list"]["idx"].is_u64(), "{status}");
    let asked = [
        "careIdentityUuid",
        "givenName",
        "familyName",
        "identityProofing",
    ];
    let presents = |request: &Request| json!({"identity_sd_jwt": [sd_presentation(&holder, identity, &asked, request)]});

    let request = scan(&platform, &start(&platform, "right-to-work").await).await;
    let (code, body) = answer(&platform, &request, &presents(&request)).await;
    assert_eq!(code, 200, "valid before any event: {body}");
    assert_eq!(
        check(
            &result_of(&platform, &request.id).await,
            "identity_sd_jwt",
            "status"
        )["outcome"],
        "passed"
    );

    // Suspended by ESR: the issuer flips the Token Status List entry at the registry, whose
    // change feed makes the verifier fetch the list again.
    let reply = platform.esr_event_for_p0001(
        "EVT-TSL-1",
        "SUSPENSION",
        3,
        json!({"reason_category": "investigation", "from": Utc::now().date_naive().to_string()}),
    ).await.unwrap();
    assert!(
        !reply["effects"].to_string().contains("no_status_entry"),
        "{reply:#}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let request = scan(&platform, &start(&platform, "right-to-work").await).await;
    refused(
        &platform,
        &request,
        &presents(&request),
        "identity_sd_jwt",
        "status",
        "suspended",
    )
    .await;

    // The suspension lifted: presented again, accepted again.
    platform
        .esr_event_for_p0001(
            "EVT-TSL-2",
            "SUSPENSION_LIFTED",
            2,
            json!({"to": Utc::now().date_naive().to_string()}),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let request = scan(&platform, &start(&platform, "right-to-work").await).await;
    let (code, body) = answer(&platform, &request, &presents(&request)).await;
    assert_eq!(code, 200, "reinstated: {body}");

    // A leaver: revoked, for good.
    let reply = platform.esr_event_for_p0001(
        "EVT-TSL-3",
        "LEAVER",
        1,
        json!({"leaving_date": Utc::now().date_naive().to_string(), "reason": "resignation", "staying_in_nhs": false}),
    ).await.unwrap();
    assert!(
        !reply["credentials"]["revoked"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{reply:#}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let request = scan(&platform, &start(&platform, "right-to-work").await).await;
    refused(
        &platform,
        &request,
        &presents(&request),
        "identity_sd_jwt",
        "status",
        "revoked",
    )
    .await;

    // The list itself is a signed statuslist+jwt whose entry says 1 (revoked).
    let response = platform.http.get(uri).send().await.unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "application/statuslist+jwt"
    );
    let token = response.text().await.unwrap();
    let header = json_part(token.split('.').next().unwrap());
    assert_eq!(header["typ"], "statuslist+jwt");
    let payload = json_part(token.split('.').nth(1).unwrap());
    assert_eq!(payload["sub"], uri);
    assert_eq!(payload["status_list"]["bits"], 2);
    assert!(payload["exp"].as_i64().unwrap() > Utc::now().timestamp());
}

/// A KB-JWT over exactly `presented_without_kb`, as a hostile wallet would sign it.
fn kb_jwt(holder: &Holder, presented_without_kb: &str, request: &Request) -> String {
    use sha2::Digest;
    let header = json!({"alg": "EdDSA", "typ": "kb+jwt"});
    let claims = json!({
        "iat": Utc::now().timestamp(), "aud": request.client_id, "nonce": request.nonce,
        "sd_hash": URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(presented_without_kb.as_bytes())),
    });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(holder.key.sign(input.as_bytes()).to_bytes())
    )
}

#[tokio::test]
async fn ldp_presentations_are_refused_for_domain_holder_revocation_and_untrusted_issuers() {
    let platform = Platform::start().await.unwrap();
    let holder = Holder::new(43);
    let ldp = platform
        .issue_person("P0001", Some(&holder.did()), "eddsa-jcs-2022")
        .await
        .unwrap();
    let identity = of_type(&ldp, "CareIdentityCredential").clone();

    // Wrong domain: the verifier's URL rather than its client_id.
    let request = scan(&platform, &start(&platform, "right-to-work").await).await;
    let vp = ldp_presentation(
        &holder.identity,
        &identity,
        &request.nonce,
        &platform.verifier_url,
    )
    .await;
    refused(
        &platform,
        &request,
        &json!({"identity_ldp": [vp]}),
        "identity_ldp",
        "audience",
        "",
    )
    .await;

    // Signed by another holder's key: the presentation names that holder, who is not the
    // credential's subject.
    let request = scan(&platform, &start(&platform, "right-to-work").await).await;
    let mallory = Holder::new(67);
    let vp = ldp_presentation(
        &mallory.identity,
        &identity,
        &request.nonce,
        &request.client_id,
    )
    .await;
    refused(
        &platform,
        &request,
        &json!({"identity_ldp": [vp]}),
        "identity_ldp",
        "holderBinding",
        "not the subject",
    )
    .await;

    // An issuer nobody registered at the trust registry (signing a copy of the credential).
    let request = scan(&platform, &start(&platform, "right-to-work").await).await;
    let outsider = SigningIdentity::did_key(SigningKey::from_bytes(&[99; 32]));
    let mut copy = identity.clone();
    copy.as_object_mut().unwrap().remove("proof");
    copy["issuer"] = json!({"id": outsider.did(), "name": "Not A Trust"});
    let forged = sign_credential(
        &copy,
        &outsider,
        Cryptosuite::EddsaJcs2022,
        &ProofRequest::default(),
    )
    .await
    .unwrap();
    let vp = ldp_presentation(
        &holder.identity,
        &forged,
        &request.nonce,
        &request.client_id,
    )
    .await;
    refused(
        &platform,
        &request,
        &json!({"identity_ldp": [vp]}),
        "identity_ldp",
        "issuerTrusted",
        "not in the trust registry",
    )
    .await;

    // Revoked at the registry by the operator: the change feed tells the verifier at once.
    let response = platform
        .operator_changes_status(identity["id"].as_str().unwrap(), "revoke", "dismissed")
        .await
        .unwrap();
    assert!(response.status().is_success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let request = scan(&platform, &start(&platform, "right-to-work").await).await;
    let vp = ldp_presentation(
        &holder.identity,
        &identity,
        &request.nonce,
        &request.client_id,
    )
    .await;
    refused(
        &platform,
        &request,
        &json!({"identity_ldp": [vp]}),
        "identity_ldp",
        "status",
        "revoked",
    )
    .await;
}

#[tokio::test]
async fn protocol_refusals_change_nothing() {
    let platform =
        Platform::start_with(Vec::new(), |settings| settings.request_lifetime_seconds = 2)
            .await
            .unwrap();
    let holder = Holder::new(44);
    let ldp = platform
        .issue_person("P0001", Some(&holder.did()), "eddsa-jcs-2022")
        .await
        .unwrap();
    let identity = of_type(&ldp, "CareIdentityCredential").clone();
    let verifier = &platform.verifier_url;

    // Officers only: 401 without the token or with another, problem JSON either way.
    for token in [None, Some(TOKEN)] {
        let mut call = platform
            .http
            .post(format!("{verifier}/presentation-requests"))
            .json(&json!({"template": "new-starter"}));
        if let Some(token) = token {
            call = call.bearer_auth(token);
        }
        let response = call.send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
    let anonymous = platform
        .http
        .get(format!("{verifier}/presentation-requests/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    // A template that does not exist, and a body that is not the request.
    let response = officer_post(&platform, &json!({"template": "everything"})).await;
    assert_eq!(response.status(), 400);
    let problem: Value = response.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("new-starter"),
        "{problem}"
    );
    assert_eq!(
        officer_post(&platform, &json!({"template": "new-starter", "extra": 1}))
            .await
            .status(),
        400
    );

    // Unknown request ids, for the wallet and the officer.
    let (status, body) = post_form(
        &platform,
        &format!("{verifier}/responses/nope"),
        &[("vp_token", "{}"), ("state", "x")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("invalid_request"))
    );
    let unknown = platform
        .http
        .get(format!("{verifier}/request-objects/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let unknown = platform
        .http
        .get(format!("{verifier}/presentation-requests/nope"))
        .bearer_auth(OFFICER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    // Bad answers to a live request: each refused, and the request still waits.
    let request = scan(&platform, &start(&platform, "right-to-work").await).await;
    let vp = ldp_presentation(
        &holder.identity,
        &identity,
        &request.nonce,
        &request.client_id,
    )
    .await;
    let token = json!({"identity_ldp": [vp]}).to_string();
    let twice = json!({"identity_ldp": [vp_of(&token), vp_of(&token)]}).to_string();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("vp_token", &token), ("state", "not-the-state")],
            "state does not match",
        ),
        (vec![("vp_token", &token)], "state does not match"),
        (
            vec![("vp_token", "[1]"), ("state", &request.state)],
            "JSON object",
        ),
        (
            vec![
                ("vp_token", r#"{"role_ldp": [{}]}"#),
                ("state", &request.state),
            ],
            "not asked for",
        ),
        (
            vec![("vp_token", &twice), ("state", &request.state)],
            "exactly one",
        ),
        (
            vec![
                ("vp_token", &token),
                ("error", "access_denied"),
                ("state", &request.state),
            ],
            "not both",
        ),
    ];
    for (form, expected) in cases {
        let (status, body) = post_form(&platform, &request.response_uri, &form).await;
        assert_eq!(status, 400, "{form:?}");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains(expected),
            "{form:?}: {body}"
        );
    }
    let not_a_form = platform
        .http
        .post(&request.response_uri)
        .json(&json!({"vp_token": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_form.status(), 400);
    assert_eq!(result_of(&platform, &request.id).await["status"], "pending");
    // ...and the right answer still succeeds.
    let (status, body) = post_form(
        &platform,
        &request.response_uri,
        &[("vp_token", &token), ("state", &request.state)],
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // The wallet may decline: recorded for the officer, never verified.
    let request = scan(&platform, &start(&platform, "right-to-work").await).await;
    let (status, body) = post_form(
        &platform,
        &request.response_uri,
        &[
            ("error", "access_denied"),
            ("error_description", "the holder said no"),
            ("state", &request.state),
        ],
    )
    .await;
    assert_eq!((status, body), (200, json!({})));
    let result = result_of(&platform, &request.id).await;
    assert_eq!(result["result"]["verified"], false);
    assert_eq!(result["result"]["wallet_error"]["error"], "access_denied");

    // An expired request: not served, not answered, and the officer sees "expired".
    let created = start(&platform, "right-to-work").await;
    let request = scan(&platform, &created).await;
    let vp = ldp_presentation(
        &holder.identity,
        &identity,
        &request.nonce,
        &request.client_id,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let gone = platform
        .http
        .get(created["request_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    let (status, body) = answer(&platform, &request, &json!({"identity_ldp": [vp]})).await;
    assert_eq!(status, 400);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
    assert_eq!(result_of(&platform, &request.id).await["status"], "expired");
}

fn vp_of(token: &str) -> Value {
    serde_json::from_str::<Value>(token).unwrap()["identity_ldp"][0].clone()
}
