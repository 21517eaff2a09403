//! The W3C VC API verification response (the OAS shape current since August 2025:
//! `verified`, per-check `results`, RFC 9457 `problemDetails`), built from our verdicts.

use credentials::{Check, CheckName, Outcome, PresentationVerdict, Verdict};
use serde_json::{json, Value};

fn problem_type(name: CheckName) -> &'static str {
    match name {
        CheckName::Structure => "https://www.w3.org/TR/vc-data-model#PARSING_ERROR",
        CheckName::KeyResolution
        | CheckName::Proof
        | CheckName::Disclosures
        | CheckName::HolderBinding => "https://w3id.org/security#PROOF_VERIFICATION_ERROR",
        CheckName::Challenge => "https://w3id.org/security#INVALID_CHALLENGE_ERROR",
        CheckName::Domain => "https://w3id.org/security#INVALID_DOMAIN_ERROR",
        CheckName::CredentialSchema | CheckName::TypeRules => {
            "https://www.w3.org/TR/vc-data-model#MALFORMED_VALUE_ERROR"
        }
        CheckName::ValidFrom | CheckName::ValidUntil => {
            "https://staff-passport.nhs.uk/problems/validity-period"
        }
        CheckName::Credentials => "https://staff-passport.nhs.uk/problems/credential-invalid",
        CheckName::Status => "https://staff-passport.nhs.uk/problems/credential-status",
        CheckName::IssuerTrusted => "https://staff-passport.nhs.uk/problems/issuer-not-trusted",
    }
}

fn title(name: CheckName) -> &'static str {
    match name {
        CheckName::Structure => "The document is not well formed",
        CheckName::KeyResolution => "The signing key could not be accepted",
        CheckName::Proof => "The proof does not verify",
        CheckName::Disclosures => "A disclosure was not signed by the issuer",
        CheckName::ValidFrom => "Not yet valid",
        CheckName::ValidUntil => "Expired",
        CheckName::CredentialSchema => "Does not match its schema",
        CheckName::TypeRules => "Breaks the rules of its type",
        CheckName::Challenge => "Wrong challenge",
        CheckName::Domain => "Wrong domain",
        CheckName::HolderBinding => "Not presented by its subject",
        CheckName::Credentials => "A credential in the presentation does not verify",
        CheckName::Status => "Revoked, suspended, or status unknown",
        CheckName::IssuerTrusted => "The issuer was not trusted for this credential type",
    }
}

/// One RFC 9457 problem per check that failed or could not be done. A check that could
/// not be done says so in its title, so "could not check" is never read as "invalid".
pub fn problem_details(checks: &[Check]) -> Vec<Value> {
    checks
        .iter()
        .filter_map(|check| match &check.outcome {
            Outcome::Failed(detail) => Some(json!({"type": problem_type(check.name), "title": title(check.name), "detail": detail})),
            Outcome::CouldNotCheck(detail) => Some(json!({
                "type": "https://staff-passport.nhs.uk/problems/could-not-check",
                "title": format!("Could not check: {}", title(check.name)),
                "detail": detail,
            })),
            Outcome::Passed | Outcome::NotApplicable => None,
        })
        .collect()
}

fn result_entry(verdict: &Verdict, name: CheckName, input: Option<&Value>) -> Value {
    let passed = verdict
        .checks
        .iter()
        .filter(|c| c.name == name)
        .all(|c| matches!(c.outcome, Outcome::Passed | Outcome::NotApplicable));
    json!({"verified": passed, "input": input.cloned().unwrap_or(Value::Null)})
}

fn proof_entries(verdict: &Verdict, document: &Value) -> Value {
    let verified = [
        CheckName::Structure,
        CheckName::KeyResolution,
        CheckName::Proof,
    ]
    .iter()
    .all(|name| {
        verdict
            .checks
            .iter()
            .filter(|c| c.name == *name)
            .all(|c| c.outcome == Outcome::Passed)
    });
    json!([{"verified": verified, "input": document.get("proof").cloned().unwrap_or(Value::Null)}])
}

fn status_entries(verdict: &Verdict, credential: &Value) -> Value {
    let inputs: Vec<Value> = match credential.get("credentialStatus") {
        Some(Value::Array(entries)) => entries.clone(),
        Some(entry) => vec![entry.clone()],
        None => Vec::new(),
    };
    let outcomes: Vec<&Outcome> = verdict
        .checks
        .iter()
        .filter(|c| c.name == CheckName::Status && c.outcome != Outcome::NotApplicable)
        .map(|c| &c.outcome)
        .collect();
    let entries: Vec<Value> = inputs
        .iter()
        .zip(outcomes)
        .map(|(input, outcome)| {
            let value = match outcome {
                Outcome::Passed => json!(0),
                Outcome::Failed(reason) if reason == "revoked" || reason == "suspended" => json!(1),
                _ => Value::Null,
            };
            json!({"value": value, "verified": *outcome == Outcome::Passed, "input": input})
        })
        .collect();
    Value::Array(entries)
}

/// Unlike the other entries, "not applicable" (no registry configured) is not reported as
/// verified: nobody checked the issuer's standing, and a reader should see that.
fn issuer_trusted_entry(verdict: &Verdict, credential: &Value) -> Value {
    let outcome = verdict.outcome_of(CheckName::IssuerTrusted);
    json!({
        "verified": outcome == Some(&Outcome::Passed),
        "checked": !matches!(outcome, None | Some(Outcome::NotApplicable | Outcome::CouldNotCheck(_))),
        "input": credential.get("issuer").cloned().unwrap_or(Value::Null),
    })
}

/// The `results` of one credential.
pub fn credential_results(verdict: &Verdict, credential: &Value) -> Value {
    let schemas: Vec<Value> = verdict
        .checks
        .iter()
        .filter(|c| c.name == CheckName::CredentialSchema && c.outcome != Outcome::NotApplicable)
        .map(|c| json!({"verified": c.outcome == Outcome::Passed, "input": credential.get("credentialSchema").cloned().unwrap_or(Value::Null)}))
        .collect();
    json!({
        "validFrom": result_entry(verdict, CheckName::ValidFrom, credential.get("validFrom")),
        "validUntil": result_entry(verdict, CheckName::ValidUntil, credential.get("validUntil")),
        "credentialSchema": schemas,
        "credentialStatus": status_entries(verdict, credential),
        // Not in the VC API's result shape: BR-26a, whether the trust registry authorised
        // the issuer for this type when it issued.
        "issuerTrusted": issuer_trusted_entry(verdict, credential),
        "proof": proof_entries(verdict, credential),
        "checks": verdict.checks,
    })
}

pub fn verify_credential_response(
    verdict: &Verdict,
    credential: &Value,
    return_credential: bool,
) -> Value {
    let mut body = json!({
        "verified": verdict.verified(),
        "problemDetails": problem_details(&verdict.checks),
        "results": credential_results(verdict, credential),
    });
    if return_credential {
        body["credential"] = credential.clone();
    }
    body
}

pub fn verify_presentation_response(
    verdict: &PresentationVerdict,
    presentation: &Value,
    return_presentation: bool,
) -> Value {
    let own = &verdict.presentation;
    let credentials: Vec<&Value> = match presentation.get("verifiableCredential") {
        Some(Value::Array(many)) => many.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    let credential_results: Vec<Value> = verdict
        .credentials
        .iter()
        .zip(credentials.iter())
        .map(|(v, c)| json!({"verified": v.verified(), "problemDetails": problem_details(&v.checks), "results": credential_results(v, c)}))
        .collect();
    let proof = presentation.get("proof");
    let mut problems = problem_details(&own.checks);
    for (index, credential_verdict) in verdict.credentials.iter().enumerate() {
        for mut problem in problem_details(&credential_verdict.checks) {
            problem["detail"] = Value::String(format!(
                "credential {index}: {}",
                problem["detail"].as_str().unwrap_or_default()
            ));
            problems.push(problem);
        }
    }
    let mut body = json!({
        "verified": verdict.verified(),
        "problemDetails": problems,
        "results": {
            "presentation": {
                "challenge": result_entry(own, CheckName::Challenge, proof.and_then(|p| p.get("challenge"))),
                "domain": result_entry(own, CheckName::Domain, proof.and_then(|p| p.get("domain"))),
                "holder": result_entry(own, CheckName::HolderBinding, presentation.get("holder")),
                "proof": proof_entries(own, presentation),
                "checks": own.checks,
            },
            "credentials": credential_results,
        },
    });
    if return_presentation {
        body["verifiablePresentation"] = presentation.clone();
    }
    body
}
