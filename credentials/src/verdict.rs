//! What verification found: one entry per check, keeping "could not check" (a DID that
//! did not resolve, an unknown schema) apart from "checked: invalid".

use serde::Serialize;

/// The checks made on a credential or presentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CheckName {
    /// The document is well formed for its securing (contexts known, proof present).
    Structure,
    /// The verification method resolved to a key the controller authorises for this purpose.
    KeyResolution,
    /// The Data Integrity proof verifies.
    Proof,
    /// SD-JWT: every disclosure is one the issuer signed a digest of, once, in a place that
    /// fits it (RFC 9901 §7.1).
    Disclosures,
    ValidFrom,
    ValidUntil,
    /// Bitstring Status List: not revoked, not suspended.
    Status,
    /// BR-26a: the trust registry authorised the issuer for this credential type at the
    /// time it issued it.
    IssuerTrusted,
    /// The document validates against the JSON Schema it names.
    CredentialSchema,
    /// NHS type rules: identifier formats, required claims, no unknown claims.
    TypeRules,
    /// The presentation's proof carries the challenge the verifier issued.
    Challenge,
    /// The presentation's proof carries the verifier's domain.
    Domain,
    /// The presentation was signed by its holder, who is the subject of every credential in it.
    HolderBinding,
    /// Every credential inside a presentation verifies.
    Credentials,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "detail", rename_all = "camelCase")]
pub enum Outcome {
    Passed,
    /// Checked, and found invalid.
    Failed(String),
    /// Could not be checked (e.g. a DID did not resolve): neither valid nor proven invalid.
    CouldNotCheck(String),
    /// The check does not apply (e.g. no `validUntil`).
    NotApplicable,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: CheckName,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The result of verifying one credential or one presentation's own proof.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub checks: Vec<Check>,
}

impl Verdict {
    pub fn record(&mut self, name: CheckName, outcome: Outcome) {
        self.checks.push(Check { name, outcome });
    }

    /// True only when every check passed or did not apply.
    pub fn verified(&self) -> bool {
        !self.checks.is_empty()
            && self
                .checks
                .iter()
                .all(|c| matches!(c.outcome, Outcome::Passed | Outcome::NotApplicable))
    }

    /// True when nothing failed but something could not be checked.
    pub fn inconclusive(&self) -> bool {
        !self
            .checks
            .iter()
            .any(|c| matches!(c.outcome, Outcome::Failed(_)))
            && self
                .checks
                .iter()
                .any(|c| matches!(c.outcome, Outcome::CouldNotCheck(_)))
    }

    pub fn outcome_of(&self, name: CheckName) -> Option<&Outcome> {
        self.checks
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.outcome)
    }

    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Failed(_) | Outcome::CouldNotCheck(_)))
    }
}

/// A presentation's verdict: its own checks, and one verdict per embedded credential.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PresentationVerdict {
    pub presentation: Verdict,
    pub credentials: Vec<Verdict>,
}

impl PresentationVerdict {
    pub fn verified(&self) -> bool {
        self.presentation.verified() && self.credentials.iter().all(Verdict::verified)
    }
}
