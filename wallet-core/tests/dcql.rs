//! DCQL matching in the wallet: which stored credentials answer which query, and what
//! they would disclose.

use credentials::catalogue::CredentialSubject;
use credentials::sd_jwt::{issue_sd_jwt_vc_at, Jwk, PathElement};
use credentials::vocabulary::{type_iri, vct};
use credentials::{CredentialKind, IssuerIdentity, SigningIdentity, UnsignedCredential};
use serde_json::{json, Value};
use wallet_core::oid4vp::{candidate_for, parse_request_link, DcqlQuery};
use wallet_core::store::StoredCredential;
use wallet_core::WalletError;

fn example(kind: CredentialKind) -> Value {
    let path = format!(
        "{}/../credentials/assets/schema-examples/{}.json",
        env!("CARGO_MANIFEST_DIR"),
        kind.slug()
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn ldp(id: &str, kind: CredentialKind) -> StoredCredential {
    StoredCredential {
        id: id.into(),
        format: "ldp_vc".into(),
        credential: example(kind),
        configuration_id: String::new(),
        credential_issuer: String::new(),
        display: Value::Null,
        received_at: "2026-11-24T12:00:00Z".into(),
        key_id: "k".into(),
    }
}

fn sd_jwt(id: &str, kind: CredentialKind) -> StoredCredential {
    let issuer = SigningIdentity::new(
        ed25519_dalek::SigningKey::from_bytes(&[1; 32]),
        "did:web:issuer.example#key-1".into(),
    );
    let holder = ed25519_dalek::SigningKey::from_bytes(&[2; 32]);
    let document = example(kind);
    let subject = CredentialSubject::from_json(kind, &document["credentialSubject"]).unwrap();
    let unsigned = UnsignedCredential::new(
        IssuerIdentity {
            id: "did:web:issuer.example".into(),
            name: "Example Trust".into(),
        },
        chrono::Utc::now(),
        subject,
    );
    let text = issue_sd_jwt_vc_at(
        &unsigned,
        &issuer,
        Some(&Jwk::ed25519(&holder.verifying_key())),
        None,
        chrono::Utc::now(),
    )
    .unwrap();
    StoredCredential {
        credential: Value::String(text),
        format: "dc+sd-jwt".into(),
        ..ldp(id, kind)
    }
}

fn query(value: Value) -> DcqlQuery {
    let query: DcqlQuery = serde_json::from_value(value).unwrap();
    query.validate().unwrap();
    query
}

#[test]
fn ldp_credentials_match_by_expanded_type_and_claims() {
    let employment = ldp("e", CredentialKind::Employment);
    let role = ldp("r", CredentialKind::Role);
    let dcql = query(json!({"credentials": [{
        "id": "employment", "format": "ldp_vc",
        "meta": {"type_values": [[type_iri(CredentialKind::Employment)]]},
        "claims": [{"path": ["credentialSubject", "employer", "odsCode"]}]
    }]}));
    let q = &dcql.credentials[0];
    let candidate = candidate_for(q, &employment).unwrap();
    assert!(
        candidate.whole_credential,
        "a Data Integrity credential goes whole"
    );
    assert!(candidate_for(q, &role).is_none(), "another type");
    // A value constraint the credential does not meet.
    let dcql = query(json!({"credentials": [{
        "id": "employment", "format": "ldp_vc",
        "meta": {"type_values": [[type_iri(CredentialKind::Employment)]]},
        "claims": [{"path": ["credentialSubject", "employer", "odsCode"], "values": ["ZZZ"]}]
    }]}));
    assert!(candidate_for(&dcql.credentials[0], &employment).is_none());
    // The same query in the other format does not match an ldp credential.
    let dcql = query(json!({"credentials": [{
        "id": "employment", "format": "dc+sd-jwt",
        "meta": {"vct_values": [vct(CredentialKind::Employment)]}
    }]}));
    assert!(candidate_for(&dcql.credentials[0], &employment).is_none());
}

#[test]
fn sd_jwt_credentials_disclose_only_the_claims_asked_for() {
    let identity = sd_jwt("i", CredentialKind::CareIdentity);
    let dcql = query(json!({"credentials": [{
        "id": "identity", "format": "dc+sd-jwt",
        "meta": {"vct_values": [vct(CredentialKind::CareIdentity)]},
        "claims": [{"path": ["givenName"]}, {"path": ["familyName"]}]
    }]}));
    let candidate = candidate_for(&dcql.credentials[0], &identity).unwrap();
    assert!(!candidate.whole_credential);
    assert_eq!(
        candidate.disclosed,
        vec![
            vec![PathElement::Key("givenName".into())],
            vec![PathElement::Key("familyName".into())]
        ]
    );
    // A claim the credential does not have: no match.
    let dcql = query(json!({"credentials": [{
        "id": "identity", "format": "dc+sd-jwt",
        "meta": {"vct_values": [vct(CredentialKind::CareIdentity)]},
        "claims": [{"path": ["shoeSize"]}]
    }]}));
    assert!(candidate_for(&dcql.credentials[0], &identity).is_none());
    // claim_sets: the first set the credential satisfies is used.
    let dcql = query(json!({"credentials": [{
        "id": "identity", "format": "dc+sd-jwt",
        "meta": {"vct_values": [vct(CredentialKind::CareIdentity)]},
        "claims": [{"id": "a", "path": ["shoeSize"]}, {"id": "b", "path": ["familyName"]}],
        "claim_sets": [["a"], ["b"]]
    }]}));
    let candidate = candidate_for(&dcql.credentials[0], &identity).unwrap();
    assert_eq!(
        candidate.disclosed,
        vec![vec![PathElement::Key("familyName".into())]]
    );
}

#[test]
fn credential_sets_choose_what_to_answer_and_refuse_what_cannot_be() {
    let dcql = query(json!({
        "credentials": [
            {"id": "ldp", "format": "ldp_vc", "meta": {"type_values": [["x"]]}},
            {"id": "sd", "format": "dc+sd-jwt", "meta": {"vct_values": ["y"]}},
            {"id": "extra", "format": "dc+sd-jwt", "meta": {"vct_values": ["z"]}}
        ],
        "credential_sets": [
            {"options": [["ldp"], ["sd"]]},
            {"options": [["extra"]], "required": false}
        ]
    }));
    assert_eq!(dcql.plan(&|id| id == "sd").unwrap(), vec!["sd".to_owned()]);
    assert_eq!(
        dcql.plan(&|id| id != "sd").unwrap(),
        vec!["ldp".to_owned(), "extra".to_owned()]
    );
    assert!(matches!(
        dcql.plan(&|id| id == "extra"),
        Err(WalletError::CannotAnswer { .. })
    ));
    for bad in [
        json!({"credentials": []}),
        json!({"credentials": [{"id": "a b", "format": "ldp_vc", "meta": {}}]}),
        json!({"credentials": [{"id": "a", "format": "ldp_vc", "meta": {}}, {"id": "a", "format": "ldp_vc", "meta": {}}]}),
        json!({"credentials": [{"id": "a", "format": "ldp_vc", "meta": {}, "claim_sets": [["x"]]}]}),
        json!({"credentials": [{"id": "a", "format": "ldp_vc", "meta": {}}], "credential_sets": [{"options": [["b"]]}]}),
        json!({"credentials": [{"id": "a", "format": "ldp_vc", "meta": {}, "claims": [{"path": []}]}]}),
    ] {
        let parsed: DcqlQuery = serde_json::from_value(bad.clone()).unwrap();
        assert!(parsed.validate().is_err(), "{bad}");
    }
}

#[test]
fn request_links_are_read_by_reference_only() {
    let link = parse_request_link(
        "openid4vp://?client_id=decentralized_identifier%3Adid%3Aweb%3Av.example&request_uri=https%3A%2F%2Fv.example%2Fr%2F1",
    )
    .unwrap();
    assert_eq!(link.client_id, "decentralized_identifier:did:web:v.example");
    assert_eq!(link.request_uri, "https://v.example/r/1");
    // §5.1: a wallet without POST support reads a `post` link and GETs the request_uri.
    for method in ["get", "post"] {
        let link = parse_request_link(&format!(
            "openid4vp://?client_id=x&request_uri=https%3A%2F%2Fv%2Fr&request_uri_method={method}"
        ))
        .unwrap();
        assert_eq!(link.request_uri, "https://v/r");
    }
    for bad in [
        "openid4vp://?request_uri=https%3A%2F%2Fv.example%2Fr",
        "openid4vp://?client_id=x",
        "openid4vp://?client_id=x&request=eyJ",
        // The two values are case-sensitive (§5.1).
        "openid4vp://?client_id=x&request_uri=https%3A%2F%2Fv&request_uri_method=POST",
        "openid4vp://?client_id=x&request_uri=https%3A%2F%2Fv&request_uri_method=put",
        "ftp://x?client_id=x&request_uri=y",
    ] {
        assert!(parse_request_link(bad).is_err(), "{bad}");
    }
}
