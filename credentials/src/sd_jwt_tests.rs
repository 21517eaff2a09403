//! SD-JWT VC: the RFC 9901 vector, a round trip per catalogue type, partial disclosure,
//! and one test per rejection of RFC 9901 §7.1/§7.3 and SD-JWT VC.

use super::*;
use crate::catalogue::{CredentialSubject, IssuerIdentity};
use chrono::TimeZone as _;

const ISSUER_DID: &str = "did:web:127.0.0.1%3A8401";
const ISSUER_URL: &str = "https://127.0.0.1:8401";
const AUD: &str = "x509_san_dns:verifier.example.nhs.uk";
const NONCE: &str = "n-0S6_WzA2Mj";

fn issuer() -> SigningIdentity {
    let key = ed25519_dalek::SigningKey::from_bytes(&[1u8; 32]);
    SigningIdentity::new(key, format!("{ISSUER_DID}#key-1"))
}

fn holder() -> SigningIdentity {
    SigningIdentity::did_key(ed25519_dalek::SigningKey::from_bytes(&[2u8; 32]))
}

fn mallory() -> SigningIdentity {
    SigningIdentity::did_key(ed25519_dalek::SigningKey::from_bytes(&[3u8; 32]))
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

fn example_json(kind: CredentialKind) -> Value {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("assets/schema-examples/{}.json", kind.slug()));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn unsigned(kind: CredentialKind) -> UnsignedCredential {
    let example = example_json(kind);
    let subject = CredentialSubject::from_json(kind, &example["credentialSubject"]).unwrap();
    UnsignedCredential::new(
        IssuerIdentity {
            id: ISSUER_DID.into(),
            name: "Guy's and St Thomas' NHS Foundation Trust".into(),
        },
        Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap(),
        subject,
    )
    .bound_to(Some(holder().did().to_owned()))
    .with_valid_until(Some(Utc.with_ymd_and_hms(2027, 11, 24, 9, 0, 0).unwrap()))
}

fn holder_jwk() -> Jwk {
    Jwk::ed25519(&holder().public_key())
}

fn issue(kind: CredentialKind) -> String {
    issue_sd_jwt_vc_at(
        &unsigned(kind),
        &issuer(),
        Some(&holder_jwk()),
        None,
        now() - Duration::hours(1),
    )
    .unwrap()
}

fn keys() -> IssuerKeys {
    let mut keys = IssuerKeys::new();
    keys.add_metadata(ISSUER_URL, &jwt_vc_issuer_metadata(&issuer()).unwrap())
        .unwrap();
    keys
}

fn path(json: Value) -> ClaimPath {
    claim_path(&json).unwrap()
}

fn present_all(sd_jwt: &str) -> String {
    let everything: Vec<ClaimPath> = disclosable_claims(sd_jwt)
        .unwrap()
        .into_iter()
        .map(|c| c.path)
        .collect();
    present(sd_jwt, &everything, &holder(), AUD, NONCE, now()).unwrap()
}

fn verify(presented: &str) -> SdJwtVcVerdict {
    verify_sd_jwt_vc(
        presented,
        &keys(),
        &SdJwtExpectations::presentation(AUD, NONCE, now()),
    )
}

#[track_caller]
fn assert_fails(verdict: &SdJwtVcVerdict, check: CheckName, reason: &str) {
    assert!(!verdict.verified(), "{verdict:?}");
    assert!(verdict.claims().is_none());
    match verdict.verdict.outcome_of(check) {
        Some(Outcome::Failed(why)) => assert!(why.contains(reason), "{check:?}: {why}"),
        other => panic!("{check:?} should have failed with {reason:?}: {other:?} in {verdict:?}"),
    }
}

/// Re-signs an issuer JWT with a payload and header of the test's choosing.
fn issuer_jwt(header: Value, payload: Value) -> String {
    sign_jws(&header, &payload, &issuer()).unwrap()
}

fn standard_header() -> Value {
    json!({ "alg": "EdDSA", "typ": SD_JWT_VC_TYP, "kid": format!("{ISSUER_DID}#key-1") })
}

fn standard_payload(sd: Vec<String>) -> Value {
    json!({
        "iss": ISSUER_URL,
        "iat": now().timestamp() - 3600,
        "vct": vct(CredentialKind::CareIdentity),
        "cnf": { "jwk": holder_jwk().to_json() },
        "_sd_alg": "sha-256",
        "_sd": sd,
    })
}

fn encode_disclosure(array: Value) -> (String, String) {
    let encoded = URL_SAFE_NO_PAD.encode(serde_json::to_string(&array).unwrap());
    let digest = disclosure_digest(&encoded);
    (encoded, digest)
}

/// `<jwt>~<d>~…~<KB>` with a correct KB-JWT by the holder over exactly these parts.
fn bound(jwt: &str, disclosures: &[&str]) -> String {
    let mut presented = format!("{jwt}~");
    for d in disclosures {
        presented.push_str(d);
        presented.push('~');
    }
    let kb = key_binding_jwt(&presented, &holder(), AUD, NONCE, now()).unwrap();
    presented + &kb
}

fn without_kb(presented: &str) -> &str {
    &presented[..presented.rfind('~').unwrap() + 1]
}

// --- digests and encoding --------------------------------------------------------------

#[test]
fn the_rfc_9901_digest_vector() {
    assert_eq!(
        disclosure_digest(
            "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0"
        ),
        "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0"
    );
    // The digest is over the string as sent: the same JSON, encoded otherwise, differs.
    let d =
        parse_disclosure("WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0")
            .unwrap();
    assert_eq!(d.name.as_deref(), Some("family_name"));
    assert_eq!(d.value, json!("Möbius"));
    let (_, other) = encode_disclosure(json!(["_26bc4LT-ac6q2KI6cBW5es", "family_name", "Möbius"]));
    assert_ne!(other, "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0");
}

#[test]
fn claims_path_pointers_read_and_write_as_openid4vp_json() {
    let p = path(json!(["checks", null, "standard"]));
    assert_eq!(
        p,
        vec![
            PathElement::Key("checks".into()),
            PathElement::AllElements,
            PathElement::Key("standard".into())
        ]
    );
    assert_eq!(
        serde_json::to_value(&p).unwrap(),
        json!(["checks", null, "standard"])
    );
    assert_eq!(path(json!(["checks", 2]))[1], PathElement::Index(2));
    assert!(claim_path(&json!([])).is_err());
    assert!(claim_path(&json!(["a", -1])).is_err());
    assert!(claim_path(&json!("a")).is_err());
}

#[test]
fn a_jwk_with_a_private_key_or_another_curve_is_refused() {
    let mut jwk = holder_jwk().to_json();
    assert!(Jwk::from_json(&jwk).is_ok());
    jwk["d"] = json!("AAAA");
    assert!(Jwk::from_json(&jwk).is_err());
    let p256 = json!({"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"});
    assert!(Jwk::from_json(&p256).is_err());
}

#[test]
fn iss_is_the_https_url_of_the_did_web_and_metadata_lives_under_it() {
    assert_eq!(issuer_url_of_did_web(ISSUER_DID).unwrap(), ISSUER_URL);
    assert_eq!(
        issuer_url_of_did_web("did:web:trust.example.nhs.uk:issuers:rj1").unwrap(),
        "https://trust.example.nhs.uk/issuers/rj1"
    );
    assert_eq!(
        jwt_vc_issuer_metadata_path("https://example.com/tenant/1234").unwrap(),
        "/.well-known/jwt-vc-issuer/tenant/1234"
    );
    assert_eq!(
        jwt_vc_issuer_metadata_path("https://example.com/").unwrap(),
        "/.well-known/jwt-vc-issuer"
    );
    let metadata = jwt_vc_issuer_metadata(&issuer()).unwrap();
    assert_eq!(metadata["issuer"], ISSUER_URL);
    assert_eq!(
        metadata["jwks"]["keys"][0]["kid"],
        format!("{ISSUER_DID}#key-1")
    );
    assert!(metadata["jwks"]["keys"][0].get("d").is_none());
    // Metadata fetched for one issuer that names another is not believed.
    assert!(IssuerKeys::new()
        .add_metadata("https://elsewhere.example", &metadata)
        .is_err());
}

// --- issuing ---------------------------------------------------------------------------

#[test]
fn the_issuer_jwt_has_the_sd_jwt_vc_header_and_plain_claims_and_hides_the_subject() {
    let sd_jwt = issue(CredentialKind::CareIdentity);
    assert!(sd_jwt.ends_with('~'));
    let held = parse_held(&sd_jwt).unwrap();
    assert_eq!(held.jws.header["typ"], "dc+sd-jwt");
    assert_eq!(held.jws.header["alg"], "EdDSA");
    assert_eq!(held.jws.header["kid"], format!("{ISSUER_DID}#key-1"));
    let payload = &held.jws.payload;
    assert_eq!(payload["iss"], ISSUER_URL);
    assert_eq!(
        payload["vct"],
        "https://staff-passport.nhs.uk/vct/care-identity/v1"
    );
    assert_eq!(payload["nbf"], 1_795_510_800);
    assert_eq!(payload["exp"], 1_827_046_800);
    assert_eq!(payload["iat"], now().timestamp() - 3600);
    assert_eq!(payload["cnf"]["jwk"], holder_jwk().to_json());
    assert_eq!(payload["_sd_alg"], "sha-256");
    // Six subject claims (with sub and middleNames) and two decoys.
    let subject_claims = held.disclosures.len();
    assert_eq!(payload["_sd"].as_array().unwrap().len(), subject_claims + 2);
    let plain = serde_json::to_string(payload).unwrap();
    for hidden in ["givenName", "familyName", "careIdentityUuid", "did:key"] {
        assert!(!plain.contains(hidden), "{hidden} is in the clear");
    }
    for disclosure in &held.disclosures {
        let raw: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&disclosure.encoded).unwrap()).unwrap();
        let salt = URL_SAFE_NO_PAD.decode(raw[0].as_str().unwrap()).unwrap();
        assert!(salt.len() >= 16, "salts carry at least 128 bits");
    }
}

#[test]
fn salts_and_digest_order_differ_between_two_issuances() {
    let a = parse_held(&issue(CredentialKind::Employment))
        .unwrap()
        .jws
        .payload["_sd"]
        .clone();
    let b = parse_held(&issue(CredentialKind::Employment))
        .unwrap()
        .jws
        .payload["_sd"]
        .clone();
    assert_ne!(a, b);
}

#[test]
fn every_subject_claim_of_every_type_has_a_disclosure_policy() {
    for kind in CredentialKind::ALL {
        let subject = unsigned(kind).subject.to_json().unwrap();
        for claim in subject.as_object().unwrap().keys() {
            let claim = if claim == "id" { "sub" } else { claim.as_str() };
            assert!(policy_of(kind, claim).is_some(), "{kind:?}.{claim}");
        }
        for (claim, _) in disclosure_policy(kind) {
            assert!(!NEVER_DISCLOSABLE.contains(claim));
        }
    }
}

// --- round trips -------------------------------------------------------------------------

#[test]
fn every_catalogue_type_round_trips_with_every_claim_disclosed() {
    for kind in CredentialKind::ALL {
        let sd_jwt = issue(kind);
        // The holder checks what it received: no key binding.
        let received = verify_sd_jwt_vc(
            &sd_jwt,
            &keys(),
            &SdJwtExpectations::issued_credential(now()),
        );
        assert!(received.verified(), "{kind:?}: {received:?}");

        let verdict = verify(&present_all(&sd_jwt));
        assert!(verdict.verified(), "{kind:?}: {verdict:?}");
        assert_eq!(verdict.kind, Some(kind));
        let claims = verdict.claims().unwrap();
        let mut expected = unsigned(kind).subject.to_json().unwrap();
        let expected = expected.as_object_mut().unwrap();
        let sub = expected.remove("id").unwrap();
        assert_eq!(claims["sub"], sub, "{kind:?}");
        for (name, value) in expected.iter() {
            assert_eq!(&claims[name], value, "{kind:?}.{name}");
        }
        assert_eq!(claims["vct"], vct(kind));
        assert!(claims.get("_sd").is_none() && claims.get("_sd_alg").is_none());
    }
}

#[test]
fn a_presentation_carries_only_what_the_holder_chose() {
    let sd_jwt = issue(CredentialKind::CareIdentity);
    let presented = present(
        &sd_jwt,
        &[path(json!(["givenName"]))],
        &holder(),
        AUD,
        NONCE,
        now(),
    )
    .unwrap();
    // jwt~one disclosure~kb
    assert_eq!(presented.matches('~').count(), 2);
    let verdict = verify(&presented);
    assert!(verdict.verified(), "{verdict:?}");
    let claims = verdict.claims().unwrap();
    assert_eq!(
        claims["givenName"],
        example_json(CredentialKind::CareIdentity)["credentialSubject"]["givenName"]
    );
    for hidden in ["familyName", "careIdentityUuid", "sub", "identityProofing"] {
        assert!(claims.get(hidden).is_none(), "{hidden} was not chosen");
    }
}

#[test]
fn one_employment_check_can_be_shown_without_the_others() {
    let sd_jwt = issue(CredentialKind::EmploymentChecks);
    let all_checks = unsigned(CredentialKind::EmploymentChecks)
        .subject
        .to_json()
        .unwrap()["checks"]
        .clone();
    let presented = present(
        &sd_jwt,
        &[path(json!(["checks", 4]))],
        &holder(),
        AUD,
        NONCE,
        now(),
    )
    .unwrap();
    let verdict = verify(&presented);
    assert!(verdict.verified(), "{verdict:?}");
    let shown = verdict.claims().unwrap()["checks"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(shown, vec![all_checks[4].clone()]);

    // A path through every element with a key below it reveals every check.
    let presented = present(
        &sd_jwt,
        &[path(json!(["checks", null, "standard"]))],
        &holder(),
        AUD,
        NONCE,
        now(),
    )
    .unwrap();
    let verdict = verify(&presented);
    assert_eq!(verdict.claims().unwrap()["checks"], all_checks);
}

#[test]
fn the_consent_list_names_each_claim_and_each_element() {
    let claims = disclosable_claims(&issue(CredentialKind::Role)).unwrap();
    let paths: Vec<Value> = claims
        .iter()
        .map(|c| serde_json::to_value(&c.path).unwrap())
        .collect();
    assert!(paths.contains(&json!(["jobRole"])));
    assert!(paths.contains(&json!(["activities"])));
    assert!(paths.contains(&json!(["activities", 0])));
    let role = unsigned(CredentialKind::Role).subject.to_json().unwrap();
    let activities = claims
        .iter()
        .find(|c| c.path == path(json!(["activities"])))
        .unwrap();
    assert_eq!(activities.value, role["activities"]);
    // Debug shows paths, never values.
    assert!(!format!("{claims:?}").contains(role["jobRole"]["name"].as_str().unwrap()));
}

#[test]
fn the_holder_refuses_paths_it_does_not_hold_and_keys_it_is_not_bound_to() {
    let sd_jwt = issue(CredentialKind::CareIdentity);
    let missing = present(
        &sd_jwt,
        &[path(json!(["nhsNumber"]))],
        &holder(),
        AUD,
        NONCE,
        now(),
    );
    assert!(matches!(missing, Err(Error::SdJwt(why)) if why.contains("not in the credential")));
    let other = present(
        &sd_jwt,
        &[path(json!(["givenName"]))],
        &mallory(),
        AUD,
        NONCE,
        now(),
    );
    assert!(matches!(other, Err(Error::SdJwt(why)) if why.contains("another key")));
    // An SD-JWT+KB is a presentation, not something to present again (RFC 9901 §7.2).
    let presented = present_all(&sd_jwt);
    assert!(present(&presented, &[], &holder(), AUD, NONCE, now()).is_err());
    assert!(disclosable_claims(&presented).is_err());
}

// --- rejections: the credential ------------------------------------------------------------

#[test]
fn a_tampered_disclosure_is_refused() {
    let sd_jwt = issue(CredentialKind::CareIdentity);
    let held = parse_held(&sd_jwt).unwrap();
    let given = held
        .disclosures
        .iter()
        .find(|d| d.name.as_deref() == Some("givenName"))
        .unwrap();
    let raw: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&given.encoded).unwrap()).unwrap();
    let (forged, _) = encode_disclosure(json!([raw[0], "givenName", "Mallory"]));
    let verdict = verify(&bound(held.jwt, &[&forged]));
    assert_fails(&verdict, CheckName::Disclosures, "not referenced");
}

#[test]
fn a_disclosure_from_another_credential_is_refused() {
    let mine = issue(CredentialKind::CareIdentity);
    let other = issue(CredentialKind::CareIdentity);
    let foreign = parse_held(&other).unwrap().disclosures[0].encoded.clone();
    let verdict = verify(&bound(parse_held(&mine).unwrap().jwt, &[&foreign]));
    assert_fails(&verdict, CheckName::Disclosures, "not referenced");
}

#[test]
fn the_same_disclosure_twice_is_refused() {
    let sd_jwt = issue(CredentialKind::CareIdentity);
    let held = parse_held(&sd_jwt).unwrap();
    let d = held.disclosures[0].encoded.as_str();
    assert_fails(
        &verify(&bound(held.jwt, &[d, d])),
        CheckName::Disclosures,
        "twice",
    );
}

#[test]
fn a_digest_that_appears_twice_is_refused() {
    let (d, digest) = encode_disclosure(json!(["c2FsdHNhbHRzYWx0c2FsdA", "givenName", "Aisha"]));
    let jwt = issuer_jwt(
        standard_header(),
        standard_payload(vec![digest.clone(), digest]),
    );
    assert_fails(
        &verify(&bound(&jwt, &[&d])),
        CheckName::Disclosures,
        "more than once",
    );
    // Also when the second one is undisclosed and sits deeper.
    let mut payload = standard_payload(vec![disclosure_digest("x")]);
    payload["nested"] = json!({ "_sd": [disclosure_digest("x")] });
    let jwt = issuer_jwt(standard_header(), payload);
    assert_fails(
        &verify(&bound(&jwt, &[])),
        CheckName::Disclosures,
        "more than once",
    );
}

#[test]
fn a_disclosure_of_the_wrong_shape_for_its_place_is_refused() {
    // An array-element disclosure referenced from `_sd`.
    let (element, digest) = encode_disclosure(json!(["c2FsdHNhbHRzYWx0c2FsdA", "Aisha"]));
    let jwt = issuer_jwt(standard_header(), standard_payload(vec![digest]));
    assert_fails(
        &verify(&bound(&jwt, &[&element])),
        CheckName::Disclosures,
        "array-element",
    );
    // A property disclosure referenced from an array.
    let (property, digest) = encode_disclosure(json!(["c2FsdHNhbHRzYWx0c2FsdA", "x", "Aisha"]));
    let mut payload = standard_payload(vec![]);
    payload["list"] = json!([{ "...": digest }]);
    let jwt = issuer_jwt(standard_header(), payload);
    assert_fails(
        &verify(&bound(&jwt, &[&property])),
        CheckName::Disclosures,
        "object-property",
    );
    // Four elements is no disclosure at all.
    let (four, digest) = encode_disclosure(json!(["c2FsdA", "a", "b", "c"]));
    let jwt = issuer_jwt(standard_header(), standard_payload(vec![digest]));
    assert_fails(
        &verify(&bound(&jwt, &[&four])),
        CheckName::Structure,
        "2 or 3 elements",
    );
}

#[test]
fn reserved_names_collisions_and_never_disclosable_claims_are_refused() {
    for (name, reason) in [
        ("_sd", "may not name"),
        ("...", "may not name"),
        ("exp", "never be selectively disclosed"),
        ("status", "never be selectively disclosed"),
        ("cnf", "never be selectively disclosed"),
        ("vct", "never be selectively disclosed"),
    ] {
        let (d, digest) = encode_disclosure(json!(["c2FsdHNhbHRzYWx0c2FsdA", name, "x"]));
        let jwt = issuer_jwt(standard_header(), standard_payload(vec![digest]));
        assert_fails(&verify(&bound(&jwt, &[&d])), CheckName::Disclosures, reason);
    }
    let (d, digest) = encode_disclosure(json!(["c2FsdHNhbHRzYWx0c2FsdA", "givenName", "Eve"]));
    let mut payload = standard_payload(vec![digest]);
    payload["givenName"] = json!("Aisha");
    let jwt = issuer_jwt(standard_header(), payload);
    assert_fails(
        &verify(&bound(&jwt, &[&d])),
        CheckName::Disclosures,
        "already exists",
    );
}

#[test]
fn a_wrong_typ_alg_none_or_no_trailing_tilde_is_refused() {
    let plain_jwt = issuer_jwt(
        json!({ "alg": "EdDSA", "typ": "JWT", "kid": format!("{ISSUER_DID}#key-1") }),
        standard_payload(vec![]),
    );
    assert_fails(
        &verify(&bound(&plain_jwt, &[])),
        CheckName::Structure,
        "typ dc+sd-jwt",
    );

    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"dc+sd-jwt"}"#);
    let payload = URL_SAFE_NO_PAD.encode(standard_payload(vec![]).to_string());
    let unsigned = format!("{none_header}.{payload}.");
    assert_fails(&verify(&bound(&unsigned, &[])), CheckName::Structure, "alg");

    let sd_jwt = issue(CredentialKind::CareIdentity);
    let jwt = parse_held(&sd_jwt).unwrap().jwt.to_owned();
    assert_fails(&verify(&jwt), CheckName::Structure, "no '~'");
    let verdict = verify_sd_jwt_vc(
        "",
        &keys(),
        &SdJwtExpectations::presentation(AUD, NONCE, now()),
    );
    assert_fails(&verdict, CheckName::Structure, "SD-JWT");
}

#[test]
fn the_legacy_vc_sd_jwt_typ_is_still_accepted() {
    let jwt = issuer_jwt(
        json!({ "alg": "EdDSA", "typ": "vc+sd-jwt", "kid": format!("{ISSUER_DID}#key-1") }),
        standard_payload(vec![]),
    );
    let verdict = verify(&bound(&jwt, &[]));
    assert!(verdict.verified(), "{verdict:?}");
}

#[test]
fn a_changed_issuer_payload_or_an_unknown_issuer_key_is_refused() {
    let sd_jwt = issue(CredentialKind::CareIdentity);
    let held = parse_held(&sd_jwt).unwrap();
    let mut payload = Value::Object(held.jws.payload.clone());
    payload["exp"] = json!(4_000_000_000_i64);
    let mut parts: Vec<&str> = held.jwt.split('.').collect();
    let forged_payload = URL_SAFE_NO_PAD.encode(payload.to_string());
    parts[1] = &forged_payload;
    let forged = parts.join(".");
    assert_fails(&verify(&bound(&forged, &[])), CheckName::Proof, "signature");

    let presented = present_all(&sd_jwt);
    let unknown = verify_sd_jwt_vc(
        &presented,
        &IssuerKeys::new(),
        &SdJwtExpectations::presentation(AUD, NONCE, now()),
    );
    assert!(
        !unknown.verified() && unknown.verdict.inconclusive(),
        "{unknown:?}"
    );

    let mut rotated = IssuerKeys::new();
    rotated.insert(
        ISSUER_URL,
        vec![Jwk::ed25519(&mallory().public_key()).with_kid("other")],
    );
    let verdict = verify_sd_jwt_vc(
        &presented,
        &rotated,
        &SdJwtExpectations::presentation(AUD, NONCE, now()),
    );
    assert_fails(&verdict, CheckName::KeyResolution, "no key with this kid");
}

#[test]
fn an_expired_or_not_yet_valid_credential_is_refused() {
    let presented = present_all(&issue(CredentialKind::Employment));
    let later = Utc.with_ymd_and_hms(2028, 1, 1, 0, 0, 0).unwrap();
    let kb_later = {
        let base = without_kb(&presented).to_owned();
        base.clone() + &key_binding_jwt(&base, &holder(), AUD, NONCE, later).unwrap()
    };
    let verdict = verify_sd_jwt_vc(
        &kb_later,
        &keys(),
        &SdJwtExpectations::presentation(AUD, NONCE, later),
    );
    assert_fails(&verdict, CheckName::ValidUntil, "expired");

    let earlier = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let kb_earlier = {
        let base = without_kb(&presented).to_owned();
        base.clone() + &key_binding_jwt(&base, &holder(), AUD, NONCE, earlier).unwrap()
    };
    let verdict = verify_sd_jwt_vc(
        &kb_earlier,
        &keys(),
        &SdJwtExpectations::presentation(AUD, NONCE, earlier),
    );
    assert_fails(&verdict, CheckName::ValidFrom, "not valid before");
}

// --- rejections: key binding ---------------------------------------------------------------

#[test]
fn a_wrong_audience_or_nonce_is_refused() {
    let presented = present_all(&issue(CredentialKind::CareIdentity));
    let elsewhere = verify_sd_jwt_vc(
        &presented,
        &keys(),
        &SdJwtExpectations::presentation("x509_san_dns:other.example", NONCE, now()),
    );
    assert_fails(&elsewhere, CheckName::Domain, "aud");
    // A replay: the verifier has since issued a new nonce.
    let replayed = verify_sd_jwt_vc(
        &presented,
        &keys(),
        &SdJwtExpectations::presentation(AUD, "a-fresh-nonce", now()),
    );
    assert_fails(&replayed, CheckName::Challenge, "nonce");
}

#[test]
fn a_key_binding_by_another_holder_is_refused() {
    let presented = present_all(&issue(CredentialKind::CareIdentity));
    let base = without_kb(&presented).to_owned();
    let forged = base.clone() + &key_binding_jwt(&base, &mallory(), AUD, NONCE, now()).unwrap();
    assert_fails(
        &verify(&forged),
        CheckName::HolderBinding,
        "not signed by the credential's holder",
    );
}

#[test]
fn a_key_binding_over_other_disclosures_is_refused() {
    let sd_jwt = issue(CredentialKind::CareIdentity);
    let one = present(
        &sd_jwt,
        &[path(json!(["givenName"]))],
        &holder(),
        AUD,
        NONCE,
        now(),
    )
    .unwrap();
    let kb = &one[one.rfind('~').unwrap() + 1..];
    // The KB-JWT for one disclosure, sent with all of them: sd_hash does not match.
    let all = present_all(&sd_jwt);
    let swapped = without_kb(&all).to_owned() + kb;
    assert_fails(&verify(&swapped), CheckName::HolderBinding, "sd_hash");
    // And with a disclosure dropped after signing.
    let dropped = format!("{}~{kb}", parse_held(&sd_jwt).unwrap().jwt);
    assert_fails(&verify(&dropped), CheckName::HolderBinding, "sd_hash");
}

#[test]
fn a_missing_stale_or_mistyped_key_binding_is_refused() {
    let sd_jwt = issue(CredentialKind::CareIdentity);
    assert_fails(&verify(&sd_jwt), CheckName::HolderBinding, "requires one");

    let presented = present_all(&sd_jwt);
    let base = without_kb(&presented).to_owned();
    let stale = base.clone()
        + &key_binding_jwt(&base, &holder(), AUD, NONCE, now() - Duration::minutes(10)).unwrap();
    assert_fails(&verify(&stale), CheckName::HolderBinding, "too old");
    let future = base.clone()
        + &key_binding_jwt(&base, &holder(), AUD, NONCE, now() + Duration::minutes(10)).unwrap();
    assert_fails(&verify(&future), CheckName::HolderBinding, "future");

    let payload =
        json!({ "iat": now().timestamp(), "aud": AUD, "nonce": NONCE, "sd_hash": sd_hash(&base) });
    let as_jwt = sign_jws(
        &json!({ "alg": "EdDSA", "typ": "JWT" }),
        &payload,
        &holder(),
    )
    .unwrap();
    assert_fails(
        &verify(&(base.clone() + &as_jwt)),
        CheckName::HolderBinding,
        "typ kb+jwt",
    );

    let list_aud = json!({ "iat": now().timestamp(), "aud": [AUD], "nonce": NONCE, "sd_hash": sd_hash(&base) });
    let kb = sign_jws(
        &json!({ "alg": "EdDSA", "typ": "kb+jwt" }),
        &list_aud,
        &holder(),
    )
    .unwrap();
    assert_fails(
        &verify(&(base.clone() + &kb)),
        CheckName::Domain,
        "single string aud",
    );

    // At issuance the holder expects no KB-JWT, and refuses one.
    let verdict = verify_sd_jwt_vc(
        &presented,
        &keys(),
        &SdJwtExpectations::issued_credential(now()),
    );
    assert_fails(&verdict, CheckName::HolderBinding, "not expected");
}

#[test]
fn a_credential_without_cnf_cannot_be_key_bound() {
    let sd_jwt = issue_sd_jwt_vc_at(
        &unsigned(CredentialKind::CareIdentity),
        &issuer(),
        None,
        None,
        now(),
    )
    .unwrap();
    assert!(present(&sd_jwt, &[], &holder(), AUD, NONCE, now()).is_err());
    assert_fails(
        &verify(&bound(parse_held(&sd_jwt).unwrap().jwt, &[])),
        CheckName::HolderBinding,
        "no cnf",
    );
}

// --- status and trust ----------------------------------------------------------------------

#[test]
fn the_token_status_list_draft_example_decodes() {
    // draft-ietf-oauth-status-list §4.1: bits 1, statuses 1 0 0 1 1 1 0 1 | 1 1 0 0 0 1 0 1.
    let list = TokenStatusList::from_claim(&json!({ "bits": 1, "lst": "eNrbuRgAAhcBXQ" })).unwrap();
    let statuses: Vec<u8> = (0..16).map(|i| list.get(i).unwrap()).collect();
    assert_eq!(
        statuses,
        vec![1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
    );
    assert_eq!(list.get(16), None);
}

#[test]
fn token_status_lists_round_trip_with_two_bits() {
    let mut list = TokenStatusList::new(2, 1024).unwrap();
    list.set(0, STATUS_INVALID).unwrap();
    list.set(5, STATUS_SUSPENDED).unwrap();
    list.set(1023, 3).unwrap();
    assert!(list.set(1024, 1).is_err());
    assert!(list.set(1, 4).is_err());
    let back = TokenStatusList::from_claim(&list.to_claim().unwrap()).unwrap();
    assert_eq!(back, list);
    assert_eq!(
        (back.get(0), back.get(5), back.get(6), back.get(1023)),
        (Some(1), Some(2), Some(0), Some(3))
    );
    assert!(TokenStatusList::from_claim(&json!({ "bits": 3, "lst": "eNrbuRgAAhcBXQ" })).is_err());
    assert!(TokenStatusList::from_claim(&json!({ "bits": 1, "lst": "not zlib" })).is_err());
}

#[test]
fn status_list_tokens_are_checked_before_they_are_read() {
    let uri = "https://127.0.0.1:8402/token-status/1";
    let registry = mallory();
    let list = TokenStatusList::new(2, 16).unwrap();
    let token = sign_status_list_token(
        &list,
        uri,
        &registry,
        now(),
        Some(now() + Duration::hours(1)),
        Some(600),
    )
    .unwrap();
    assert_eq!(
        read_status_list_token(&token, uri, &registry.public_key(), now()).unwrap(),
        list
    );
    assert!(
        read_status_list_token(&token, "https://elsewhere/1", &registry.public_key(), now())
            .is_err()
    );
    assert!(read_status_list_token(&token, uri, &issuer().public_key(), now()).is_err());
    assert!(read_status_list_token(
        &token,
        uri,
        &registry.public_key(),
        now() + Duration::hours(2)
    )
    .is_err());
}

#[test]
fn a_revoked_or_suspended_credential_is_refused_and_an_unread_list_is_inconclusive() {
    let uri = "https://127.0.0.1:8402/token-status/1";
    let reference = |idx| StatusListReference {
        idx,
        uri: uri.into(),
    };
    let mut list = TokenStatusList::new(2, 64).unwrap();
    list.set(7, STATUS_INVALID).unwrap();
    list.set(9, STATUS_SUSPENDED).unwrap();
    let lists = TokenStatusLists {
        lists: HashMap::from([(uri.to_owned(), Ok(list))]),
    };
    let check = |idx: u64, lists: &TokenStatusLists| {
        let sd_jwt = issue_sd_jwt_vc_at(
            &unsigned(CredentialKind::Role),
            &issuer(),
            Some(&holder_jwk()),
            Some(&reference(idx)),
            now(),
        )
        .unwrap();
        verify_sd_jwt_vc(
            &present_all(&sd_jwt),
            &keys(),
            &SdJwtExpectations::presentation(AUD, NONCE, now()).with_status_lists(lists),
        )
    };
    let fine = check(8, &lists);
    assert!(fine.verified(), "{fine:?}");
    assert_eq!(fine.claims().unwrap()["status"]["status_list"]["idx"], 8);
    assert_fails(&check(7, &lists), CheckName::Status, "revoked");
    assert_fails(&check(9, &lists), CheckName::Status, "suspended");
    assert_fails(&check(64, &lists), CheckName::Status, "outside");
    let unread = check(8, &TokenStatusLists::default());
    assert!(
        !unread.verified() && unread.verdict.inconclusive(),
        "{unread:?}"
    );
}

#[test]
fn issuer_trust_is_checked_against_the_did_web_that_iss_names() {
    let presented = present_all(&issue(CredentialKind::CareIdentity));
    let unavailable: std::result::Result<TrustList, String> = Err("registry down".into());
    let verdict = verify_sd_jwt_vc(
        &presented,
        &keys(),
        &SdJwtExpectations::presentation(AUD, NONCE, now()).with_trust_list(&unavailable),
    );
    assert!(verdict.verdict.inconclusive(), "{verdict:?}");
    assert_eq!(
        verdict.verdict.outcome_of(CheckName::IssuerTrusted),
        Some(&Outcome::CouldNotCheck(
            "the trust list is not available: registry down".into()
        ))
    );
}

#[test]
fn claims_a_type_does_not_have_are_refused() {
    let (d, digest) =
        encode_disclosure(json!(["c2FsdHNhbHRzYWx0c2FsdA", "favouriteColour", "teal"]));
    let jwt = issuer_jwt(standard_header(), standard_payload(vec![digest]));
    assert_fails(
        &verify(&bound(&jwt, &[&d])),
        CheckName::TypeRules,
        "favouriteColour",
    );
    let mut payload = standard_payload(vec![]);
    payload["vct"] = json!("https://example.com/other");
    let jwt = issuer_jwt(standard_header(), payload);
    assert_fails(
        &verify(&bound(&jwt, &[])),
        CheckName::TypeRules,
        "not a type",
    );
}
