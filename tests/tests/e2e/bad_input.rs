//! Every kind of bad input, in one table: each gets a clear verdict (verified false with a
//! problem of the right type) or an RFC 9457 problem response, never a panic, and the
//! issuer's records do not change.

use credentials::securing::{sign_credential, Cryptosuite, ProofRequest, SigningIdentity};
use serde_json::{json, Value};
use tests::{Platform, TOKEN};

use crate::journeys::{holder, presentation_of};

enum Expect {
    /// 200 from the verifier with `verified: false` and a problem whose type ends so.
    Verdict(&'static str),
    /// An RFC 9457 problem with this status.
    Problem(u16),
}

struct Case {
    name: &'static str,
    path: String,
    body: Vec<u8>,
    content_type: &'static str,
    token: Option<&'static str>,
    expect: Expect,
}

fn verify_credential_case(name: &'static str, credential: &Value, expect: &'static str) -> Case {
    json_case(
        name,
        "/credentials/verify",
        json!({"verifiableCredential": credential}),
        Expect::Verdict(expect),
    )
}

fn json_case(name: &'static str, path: &str, body: Value, expect: Expect) -> Case {
    Case {
        name,
        path: path.into(),
        body: body.to_string().into_bytes(),
        content_type: "application/json",
        token: None,
        expect,
    }
}

fn nested(depth: usize) -> String {
    format!(
        "{{\"verifiableCredential\": {}1{}}}",
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

#[tokio::test]
async fn bad_input_gets_a_clear_answer_and_changes_nothing() {
    let platform = Platform::start().await.unwrap();
    let alice = holder(21);
    let issued = platform
        .issue_person("P0001", Some(alice.did()), "eddsa-rdfc-2022")
        .await
        .unwrap();
    let employment = issued
        .iter()
        .find(|c| c["type"][1] == "EmploymentCredential")
        .unwrap()
        .clone();
    let role = issued
        .iter()
        .find(|c| c["type"][1] == "RoleCredential")
        .unwrap()
        .clone();

    let mut tampered = employment.clone();
    tampered["credentialSubject"]["positionTitle"] = "Chief Executive".into();
    let mut added_term = employment.clone();
    added_term["credentialSubject"]["favouriteColour"] = "green".into();
    let mut swapped_proof = employment.clone();
    swapped_proof["proof"] = role["proof"].clone();
    let mut unknown_context = employment.clone();
    unknown_context["@context"]
        .as_array_mut()
        .unwrap()
        .push("https://example.org/contexts/unknown".into());

    let mut unsigned = employment.clone();
    unsigned.as_object_mut().unwrap().remove("proof");
    let stranger = SigningIdentity::did_key(ed25519_dalek::SigningKey::from_bytes(&[99; 32]));
    let wrong_key = sign_credential(
        &unsigned,
        &stranger,
        Cryptosuite::EddsaRdfc2022,
        &ProofRequest::default(),
    )
    .await
    .unwrap();
    let nowhere = SigningIdentity::new(
        ed25519_dalek::SigningKey::from_bytes(&[98; 32]),
        "did:web:127.0.0.1%3A1#key-1".into(),
    );
    let mut from_nowhere = unsigned.clone();
    from_nowhere["issuer"]["id"] = "did:web:127.0.0.1%3A1".into();
    let unresolvable = sign_credential(
        &from_nowhere,
        &nowhere,
        Cryptosuite::EddsaRdfc2022,
        &ProofRequest::default(),
    )
    .await
    .unwrap();

    let issue = |mut credential: Value, field: &str, value: &str| {
        credential.as_object_mut().unwrap().remove("proof");
        credential.as_object_mut().unwrap().remove("id");
        credential[field] = value.into();
        credential
    };
    let mut timed = Vec::new();
    for (field, value) in [
        ("validUntil", "2020-01-01T00:00:00Z"),
        ("validFrom", "2099-01-01T00:00:00Z"),
    ] {
        let body = json!({"credential": issue(employment.clone(), field, value)});
        let response = platform
            .admin_post("/credentials/issue", &body)
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        timed.push(response.json::<Value>().await.unwrap()["verifiableCredential"].clone());
    }

    let domain = platform.verifier_url.clone();
    let good_presentation =
        presentation_of(&alice, vec![employment.clone()], "challenge-1", &domain).await;
    let holding_tampered =
        presentation_of(&alice, vec![tampered.clone()], "challenge-1", &domain).await;
    let presentation_case = |name, presentation: &Value, challenge: &str, domain: &str, expect| {
        json_case(
            name,
            "/presentations/verify",
            json!({"verifiablePresentation": presentation, "options": {"challenge": challenge, "domain": domain}}),
            Expect::Verdict(expect),
        )
    };

    let issuances_before = platform.admin_get("/admin/issuances").await.unwrap();
    let big = format!(
        "{{\"verifiableCredential\": \"{}\"}}",
        "a".repeat(1024 * 1024)
    );
    let cases = vec![
        verify_credential_case("tampered value", &tampered, "PROOF_VERIFICATION_ERROR"),
        verify_credential_case("added undefined term", &added_term, "MALFORMED_VALUE_ERROR"),
        verify_credential_case("swapped proof", &swapped_proof, "PROOF_VERIFICATION_ERROR"),
        verify_credential_case("wrong key", &wrong_key, "PROOF_VERIFICATION_ERROR"),
        verify_credential_case(
            "unknown context",
            &unknown_context,
            "PROOF_VERIFICATION_ERROR",
        ),
        verify_credential_case("unresolvable DID", &unresolvable, "could-not-check"),
        verify_credential_case("expired", &timed[0], "validity-period"),
        verify_credential_case("not yet valid", &timed[1], "validity-period"),
        presentation_case(
            "wrong challenge",
            &good_presentation,
            "challenge-2",
            &domain,
            "INVALID_CHALLENGE_ERROR",
        ),
        presentation_case(
            "wrong domain",
            &good_presentation,
            "challenge-1",
            "https://elsewhere.example",
            "INVALID_DOMAIN_ERROR",
        ),
        presentation_case(
            "presentation holding a tampered credential",
            &holding_tampered,
            "challenge-1",
            &domain,
            "credential-invalid",
        ),
        Case {
            name: "malformed JSON",
            path: "/credentials/verify".into(),
            body: b"{\"verifiableCredential\": {".to_vec(),
            content_type: "application/json",
            token: None,
            expect: Expect::Problem(400),
        },
        Case {
            name: "not a credential",
            path: "/credentials/verify".into(),
            body: b"{\"verifiableCredential\": 42}".to_vec(),
            content_type: "application/json",
            token: None,
            expect: Expect::Problem(400),
        },
        Case {
            name: "1 MB body",
            path: "/credentials/verify".into(),
            body: big.clone().into_bytes(),
            content_type: "application/json",
            token: None,
            expect: Expect::Problem(413),
        },
        Case {
            name: "1 MB body to the issuer",
            path: "/credentials/issue".into(),
            body: big.into_bytes(),
            content_type: "application/json",
            token: Some(TOKEN),
            expect: Expect::Problem(413),
        },
        Case {
            name: "deeply nested JSON",
            path: "/credentials/verify".into(),
            body: nested(5000).into_bytes(),
            content_type: "application/json",
            token: None,
            expect: Expect::Problem(400),
        },
        Case {
            name: "wrong content type",
            path: "/credentials/verify".into(),
            body: employment.to_string().into_bytes(),
            content_type: "text/plain",
            token: None,
            expect: Expect::Problem(415),
        },
        Case {
            name: "missing token",
            path: "/credentials/issue".into(),
            body: json!({"credential": unsigned}).to_string().into_bytes(),
            content_type: "application/json",
            token: None,
            expect: Expect::Problem(401),
        },
        Case {
            name: "invalid token",
            path: "/credentials/issue".into(),
            body: json!({"credential": unsigned}).to_string().into_bytes(),
            content_type: "application/json",
            token: Some("not-the-token-at-all"),
            expect: Expect::Problem(401),
        },
        Case {
            name: "unknown VC API option",
            path: "/credentials/issue".into(),
            body: json!({"credential": unsigned, "options": {"frobnicate": true}})
                .to_string()
                .into_bytes(),
            content_type: "application/json",
            token: Some(TOKEN),
            expect: Expect::Problem(400),
        },
        Case {
            name: "issuing as another issuer",
            path: "/credentials/issue".into(),
            body: json!({"credential": from_nowhere}).to_string().into_bytes(),
            content_type: "application/json",
            token: Some(TOKEN),
            expect: Expect::Problem(400),
        },
        Case {
            name: "issuing a credential that breaks its schema",
            path: "/credentials/issue".into(),
            body: json!({"credential": issue(employment.clone(), "validFrom", "yesterday")})
                .to_string()
                .into_bytes(),
            content_type: "application/json",
            token: Some(TOKEN),
            expect: Expect::Problem(400),
        },
        Case {
            name: "malformed import",
            path: "/admin/people".into(),
            body: b"{\"people\": 7}".to_vec(),
            content_type: "application/json",
            token: Some(TOKEN),
            expect: Expect::Problem(400),
        },
    ];

    for case in cases {
        let base = if case.path.starts_with("/admin") || case.path == "/credentials/issue" {
            &platform.issuer_url
        } else {
            &platform.verifier_url
        };
        let mut request = platform
            .http
            .post(format!("{base}{}", case.path))
            .header("content-type", case.content_type)
            .body(case.body);
        if let Some(token) = case.token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body: Value = response
            .json()
            .await
            .unwrap_or_else(|e| panic!("{}: body is not JSON: {e}", case.name));
        match case.expect {
            Expect::Verdict(problem) => {
                assert_eq!(status, 200, "{}: {body:#}", case.name);
                assert_eq!(body["verified"], false, "{}: {body:#}", case.name);
                let types: Vec<&str> = body["problemDetails"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|p| p["type"].as_str())
                    .collect();
                assert!(
                    types.iter().any(|t| t.ends_with(problem)),
                    "{}: wanted {problem}, got {types:?}",
                    case.name
                );
            }
            Expect::Problem(expected) => {
                assert_eq!(status, expected, "{}: {body:#}", case.name);
                assert_eq!(content_type, "application/problem+json", "{}", case.name);
                assert_eq!(body["status"], expected, "{}", case.name);
                assert!(
                    body["type"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("https://")),
                    "{}",
                    case.name
                );
                assert!(
                    body["detail"].as_str().is_some_and(|d| !d.is_empty()),
                    "{}",
                    case.name
                );
            }
        }
    }
    let issuances_after = platform.admin_get("/admin/issuances").await.unwrap();
    assert_eq!(
        issuances_before, issuances_after,
        "no refused request wrote an issuance record"
    );
}
