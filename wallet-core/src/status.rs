//! Whether the credentials a holder carries are still good: each one's status is read from
//! the list it points at (a Bitstring Status List for `ldp_vc`, an IETF Token Status List
//! for `dc+sd-jwt`), and a change since the last check is recorded in the history, so the
//! phone can tell the person "your employment credential was suspended".

use serde::{Deserialize, Serialize};
use serde_json::Value;

use credentials::did::ResolvedDids;
use credentials::sd_jwt::{
    read_status_list_token, SdJwtVcVerdict, STATUS_INVALID, STATUS_SUSPENDED, STATUS_VALID,
};
use credentials::status_list::{status_in, StatusEntry, StatusPurpose};

use crate::error::Result;
use crate::store::{HistoryEntry, StoredCredential};
use crate::wallet::{Wallet, LDP_VC, SD_JWT_VC};

/// A held credential's status, as its status list says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialStatus {
    Valid,
    Suspended,
    /// Permanent (BR-19).
    Revoked,
    /// The credential names no status list: nothing can revoke it but its expiry.
    NoStatus,
}

/// One credential's status after a refresh.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusReport {
    pub credential_id: String,
    /// What the list says, or why it could not be read (offline, list unavailable, a list
    /// that does not verify): the last known status then stands.
    pub status: std::result::Result<CredentialStatus, String>,
    /// The status known before this refresh, if it was ever read.
    pub previous: Option<CredentialStatus>,
}

impl StatusReport {
    /// The list now says something the holder has not been told: other than it said
    /// before, or, at the first reading, anything but valid.
    pub fn changed(&self) -> bool {
        match (&self.status, self.previous) {
            (Ok(now), Some(before)) => *now != before,
            (Ok(now), None) => {
                matches!(now, CredentialStatus::Suspended | CredentialStatus::Revoked)
            }
            (Err(_), _) => false,
        }
    }
}

const LAST_STATUS: &str = "last-status:";

/// Told of each status change a refresh finds (e.g. the phone's notification), after it
/// has been stored.
pub trait StatusListener: Send + Sync {
    fn status_changed(&self, credential_id: &str, status: CredentialStatus);
}

struct NobodyListens;

impl StatusListener for NobodyListens {
    fn status_changed(&self, _: &str, _: CredentialStatus) {}
}

impl Wallet {
    /// Reads every held credential's status from its list. A status that differs from the
    /// one last read is stored and recorded in the history before this returns; a list
    /// that cannot be read changes nothing (the phone may be offline).
    pub async fn refresh_statuses(&self) -> Result<Vec<StatusReport>> {
        self.refresh_statuses_telling(&NobodyListens).await
    }

    /// [`Wallet::refresh_statuses`], telling `listener` of each change once it is stored.
    pub async fn refresh_statuses_telling(
        &self,
        listener: &dyn StatusListener,
    ) -> Result<Vec<StatusReport>> {
        let mut reports = Vec::new();
        for held in self.credentials()? {
            let key = format!("{LAST_STATUS}{}", held.id);
            let previous: Option<CredentialStatus> =
                self.store().get(self.store().settings(), &key)?;
            let report = StatusReport {
                status: self.status_of(&held).await,
                credential_id: held.id,
                previous,
            };
            if let Ok(now) = report.status {
                if previous != Some(now) {
                    self.store().put(self.store().settings(), &key, &now)?;
                }
                if report.changed() {
                    self.store().record(&HistoryEntry::StatusChanged {
                        at: crate::wallet::now(),
                        credential_id: report.credential_id.clone(),
                        status: now,
                    })?;
                    listener.status_changed(&report.credential_id, now);
                }
            }
            reports.push(report);
        }
        Ok(reports)
    }

    async fn status_of(
        &self,
        held: &StoredCredential,
    ) -> std::result::Result<CredentialStatus, String> {
        match held.format.as_str() {
            LDP_VC => self.bitstring_status(&held.credential).await,
            SD_JWT_VC => {
                self.token_status(held.credential.as_str().unwrap_or_default())
                    .await
            }
            other => Err(format!(
                "the wallet cannot read the status of a {other} credential"
            )),
        }
    }

    /// The trust registry's DID: the one signer besides a credential's issuer whose status
    /// lists are believed (the framework delegates status to it).
    pub(crate) fn registry_did(&self) -> Option<String> {
        self.options().registry_did.clone().or_else(|| {
            self.options()
                .trust_list_url
                .as_deref()
                .and_then(|url| url.strip_suffix("/trust-list"))
                .and_then(|base| credentials::did::did_web_for_base_url(base).ok())
        })
    }

    /// Refuses a list signed by anyone but the credential's issuer or the registry: anyone
    /// else could say "valid" for a revoked credential.
    fn check_list_signer(
        &self,
        method: &str,
        issuer: Option<&str>,
    ) -> std::result::Result<(), String> {
        let signer = method.split_once('#').map_or(method, |(did, _)| did);
        let registry = self.registry_did();
        if Some(signer) == issuer || Some(signer) == registry.as_deref() {
            Ok(())
        } else {
            Err(format!(
                "the status list is signed by {signer}, neither the issuer nor the trust registry"
            ))
        }
    }

    async fn bitstring_status(
        &self,
        credential: &Value,
    ) -> std::result::Result<CredentialStatus, String> {
        let entries = StatusEntry::all_of(credential).map_err(|e| e.to_string())?;
        if entries.is_empty() {
            return Ok(CredentialStatus::NoStatus);
        }
        let issuer = match credential.get("issuer") {
            Some(Value::String(id)) => Some(id.as_str()),
            Some(issuer) => issuer.get("id").and_then(Value::as_str),
            None => None,
        };
        let (mut revoked, mut suspended) = (false, false);
        for entry in entries {
            let list: Value = self
                .http()
                .get_json(&entry.list_credential)
                .await
                .map_err(|e| e.to_string())?;
            let methods = credentials::securing::verification_methods_named(&list);
            for method in &methods {
                self.check_list_signer(method, issuer)?;
            }
            let dids = crate::dids::WebDids {
                http: self.http().clone(),
            };
            let resolved =
                ResolvedDids::resolve_all(&dids, methods.iter().map(String::as_str)).await;
            let clock = credentials::SystemClock;
            let verdict = credentials::verify_credential(
                &list,
                &credentials::VerificationEnvironment::new(&resolved, &clock),
            )
            .await
            .map_err(|e| e.to_string())?;
            if !verdict.verified() {
                return Err(format!(
                    "the status list {} does not verify",
                    entry.list_credential
                ));
            }
            let set = status_in(&entry, &list).map_err(|e| e.to_string())?;
            match entry.purpose {
                StatusPurpose::Revocation => revoked |= set,
                StatusPurpose::Suspension => suspended |= set,
            }
        }
        Ok(if revoked {
            CredentialStatus::Revoked
        } else if suspended {
            CredentialStatus::Suspended
        } else {
            CredentialStatus::Valid
        })
    }

    async fn token_status(&self, sd_jwt: &str) -> std::result::Result<CredentialStatus, String> {
        let Some(reference) = SdJwtVcVerdict::status_reference_of(sd_jwt) else {
            return Ok(CredentialStatus::NoStatus);
        };
        let token = self
            .http()
            .get_text(&reference.uri)
            .await
            .map_err(|e| e.to_string())?;
        let kid = jwt_header_kid(&token).ok_or("the status list token names no key")?;
        let issuer = SdJwtVcVerdict::issuer_of(sd_jwt)
            .and_then(|iss| credentials::did::did_web_for_base_url(&iss).ok());
        self.check_list_signer(&kid, issuer.as_deref())?;
        let dids = crate::dids::WebDids {
            http: self.http().clone(),
        };
        let resolved = ResolvedDids::resolve_all(&dids, [kid.as_str()]).await;
        let key = resolved
            .public_key(&kid, "assertionMethod")
            .map_err(|e| format!("the status list token's key: {e}"))?;
        let list = read_status_list_token(&token, &reference.uri, &key, chrono::Utc::now())?;
        match list.get(reference.idx) {
            Some(STATUS_VALID) => Ok(CredentialStatus::Valid),
            Some(STATUS_INVALID) => Ok(CredentialStatus::Revoked),
            Some(STATUS_SUSPENDED) => Ok(CredentialStatus::Suspended),
            Some(other) => Err(format!("status {other:#04x} is not one the wallet knows")),
            None => Err("the status index is outside its list".into()),
        }
    }
}

/// The `kid` of a compact JWS header, read unverified to know which key to fetch.
fn jwt_header_kid(token: &str) -> Option<String> {
    use base64::Engine;
    let header = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()?;
    let header: Value = serde_json::from_slice(&bytes).ok()?;
    header.get("kid")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WalletOptions;

    #[test]
    fn a_status_list_is_believed_only_from_the_issuer_or_the_registry() {
        let dir = tempfile::tempdir().unwrap();
        let wallet = Wallet::open(
            dir.path(),
            "a long wallet passphrase",
            WalletOptions {
                allow_loopback_http: true,
                trust_list_url: Some("http://127.0.0.1:8402/trust-list".into()),
                registry_did: None,
            },
        )
        .unwrap();
        let issuer = Some("did:web:127.0.0.1%3A8401");
        assert!(wallet
            .check_list_signer("did:web:127.0.0.1%3A8402#key-1", issuer)
            .is_ok());
        assert!(wallet
            .check_list_signer("did:web:127.0.0.1%3A8401#key-1", issuer)
            .is_ok());
        for stranger in [
            "did:web:127.0.0.1%3A8403#key-1",
            "did:web:127.0.0.1%3A8402:lists#key-1",
            "did:web:127.0.0.1%3A840#key-1",
            "",
        ] {
            assert!(
                wallet.check_list_signer(stranger, issuer).is_err(),
                "{stranger}"
            );
        }
        assert!(wallet
            .check_list_signer("did:web:127.0.0.1%3A8401#key-1", None)
            .is_err());
    }

    #[test]
    fn a_first_reading_tells_only_of_trouble_and_an_unreadable_list_tells_nothing() {
        let report = |status, previous| StatusReport {
            credential_id: "c".into(),
            status,
            previous,
        };
        assert!(!report(Ok(CredentialStatus::Valid), None).changed());
        assert!(!report(Ok(CredentialStatus::NoStatus), None).changed());
        assert!(report(Ok(CredentialStatus::Revoked), None).changed());
        assert!(report(Ok(CredentialStatus::Suspended), None).changed());
        assert!(report(
            Ok(CredentialStatus::Valid),
            Some(CredentialStatus::Suspended)
        )
        .changed());
        assert!(!report(
            Ok(CredentialStatus::Revoked),
            Some(CredentialStatus::Revoked)
        )
        .changed());
        assert!(!report(Err("offline".into()), Some(CredentialStatus::Valid)).changed());
    }
}
