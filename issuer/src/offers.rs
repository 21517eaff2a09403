//! The issuer's OpenID4VCI side, carried out: offers made by a Registration Authority,
//! and the token, nonce and credential endpoints. Every decision is made in
//! [`crate::oid4vci`]; this file reads and writes the store, and issues through the same
//! path as every other issuance (status entries from the registry, signing, one flushed
//! commit of the ledger and the issuance log), so ESR events act on what a wallet
//! collected exactly as on anything else.

use std::sync::Mutex;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::Duration;
use credentials::catalogue::xsd_date_time;
use credentials::{CredentialKind, Cryptosuite};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::{IssuerError, Result};
use crate::esr::EsrPerson;
use crate::issuance::{assignment_of, credentials_for};
use crate::oid4vci::{
    authorization_server_metadata, authorize, check_nonce, configuration_id, issuer_metadata,
    mint_nonce, new_offer, offer_json, offer_uri_by_reference, offer_uri_by_value,
    parse_credential_request, parse_token_request, redeem, token_digest, verify_proof_jwt,
    AccessTokenRecord, Endpoints, Format, FormatProfile, OAuthError, OfferKey, OfferRecord,
    OfferSecrets, OfferState, OfferTerms, ProvenKey,
};
use crate::qr;
use crate::service::Issuer;
use crate::service::SignedForPerson;
use crate::store::{Commit, CredentialState, IssuanceRecord, LedgerEntry};
use credentials::sd_jwt::{issue_sd_jwt_vc_at, Jwk};
use credentials::UnsignedCredential;
use sha2::{Digest, Sha256};

/// Stands in for the wallet's key when an offer works out what the record supports; it
/// never reaches a credential.
const OFFER_PLACEHOLDER_HOLDER: &str = "did:key:z6MkOfferPlaceholder";

/// Lifetimes and limits of the pre-authorized flow.
#[derive(Clone, Debug)]
pub struct Oid4vciSettings {
    /// How long an offer (its code and PIN) can be redeemed.
    pub offer_ttl: Duration,
    /// Wrong PINs allowed before the offer is locked.
    pub max_pin_attempts: u32,
    /// How long an access token can be used at the credential endpoint.
    pub access_token_ttl: Duration,
    /// How long a `c_nonce` can be used.
    pub nonce_ttl: Duration,
}

impl Default for Oid4vciSettings {
    fn default() -> Self {
        Self {
            offer_ttl: Duration::minutes(15),
            max_pin_attempts: 3,
            access_token_ttl: Duration::minutes(10),
            nonce_ttl: Duration::minutes(5),
        }
    }
}

pub(crate) struct Oid4vci {
    endpoints: Endpoints,
    key: OfferKey,
    settings: Oid4vciSettings,
    /// A token request reads, decides on and writes back its offer: one at a time, so two
    /// requests can neither both redeem a code nor both slip past the attempt counter.
    redemption: Mutex<()>,
}

impl Oid4vci {
    pub(crate) fn new(public_base_url: &str, secret: [u8; 32]) -> Self {
        Self {
            endpoints: Endpoints::new(public_base_url),
            key: OfferKey::new(secret),
            settings: Oid4vciSettings::default(),
            redemption: Mutex::new(()),
        }
    }
}

/// What an RA asks to offer: formats (default all we issue) and types (default every type
/// the record supports here).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferRequest {
    pub formats: Option<Vec<String>>,
    pub types: Option<Vec<String>>,
    /// How long the QR code and PIN last, up to the issuer's `offer_ttl_seconds` (the
    /// default): an officer handing it over in person can make it last minutes.
    pub expires_in_seconds: Option<u64>,
    /// The RA making the offer, when the console knows who they are (BR-34); the API's
    /// shared token names no one, so it cannot be sent.
    #[serde(skip)]
    pub created_by: Option<String>,
}

/// The RA's answer: everything to hand the person, once. The PIN is not kept and cannot
/// be shown again.
#[derive(Clone, Debug, Serialize)]
pub struct CreatedOffer {
    pub offer_id: String,
    pub person_id: String,
    pub credential_configuration_ids: Vec<String>,
    /// By reference: what the QR code carries.
    pub offer_uri: String,
    /// By value, for a link sent some other way.
    pub offer_uri_by_value: String,
    pub credential_offer_uri: String,
    pub credential_offer: Value,
    /// The PIN, to give the person separately from the QR code.
    pub tx_code: String,
    pub expires_at: String,
    pub max_pin_attempts: u32,
    /// The QR code of `offer_uri` as a PNG, base64.
    pub qr_png: String,
    /// The same QR code as SVG, to put inline in a page.
    pub qr_svg: String,
    pub qr_png_url: String,
    pub qr_svg_url: String,
    pub status_url: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QrImage {
    Png,
    Svg,
}

impl Issuer {
    pub fn with_oid4vci_settings(mut self, settings: Oid4vciSettings) -> Self {
        self.oid4vci.settings = settings;
        self
    }

    fn offer_lifetime(&self, asked_seconds: Option<u64>) -> Result<Duration> {
        let longest = self.oid4vci.settings.offer_ttl;
        let Some(asked) = asked_seconds else {
            return Ok(longest);
        };
        match i64::try_from(asked) {
            Ok(seconds) if seconds >= 1 && seconds <= longest.num_seconds() => {
                Ok(Duration::seconds(seconds))
            }
            _ => Err(IssuerError::BadRequest(format!(
                "expires_in_seconds must be from 1 to {} (this issuer's offer lifetime)",
                longest.num_seconds()
            ))),
        }
    }

    /// The formats this issuer offers.
    pub fn oid4vci_formats(&self) -> Vec<Format> {
        vec![Format::LdpVc, Format::DcSdJwt]
    }

    fn format_profiles(&self) -> Vec<FormatProfile> {
        self.oid4vci_formats()
            .into_iter()
            .map(|format| FormatProfile {
                format,
                vct: credentials::vocabulary::vct,
            })
            .collect()
    }

    pub fn credential_issuer_metadata(&self) -> Value {
        issuer_metadata(
            &self.oid4vci.endpoints,
            &self.organisation.name,
            &self.format_profiles(),
        )
    }

    pub fn authorization_server_metadata(&self) -> Value {
        authorization_server_metadata(&self.oid4vci.endpoints)
    }

    /// An RA offers a person's credentials to their wallet: a pre-authorized code, a PIN,
    /// the offer URI and its QR code. Stored (flushed) before it is returned.
    pub fn create_offer(&self, person_id: &str, request: &OfferRequest) -> Result<CreatedOffer> {
        let person = self.stored_person(person_id)?;
        let offered = self.oid4vci_formats();
        let formats: Vec<Format> = match &request.formats {
            None => offered.clone(),
            Some(names) => {
                let mut formats = Vec::new();
                for name in names {
                    let format = Format::from_name(name)
                        .filter(|f| offered.contains(f))
                        .ok_or_else(|| {
                            IssuerError::BadRequest(format!(
                                "format {name} is not offered here (offered: {})",
                                offered
                                    .iter()
                                    .map(|f| f.name())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ))
                        })?;
                    if !formats.contains(&format) {
                        formats.push(format);
                    }
                }
                formats
            }
        };
        if formats.is_empty() {
            return Err(IssuerError::BadRequest(
                "formats, when given, must name at least one format".into(),
            ));
        }
        let supported = self.offerable_kinds(&person)?;
        let kinds: Vec<CredentialKind> = match &request.types {
            None => supported.clone(),
            Some(names) => {
                let mut kinds = Vec::new();
                for name in names {
                    let kind = CredentialKind::from_type_name(name).ok_or_else(|| {
                        IssuerError::BadRequest(format!("unknown credential type {name}"))
                    })?;
                    if !supported.contains(&kind) {
                        return Err(IssuerError::NotIssuable(format!(
                            "{person_id}'s record supports no {name} from {}",
                            self.organisation.ods_code
                        )));
                    }
                    if !kinds.contains(&kind) {
                        kinds.push(kind);
                    }
                }
                kinds
            }
        };
        if kinds.is_empty() {
            return Err(IssuerError::BadRequest(
                "types, when given, must name at least one type".into(),
            ));
        }
        let configuration_ids = kinds
            .iter()
            .flat_map(|kind| {
                formats
                    .iter()
                    .map(|format| configuration_id(*kind, *format))
            })
            .collect();
        let ttl = self.offer_lifetime(request.expires_in_seconds)?;
        let now = self.clock.now();
        let created = new_offer(
            OfferTerms {
                person_id,
                configuration_ids,
                now,
                ttl,
                max_pin_attempts: self.oid4vci.settings.max_pin_attempts,
            },
            &OfferSecrets::random(&mut rand::rngs::OsRng),
            &self.oid4vci.key,
        );
        let mut record = created.record;
        record.created_by = request.created_by.clone();
        let endpoints = &self.oid4vci.endpoints;
        let credential_offer = offer_json(endpoints, &record);
        let credential_offer_uri = endpoints.offer(&record.offer_id);
        let offer_uri = offer_uri_by_reference(&credential_offer_uri);
        let qr_png = STANDARD.encode(qr::png(&offer_uri)?);
        let qr_svg = qr::svg(&offer_uri)?;
        self.store.put_offer(&record)?;
        tracing::info!(
            person_id,
            configurations = record.credential_configuration_ids.len(),
            "credential offer created"
        );
        let admin = format!(
            "{}/admin/offers/{}",
            endpoints.credential_issuer(),
            record.offer_id
        );
        Ok(CreatedOffer {
            offer_uri_by_value: offer_uri_by_value(&credential_offer),
            offer_uri,
            credential_offer_uri,
            credential_offer,
            tx_code: created.tx_code,
            expires_at: xsd_date_time(&record.expires_at),
            max_pin_attempts: record.max_pin_attempts,
            qr_png,
            qr_svg,
            qr_png_url: format!("{admin}/qr.png"),
            qr_svg_url: format!("{admin}/qr.svg"),
            status_url: admin,
            offer_id: record.offer_id,
            person_id: record.person_id,
            credential_configuration_ids: record.credential_configuration_ids,
        })
    }

    /// The credential types a person's record supports here, which an offer can carry.
    pub fn offerable_types(&self, person_id: &str) -> Result<Vec<CredentialKind>> {
        self.offerable_kinds(&self.stored_person(person_id)?)
    }

    fn offerable_kinds(&self, person: &EsrPerson) -> Result<Vec<CredentialKind>> {
        // The wallet's key is known only when it asks; some types need one (a remote
        // signing credential certifies it), so ask as if a key were there.
        let as_if_bound = Some(OFFER_PLACEHOLDER_HOLDER.to_owned());
        let unsigned = credentials_for(person, &self.issuance_context(as_if_bound))?;
        Ok(CredentialKind::ALL
            .into_iter()
            .filter(|kind| unsigned.iter().any(|c| c.kind() == *kind))
            .collect())
    }

    /// The longest an offer may last here (`offer_ttl_seconds`).
    pub fn longest_offer_seconds(&self) -> i64 {
        self.oid4vci.settings.offer_ttl.num_seconds()
    }

    fn stored_person(&self, person_id: &str) -> Result<EsrPerson> {
        serde_json::from_value(self.person(person_id)?)
            .map_err(|e| IssuerError::Store(format!("stored record unreadable: {e}")))
    }

    fn pending_offer(&self, offer_id: &str) -> Result<OfferRecord> {
        let offer = self
            .store
            .offer(offer_id)?
            .ok_or_else(|| IssuerError::NotFound("no such credential offer".into()))?;
        match offer.status(self.clock.now()) {
            "pending" => Ok(offer),
            status => Err(IssuerError::NotFound(format!(
                "this credential offer is {status}; ask your Registration Authority for a new one"
            ))),
        }
    }

    /// The offer by reference (§4.1.3), while it can still be redeemed.
    pub fn offer_document(&self, offer_id: &str) -> Result<Value> {
        let offer = self.pending_offer(offer_id)?;
        Ok(offer_json(&self.oid4vci.endpoints, &offer))
    }

    /// Where an offer stands, for the RA (never the code or the PIN).
    pub fn offer_status(&self, offer_id: &str) -> Result<Value> {
        let (offer, status) = self.offer_record(offer_id)?;
        Ok(json!({
            "offer_id": offer.offer_id,
            "person_id": offer.person_id,
            "credential_configuration_ids": offer.credential_configuration_ids,
            "status": status,
            "created_at": xsd_date_time(&offer.created_at),
            "expires_at": xsd_date_time(&offer.expires_at),
            "wrong_pin_attempts": offer.wrong_pin_attempts,
            "max_pin_attempts": offer.max_pin_attempts,
            "redeemed_at": offer.redeemed_at.as_ref().map(xsd_date_time),
        }))
    }

    /// A person's offers, newest first (never a code or a PIN leaves through this: the
    /// console shows only their status).
    pub fn offers_for(&self, person_id: &str) -> Result<Vec<OfferRecord>> {
        self.person(person_id)?;
        self.store.offers_for(person_id)
    }

    /// An offer's record and where it stands now.
    pub fn offer_record(&self, offer_id: &str) -> Result<(OfferRecord, &'static str)> {
        let offer = self
            .store
            .offer(offer_id)?
            .ok_or_else(|| IssuerError::NotFound("no such credential offer".into()))?;
        let status = offer.status(self.clock.now());
        Ok((offer, status))
    }

    /// The link an offer's QR code carries.
    pub fn offer_link(&self, offer_id: &str) -> String {
        offer_uri_by_reference(&self.oid4vci.endpoints.offer(offer_id))
    }

    /// The offer's QR code again, while it can be redeemed.
    pub fn offer_qr(&self, offer_id: &str, image: QrImage) -> Result<Vec<u8>> {
        let offer = self.pending_offer(offer_id)?;
        let uri = self.offer_link(&offer.offer_id);
        match image {
            QrImage::Png => qr::png(&uri),
            QrImage::Svg => qr::svg(&uri).map(String::into_bytes),
        }
    }

    /// The token endpoint (§6): a pre-authorized code and its PIN for an access token.
    pub fn token(&self, body: &[u8]) -> std::result::Result<Value, OAuthError> {
        let request = parse_token_request(body)?;
        let _one_at_a_time = self
            .oid4vci
            .redemption
            .lock()
            .map_err(|_| server_error(IssuerError::Store("redemption lock poisoned".into())))?;
        let mut offer = self
            .store
            .offer_for_code(&request.pre_authorized_code)
            .map_err(server_error)?
            .ok_or_else(|| OAuthError::invalid_grant("the pre-authorized code is not valid"))?;
        let before = offer.clone();
        let now = self.clock.now();
        match redeem(
            &mut offer,
            request.tx_code.as_deref(),
            now,
            &self.oid4vci.key,
        ) {
            Ok(()) => {
                let mut secret = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut secret);
                let access_token = URL_SAFE_NO_PAD.encode(secret);
                let ttl = self.oid4vci.settings.access_token_ttl;
                let grant = AccessTokenRecord {
                    offer_id: offer.offer_id.clone(),
                    person_id: offer.person_id.clone(),
                    credential_configuration_ids: offer.credential_configuration_ids.clone(),
                    issued: Vec::new(),
                    expires_at: now + ttl,
                };
                self.store
                    .record_redemption(&offer, Some((&token_digest(&access_token), &grant)))
                    .map_err(server_error)?;
                tracing::info!(person_id = %offer.person_id, "credential offer redeemed");
                Ok(json!({
                    "access_token": access_token,
                    "token_type": "Bearer",
                    "expires_in": ttl.num_seconds(),
                }))
            }
            Err(refusal) => {
                if offer != before {
                    self.store
                        .record_redemption(&offer, None)
                        .map_err(server_error)?;
                }
                if offer.state == OfferState::Locked && before.state != OfferState::Locked {
                    tracing::warn!(person_id = %offer.person_id, "credential offer locked after wrong PINs");
                }
                Err(refusal)
            }
        }
    }

    /// The nonce endpoint (§7): a fresh `c_nonce`, written nowhere until a proof spends it.
    pub fn nonce(&self) -> Value {
        let mut random = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut random);
        let nonce = mint_nonce(
            &self.oid4vci.key,
            self.clock.now(),
            self.oid4vci.settings.nonce_ttl,
            random,
        );
        json!({ "c_nonce": nonce })
    }

    /// The credential endpoint (§8): checks the access token, the request and its key
    /// proof, spends the nonce, then issues the configuration's credentials bound to the
    /// proven key. A record with two posts has two employment credentials: both are
    /// returned, bound to the one key.
    pub async fn credential(
        &self,
        authorization: Option<&str>,
        body: &[u8],
    ) -> std::result::Result<Value, OAuthError> {
        let access_token = bearer(authorization)?;
        let digest = token_digest(access_token);
        let grant = self.store.access_token(&digest).map_err(server_error)?;
        let request = parse_credential_request(body, &self.oid4vci_formats())?;
        let now = self.clock.now();
        authorize(grant.as_ref(), &request.configuration_id, now)?;
        let proven = verify_proof_jwt(
            &request.proof_jwt,
            self.oid4vci.endpoints.credential_issuer(),
            now,
        )?;
        let nonce_expires = check_nonce(&self.oid4vci.key, &proven.nonce, now)?;
        if !self
            .store
            .spend_nonce(&proven.nonce, nonce_expires, now)
            .map_err(server_error)?
        {
            return Err(OAuthError::invalid_nonce(
                "the c_nonce has already been used; fetch a new one from the nonce endpoint",
            ));
        }
        let _lifecycle = self.lifecycle.lock().await;
        // Read again under the lock: a parallel request may have issued this meanwhile.
        let mut grant = self.store.access_token(&digest).map_err(server_error)?;
        authorize(grant.as_ref(), &request.configuration_id, now)?;
        let Some(grant) = grant.as_mut() else {
            return Err(OAuthError::invalid_token("the access token is not valid"));
        };
        let person = self.stored_person(&grant.person_id).map_err(denied)?;
        let unsigned: Vec<_> =
            credentials_for(&person, &self.issuance_context(Some(proven.did.clone())))
                .map_err(denied)?
                .into_iter()
                .filter(|c| c.kind() == request.kind)
                .collect();
        if unsigned.is_empty() {
            return Err(OAuthError::new(
                400,
                "credential_request_denied",
                format!(
                    "the record no longer supports a {} from this issuer",
                    request.kind.type_name()
                ),
            ));
        }
        let credentials = match request.format {
            Format::LdpVc => {
                let cause = format!("oid4vci-offer:{}", grant.offer_id);
                let signed = self
                    .sign_for_person(
                        &person,
                        unsigned,
                        Cryptosuite::EddsaRdfc2022,
                        Some(proven.did.clone()),
                        Some(&cause),
                    )
                    .await
                    .map_err(server_error)?;
                self.store
                    .commit(&Commit {
                        ledger: signed.ledger,
                        issuances: signed.records,
                        ..Commit::default()
                    })
                    .map_err(server_error)?;
                signed.credentials
            }
            Format::DcSdJwt => {
                let signed = self
                    .sign_sd_jwt_for_person(&person, unsigned, &proven, &grant.offer_id)
                    .await
                    .map_err(server_error)?;
                self.store
                    .commit(&Commit {
                        ledger: signed.ledger,
                        issuances: signed.records,
                        ..Commit::default()
                    })
                    .map_err(server_error)?;
                signed.credentials
            }
        };
        // After the commit: should this write be lost, the wallet got no answer either,
        // and asking again issues afresh rather than leaving it with nothing.
        grant.issued.push(request.configuration_id.clone());
        self.store
            .put_access_token(&digest, grant)
            .map_err(server_error)?;
        tracing::info!(
            person_id = %grant.person_id,
            configuration = %request.configuration_id,
            count = credentials.len(),
            "credentials issued to a wallet"
        );
        Ok(json!({
            "credentials": credentials
                .into_iter()
                .map(|credential| json!({ "credential": credential }))
                .collect::<Vec<_>>(),
        }))
    }
}

impl Issuer {
    /// SD-JWT VCs bound to the proven key (`cnf.jwk`), each with its own Token Status
    /// List entry from the trust registry (`status`, ADR 0005), in the ledger like any
    /// other credential, so ESR events revoke or suspend them at the registry.
    async fn sign_sd_jwt_for_person(
        &self,
        person: &EsrPerson,
        unsigned: Vec<UnsignedCredential>,
        proven: &ProvenKey,
        offer_id: &str,
    ) -> Result<SignedForPerson> {
        let holder_jwk = Jwk::ed25519(&proven.key);
        let issued_at = xsd_date_time(&self.clock.now());
        let mut signed_for = SignedForPerson::default();
        for credential in unsigned {
            let status = match &self.status {
                Some(registry) => Some(registry.allocate_token_status(&credential.id).await?),
                None => None,
            };
            let sd_jwt = issue_sd_jwt_vc_at(
                &credential,
                self.signer(),
                Some(&holder_jwk),
                status.as_ref(),
                self.clock.now(),
            )?;
            let kind = credential.kind();
            signed_for.records.push(IssuanceRecord {
                credential_id: credential.id.clone(),
                credential_type: kind.type_name().to_owned(),
                subject: Some(credential.subject.care_identity_uuid().to_string()),
                holder: Some(proven.did.clone()),
                person_id: Some(person.person_id.clone()),
                issued_at: issued_at.clone(),
                cryptosuite: Format::DcSdJwt.name().to_owned(),
                sha256: hex::encode(Sha256::digest(sd_jwt.as_bytes())),
            });
            signed_for.ledger.push(LedgerEntry {
                credential_id: credential.id.clone(),
                credential_type: kind.type_name().to_owned(),
                person_id: person.person_id.clone(),
                assignment_number: assignment_of(
                    &credential.subject,
                    person,
                    &self.organisation.ods_code,
                ),
                holder: Some(proven.did.clone()),
                issued_at: issued_at.clone(),
                issued_for: Some(format!("oid4vci-offer:{offer_id}")),
                state: CredentialState::Active,
                history: Vec::new(),
                credential: Value::String(sd_jwt.clone()),
            });
            signed_for.credentials.push(Value::String(sd_jwt));
        }
        Ok(signed_for)
    }
}

/// `Authorization: Bearer <token>` (RFC 6750 §2.1; the scheme is case-insensitive).
fn bearer(authorization: Option<&str>) -> std::result::Result<&str, OAuthError> {
    let missing =
        || OAuthError::invalid_token("an access token is required: Authorization: Bearer <token>");
    let value = authorization.ok_or_else(missing)?;
    let (scheme, token) = value.split_once(' ').ok_or_else(missing)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(missing());
    }
    Ok(token)
}

/// Our failure, not the wallet's: logged here, and the answer says nothing internal.
fn server_error(error: IssuerError) -> OAuthError {
    match error {
        IssuerError::Registry(detail) => {
            tracing::error!(%detail, "trust registry call failed during OpenID4VCI issuance");
            OAuthError::new(
                503,
                "temporarily_unavailable",
                "the trust registry is unavailable; nothing was issued, try again",
            )
        }
        other => {
            tracing::error!(error = %other, "OpenID4VCI request failed");
            OAuthError::new(
                500,
                "server_error",
                "the issuer could not complete the request",
            )
        }
    }
}

/// The record no longer supports what was offered (e.g. the person left meanwhile).
fn denied(error: IssuerError) -> OAuthError {
    match error {
        IssuerError::NotIssuable(detail) => {
            OAuthError::new(400, "credential_request_denied", detail)
        }
        IssuerError::UnknownPerson(_) => OAuthError::new(
            400,
            "credential_request_denied",
            "the person offered these credentials is no longer on record here",
        ),
        other => server_error(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_case_insensitively_and_never_empty() {
        assert_eq!(bearer(Some("Bearer abc")).unwrap(), "abc");
        assert_eq!(bearer(Some("bearer abc")).unwrap(), "abc");
        for bad in [
            None,
            Some("Basic abc"),
            Some("Bearer "),
            Some("Bearer"),
            Some(""),
        ] {
            let error = bearer(bad).unwrap_err();
            assert_eq!((error.status, error.error), (401, "invalid_token"));
        }
    }

    #[test]
    fn internal_failures_say_nothing_internal() {
        let error = server_error(IssuerError::Store("disk /var/x full".into()));
        assert_eq!((error.status, error.error), (500, "server_error"));
        assert!(!error.description.contains("/var/x"));
        let registry = server_error(IssuerError::Registry("connect refused 10.0.0.1".into()));
        assert_eq!(registry.status, 503);
        assert!(!registry.description.contains("10.0.0.1"));
    }
}
