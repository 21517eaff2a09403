//! OpenID for Verifiable Credential Issuance 1.0 (final), pre-authorized code flow: the
//! wire messages and every decision the token, nonce and credential endpoints make, as
//! pure functions of (request, stored state, secret, clock). No I/O, no axum.
//!
//! Typed serde messages of our own rather than a crate: the Rust OpenID4VCI crates follow
//! the drafts (a single `proof`, `c_nonce` in the token response, `vc+sd-jwt`), not 1.0.
//!
//! Section numbers are those of the 1.0 final text (`../shared/notes/protocol-crib.md` §1).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, TimeZone, Utc};
use credentials::did::{did_key, ed25519_from_multibase};
use credentials::vocabulary::{CONTEXT_URL, VC_V2_CONTEXT_URL};
use credentials::CredentialKind;
use ed25519_dalek::{Signature, VerifyingKey};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub const PRE_AUTHORIZED_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
/// App. F.1: the `typ` of a JWT key proof.
pub const PROOF_JWT_TYPE: &str = "openid4vci-proof+jwt";
/// §12.1.1: the scheme for an offer when the wallet's own endpoint is unknown.
pub const OFFER_SCHEME: &str = "openid-credential-offer://";
/// The only proof signing algorithm we accept (Ed25519 keys, as the wallet holds).
pub const PROOF_ALG: &str = "EdDSA";
/// The PIN is six digits, typed by a person from a letter or a text message.
pub const TX_CODE_LENGTH: usize = 6;

/// A proof's `iat` may be this far in the future (clock skew between phone and server).
const IAT_FUTURE_SKEW_SECONDS: i64 = 60;
/// ...and at most this old: the nonce bounds freshness too, this bounds a stale signature.
const IAT_MAX_AGE_SECONDS: i64 = 300;

/// The credential formats we issue (App. A.1.2 and A.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Format {
    #[serde(rename = "ldp_vc")]
    LdpVc,
    #[serde(rename = "dc+sd-jwt")]
    DcSdJwt,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::LdpVc, Format::DcSdJwt];

    pub fn name(self) -> &'static str {
        match self {
            Format::LdpVc => "ldp_vc",
            Format::DcSdJwt => "dc+sd-jwt",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The suffix of a configuration id: `dc+sd-jwt` without the characters that would
    /// need escaping wherever an id travels in a URL or a file name.
    fn id_suffix(self) -> &'static str {
        match self {
            Format::LdpVc => "ldp_vc",
            Format::DcSdJwt => "dc_sd_jwt",
        }
    }
}

/// `EmploymentCredential_ldp_vc`, `EmploymentCredential_dc_sd_jwt`: one configuration per
/// catalogue type and format.
pub fn configuration_id(kind: CredentialKind, format: Format) -> String {
    format!("{}_{}", kind.type_name(), format.id_suffix())
}

pub fn parse_configuration_id(id: &str) -> Option<(CredentialKind, Format)> {
    CredentialKind::ALL.into_iter().find_map(|kind| {
        Format::ALL
            .into_iter()
            .find(|format| configuration_id(kind, *format) == id)
            .map(|format| (kind, format))
    })
}

/// The issuer's OAuth and OpenID4VCI URLs, all under its public base URL (which is also
/// the Credential Issuer Identifier, §12.2.1).
#[derive(Clone, Debug)]
pub struct Endpoints {
    base: String,
}

impl Endpoints {
    pub fn new(public_base_url: &str) -> Self {
        Self {
            base: public_base_url.trim_end_matches('/').to_owned(),
        }
    }

    pub fn credential_issuer(&self) -> &str {
        &self.base
    }

    pub fn token(&self) -> String {
        format!("{}/token", self.base)
    }

    pub fn nonce(&self) -> String {
        format!("{}/nonce", self.base)
    }

    pub fn credential(&self) -> String {
        format!("{}/credential", self.base)
    }

    /// Where the wallet fetches an offer by reference (§4.1.3).
    pub fn offer(&self, offer_id: &str) -> String {
        format!("{}/offers/{offer_id}", self.base)
    }
}

/// How a format's configurations are described; the SD-JWT VC part comes from the
/// `credentials` crate (its `vct` and claim names), so it is passed in.
pub struct FormatProfile {
    pub format: Format,
    /// `vct` per type (dc+sd-jwt only).
    pub vct: fn(CredentialKind) -> String,
}

/// Credential Issuer Metadata (§12.2.4) for every catalogue type in each format offered.
pub fn issuer_metadata(
    endpoints: &Endpoints,
    issuer_name: &str,
    formats: &[FormatProfile],
) -> Value {
    let mut configurations = Map::new();
    for profile in formats {
        for kind in CredentialKind::ALL {
            configurations.insert(
                configuration_id(kind, profile.format),
                configuration(kind, profile),
            );
        }
    }
    json!({
        "credential_issuer": endpoints.credential_issuer(),
        "credential_endpoint": endpoints.credential(),
        "nonce_endpoint": endpoints.nonce(),
        "display": [{"name": issuer_name, "locale": "en-GB"}],
        "credential_configurations_supported": configurations,
    })
}

fn configuration(kind: CredentialKind, profile: &FormatProfile) -> Value {
    let about = describe(kind);
    let proof_types = json!({"jwt": {"proof_signing_alg_values_supported": [PROOF_ALG]}});
    let display = json!([{
        "name": about.name,
        "locale": "en-GB",
        "description": about.description,
        "background_color": "#005EB8",
        "text_color": "#FFFFFF",
    }]);
    match profile.format {
        Format::LdpVc => {
            let claims: Vec<Value> = about
                .claims
                .iter()
                .map(|(name, label, mandatory)| {
                    json!({
                        "path": ["credentialSubject", name],
                        "mandatory": mandatory,
                        "display": [{"name": label, "locale": "en-GB"}],
                    })
                })
                .collect();
            json!({
                "format": Format::LdpVc.name(),
                "credential_definition": {
                    "@context": [VC_V2_CONTEXT_URL, CONTEXT_URL],
                    "type": ["VerifiableCredential", kind.type_name()],
                },
                "cryptographic_binding_methods_supported": ["did:key"],
                "credential_signing_alg_values_supported": ["eddsa-rdfc-2022"],
                "proof_types_supported": proof_types,
                "credential_metadata": {"display": display, "claims": claims},
            })
        }
        Format::DcSdJwt => {
            let claims: Vec<Value> = about
                .claims
                .iter()
                .map(|(name, label, mandatory)| {
                    json!({
                        "path": [name],
                        "mandatory": mandatory,
                        "display": [{"name": label, "locale": "en-GB"}],
                    })
                })
                .collect();
            json!({
                "format": Format::DcSdJwt.name(),
                "vct": (profile.vct)(kind),
                "cryptographic_binding_methods_supported": ["jwk"],
                "credential_signing_alg_values_supported": [PROOF_ALG],
                "proof_types_supported": proof_types,
                "credential_metadata": {"display": display, "claims": claims},
            })
        }
    }
}

/// RFC 8414 metadata of the issuer's own authorization server (§12.3): pre-authorized
/// code grant only, no client authentication (a wallet is a public client).
pub fn authorization_server_metadata(endpoints: &Endpoints) -> Value {
    json!({
        "issuer": endpoints.credential_issuer(),
        "token_endpoint": endpoints.token(),
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": true,
    })
}

struct About {
    name: &'static str,
    description: &'static str,
    /// The subject's claims: JSON name, what a wallet shows, always present.
    claims: &'static [(&'static str, &'static str, bool)],
}

/// What people call a credential type: the name a wallet shows from the metadata, and
/// the RA console too.
pub fn display_name(kind: CredentialKind) -> &'static str {
    describe(kind).name
}

const UUID: (&str, &str, bool) = ("careIdentityUuid", "Care Identity UUID", true);

fn describe(kind: CredentialKind) -> About {
    match kind {
        CredentialKind::CareIdentity => About {
            name: "NHS Care Identity",
            description: "Who you are: your Care Identity, verified by a Registration Authority",
            claims: &[
                UUID,
                ("givenName", "Given name", true),
                ("middleNames", "Middle names", false),
                ("familyName", "Family name", true),
                ("identityProofing", "Identity checked by", true),
            ],
        },
        CredentialKind::Employment => About {
            name: "NHS employment",
            description: "A post you hold with an NHS employer, from ESR",
            claims: &[
                UUID,
                ("employer", "Employer", true),
                ("assignmentNumber", "ESR assignment number", true),
                ("primaryAssignment", "Primary assignment", true),
                ("positionNumber", "Position number", true),
                ("positionTitle", "Position", true),
                ("staffGroup", "Staff group", true),
                ("startDate", "Start date", true),
                ("endDate", "End date", false),
            ],
        },
        CredentialKind::Role => About {
            name: "NHS RBAC role",
            description: "A national RBAC role: what you may do in NHS systems",
            claims: &[
                UUID,
                ("personRoleId", "Role profile id", true),
                ("organisation", "Organisation", true),
                ("jobRole", "Job role", true),
                ("activities", "Activities", true),
                ("workgroups", "Workgroups", false),
                ("grantedVia", "Granted via", true),
            ],
        },
        CredentialKind::ProfessionalRegistration => About {
            name: "Professional registration",
            description: "Your registration with a professional regulator, as checked",
            claims: &[
                UUID,
                ("regulator", "Regulator", true),
                ("registrationNumber", "Registration number", true),
                ("registrationStatus", "Registration status", true),
                ("registrationType", "Registration type", false),
                ("renewalDue", "Renewal due", false),
                ("registerCheckedOn", "Register checked on", true),
                ("registerCheckMethod", "How the register was checked", true),
            ],
        },
        CredentialKind::EmploymentChecks => About {
            name: "NHS employment checks",
            description: "The NHS Employment Check Standards you have met",
            claims: &[
                UUID,
                ("checkedBy", "Checked by", true),
                ("checks", "Employment checks", true),
                ("training", "Statutory and mandatory training", false),
                ("occupationalHealth", "Occupational health", false),
            ],
        },
        CredentialKind::Smartcard => About {
            name: "NHS smartcard",
            description: "Your smartcard and its certificates",
            claims: &[
                UUID,
                ("cardSerial", "Card serial number", true),
                ("cardType", "Card type", true),
                ("certificates", "Certificates", true),
                ("authenticatorAssurance", "Authenticator assurance", true),
            ],
        },
        CredentialKind::RemoteSigning => About {
            name: "Remote signing",
            description: "Sign prescriptions without a smartcard",
            claims: &[
                UUID,
                ("signingKey", "Signing key", true),
                ("signingScope", "Signing scope", true),
                ("prescriberType", "Prescriber type", true),
                ("registration", "Professional registration", true),
                ("personRoleId", "Role profile id", true),
                ("organisation", "Organisation", true),
                ("prescribingActivities", "Prescribing activities", true),
            ],
        },
    }
}

// ---------------------------------------------------------------------------------------
// Offers (§4.1) and the pre-authorized code's redemption at the token endpoint (§6).

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferState {
    /// Waiting for the wallet; redeemable until it expires.
    Pending,
    /// The pre-authorized code was exchanged for an access token (single use).
    Redeemed,
    /// Too many wrong PINs: the code can no longer be redeemed.
    Locked,
}

/// An offer as stored. The PIN itself is never stored, only a MAC of it under the
/// issuer's OpenID4VCI secret and a per-offer salt: it is six digits, so a plain hash would
/// give it away; online guessing is bounded by the attempt counter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OfferRecord {
    pub offer_id: String,
    pub person_id: String,
    pub credential_configuration_ids: Vec<String>,
    /// Kept to serve the offer by reference; it is useless without the PIN, single use,
    /// and short-lived.
    pub pre_authorized_code: String,
    pub tx_code_salt: String,
    pub tx_code_mac: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub wrong_pin_attempts: u32,
    pub max_pin_attempts: u32,
    pub state: OfferState,
    #[serde(default)]
    pub redeemed_at: Option<DateTime<Utc>>,
    /// The Care Identity UUID of the RA who made the offer in the console (BR-34); none
    /// when it came through the API's shared token.
    #[serde(default)]
    pub created_by: Option<String>,
}

impl OfferRecord {
    /// `pending`, `redeemed`, `locked` or `expired`, as the RA sees it.
    pub fn status(&self, now: DateTime<Utc>) -> &'static str {
        match self.state {
            OfferState::Pending if now >= self.expires_at => "expired",
            OfferState::Pending => "pending",
            OfferState::Redeemed => "redeemed",
            OfferState::Locked => "locked",
        }
    }
}

/// A new offer and the PIN to give the person (once; only its MAC is stored).
pub struct NewOffer {
    pub record: OfferRecord,
    pub tx_code: String,
}

/// What randomness an offer needs, drawn by the caller so this stays testable.
pub struct OfferSecrets {
    pub offer_id: [u8; 16],
    pub pre_authorized_code: [u8; 32],
    pub salt: [u8; 16],
    /// Below 10^6: the PIN's digits.
    pub pin: u32,
}

impl OfferSecrets {
    pub fn random(rng: &mut impl rand::Rng) -> Self {
        let mut secrets = Self {
            offer_id: [0; 16],
            pre_authorized_code: [0; 32],
            salt: [0; 16],
            pin: rng.gen_range(0..1_000_000),
        };
        rng.fill_bytes(&mut secrets.offer_id);
        rng.fill_bytes(&mut secrets.pre_authorized_code);
        rng.fill_bytes(&mut secrets.salt);
        secrets
    }
}

pub struct OfferTerms<'a> {
    pub person_id: &'a str,
    pub configuration_ids: Vec<String>,
    pub now: DateTime<Utc>,
    pub ttl: Duration,
    pub max_pin_attempts: u32,
}

pub fn new_offer(terms: OfferTerms<'_>, secrets: &OfferSecrets, key: &OfferKey) -> NewOffer {
    let tx_code = format!(
        "{:0width$}",
        secrets.pin % 1_000_000,
        width = TX_CODE_LENGTH
    );
    let salt = hex::encode(secrets.salt);
    let record = OfferRecord {
        offer_id: URL_SAFE_NO_PAD.encode(secrets.offer_id),
        person_id: terms.person_id.to_owned(),
        credential_configuration_ids: terms.configuration_ids,
        pre_authorized_code: URL_SAFE_NO_PAD.encode(secrets.pre_authorized_code),
        tx_code_mac: hex::encode(key.pin_mac(&salt, &tx_code)),
        tx_code_salt: salt,
        created_at: terms.now,
        expires_at: terms.now + terms.ttl,
        wrong_pin_attempts: 0,
        max_pin_attempts: terms.max_pin_attempts.max(1),
        state: OfferState::Pending,
        redeemed_at: None,
        created_by: None,
    };
    NewOffer { record, tx_code }
}

/// The Credential Offer object (§4.1.1): pre-authorized code grant, with a numeric PIN.
pub fn offer_json(endpoints: &Endpoints, offer: &OfferRecord) -> Value {
    json!({
        "credential_issuer": endpoints.credential_issuer(),
        "credential_configuration_ids": offer.credential_configuration_ids,
        "grants": {
            PRE_AUTHORIZED_GRANT: {
                "pre-authorized_code": offer.pre_authorized_code,
                "tx_code": {
                    "input_mode": "numeric",
                    "length": TX_CODE_LENGTH,
                    "description": "Enter the 6-digit PIN your Registration Authority gave you",
                },
            },
        },
    })
}

/// `openid-credential-offer://?credential_offer_uri=…` (§4.1.3): what the QR code carries;
/// short, so the code stays easy for a phone camera.
pub fn offer_uri_by_reference(offer_url: &str) -> String {
    format!(
        "{OFFER_SCHEME}?{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("credential_offer_uri", offer_url)
            .finish()
    )
}

/// `openid-credential-offer://?credential_offer=…` (§4.1.2): the offer itself, for a link.
pub fn offer_uri_by_value(offer: &Value) -> String {
    format!(
        "{OFFER_SCHEME}?{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("credential_offer", &offer.to_string())
            .finish()
    )
}

/// A Token Request (§6.1), read from its form body.
#[derive(Debug, PartialEq)]
pub struct TokenRequest {
    pub pre_authorized_code: String,
    pub tx_code: Option<String>,
}

pub fn parse_token_request(body: &[u8]) -> Result<TokenRequest, OAuthError> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for (name, value) in form_urlencoded::parse(body) {
        // RFC 6749 §3.2: parameters MUST NOT be included more than once.
        if fields.iter().any(|(seen, _)| *seen == name) {
            return Err(OAuthError::invalid_request(format!(
                "the parameter {name} is repeated"
            )));
        }
        fields.push((name.into_owned(), value.into_owned()));
    }
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    match field("grant_type") {
        None => {
            return Err(OAuthError::invalid_request(
                "grant_type is required (a form-encoded body)",
            ))
        }
        Some(PRE_AUTHORIZED_GRANT) => {}
        Some(_) => {
            return Err(OAuthError::new(
                400,
                "unsupported_grant_type",
                format!("this authorization server supports only {PRE_AUTHORIZED_GRANT}"),
            ))
        }
    }
    if field("authorization_details").is_some() {
        return Err(OAuthError::new(
            400,
            "invalid_authorization_details",
            "authorization_details is not supported: ask by credential_configuration_id",
        ));
    }
    let code = field("pre-authorized_code")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| OAuthError::invalid_request("pre-authorized_code is required"))?;
    Ok(TokenRequest {
        pre_authorized_code: code.to_owned(),
        tx_code: field("tx_code").map(str::to_owned),
    })
}

/// Redeems an offer's pre-authorized code with its PIN. The offer is changed in every
/// case that must be remembered (a wrong PIN counts; the last allowed one locks it); the
/// caller stores it whatever the result.
pub fn redeem(
    offer: &mut OfferRecord,
    tx_code: Option<&str>,
    now: DateTime<Utc>,
    key: &OfferKey,
) -> Result<(), OAuthError> {
    match offer.state {
        OfferState::Redeemed => {
            return Err(OAuthError::invalid_grant(
                "the pre-authorized code has already been used",
            ))
        }
        OfferState::Locked => {
            return Err(OAuthError::invalid_grant(
                "the offer is locked after too many wrong PINs; ask your Registration Authority for a new offer",
            ))
        }
        OfferState::Pending if now >= offer.expires_at => {
            return Err(OAuthError::invalid_grant(
                "the pre-authorized code has expired; ask your Registration Authority for a new offer",
            ))
        }
        OfferState::Pending => {}
    }
    // §6.3: a missing code is the client's mistake, not a guess: it does not count.
    let Some(tx_code) = tx_code else {
        return Err(OAuthError::invalid_request(
            "tx_code is required: the PIN your Registration Authority gave you",
        ));
    };
    let expected = hex::decode(&offer.tx_code_mac).unwrap_or_default();
    let presented = key.pin_mac(&offer.tx_code_salt, tx_code);
    if bool::from(presented.as_slice().ct_eq(expected.as_slice())) {
        offer.state = OfferState::Redeemed;
        offer.redeemed_at = Some(now);
        return Ok(());
    }
    offer.wrong_pin_attempts = offer.wrong_pin_attempts.saturating_add(1);
    let left = offer
        .max_pin_attempts
        .saturating_sub(offer.wrong_pin_attempts);
    if left == 0 {
        offer.state = OfferState::Locked;
        return Err(OAuthError::invalid_grant(
            "wrong PIN; the offer is now locked: ask your Registration Authority for a new offer",
        ));
    }
    Err(OAuthError::invalid_grant(format!(
        "wrong PIN; {left} attempt(s) left"
    )))
}

/// What an access token allows, as stored (under the SHA-256 of the token).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessTokenRecord {
    pub offer_id: String,
    pub person_id: String,
    pub credential_configuration_ids: Vec<String>,
    /// Configurations already issued under this token: each is issued once.
    #[serde(default)]
    pub issued: Vec<String>,
    pub expires_at: DateTime<Utc>,
}

/// The key an access token (or a pre-authorized code) is stored under: its SHA-256, so
/// the store never holds a usable token.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// What the bearer of an access token may ask for, checked before any proof.
pub fn authorize(
    token: Option<&AccessTokenRecord>,
    configuration_id: &str,
    now: DateTime<Utc>,
) -> Result<(), OAuthError> {
    let token = token.ok_or_else(|| OAuthError::invalid_token("the access token is not valid"))?;
    if now >= token.expires_at {
        return Err(OAuthError::invalid_token("the access token has expired"));
    }
    if !token
        .credential_configuration_ids
        .iter()
        .any(|id| id == configuration_id)
    {
        return Err(OAuthError::new(
            403,
            "insufficient_scope",
            format!("{configuration_id} was not offered with this access token"),
        ));
    }
    if token.issued.iter().any(|id| id == configuration_id) {
        return Err(OAuthError::new(
            400,
            "credential_request_denied",
            format!("{configuration_id} has already been issued under this offer; ask your Registration Authority for a new offer"),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Nonces (§7) and secrets.

/// The issuer's OpenID4VCI secret (32 random bytes from its store), from which the PIN
/// MACs and the nonce MACs are derived under separate labels.
pub struct OfferKey([u8; 32]);

type HmacSha256 = Hmac<Sha256>;

impl OfferKey {
    pub fn new(secret: [u8; 32]) -> Self {
        Self(secret)
    }

    fn mac(&self, label: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let Ok(mut mac) = HmacSha256::new_from_slice(&self.0) else {
            // HMAC takes a key of any length: this branch cannot be reached.
            return [0; 32];
        };
        mac.update(label);
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    fn pin_mac(&self, salt: &str, pin: &str) -> [u8; 32] {
        self.mac(b"oid4vci tx_code", &[salt.as_bytes(), pin.as_bytes()])
    }
}

impl std::fmt::Debug for OfferKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OfferKey(..)")
    }
}

const NONCE_RANDOM: usize = 16;
const NONCE_MAC: usize = 16;

/// A `c_nonce`: its expiry, 16 random bytes and a MAC over both. The nonce endpoint is
/// public, so it writes nothing: a nonce is remembered only once a proof has used it.
pub fn mint_nonce(
    key: &OfferKey,
    now: DateTime<Utc>,
    ttl: Duration,
    random: [u8; NONCE_RANDOM],
) -> String {
    let expires = (now + ttl).timestamp().to_be_bytes();
    let mac = key.mac(b"oid4vci c_nonce", &[&expires, &random]);
    let mut bytes = Vec::with_capacity(8 + NONCE_RANDOM + NONCE_MAC);
    bytes.extend_from_slice(&expires);
    bytes.extend_from_slice(&random);
    bytes.extend_from_slice(&mac[..NONCE_MAC]);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Checks that we minted the nonce and that it has not expired; returns its expiry, until
/// which the caller must remember it as used (single use is the caller's store's job).
pub fn check_nonce(
    key: &OfferKey,
    nonce: &str,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, OAuthError> {
    let bad = || OAuthError::invalid_nonce("the proof's nonce is not a c_nonce from this issuer");
    let bytes = URL_SAFE_NO_PAD.decode(nonce).map_err(|_| bad())?;
    if bytes.len() != 8 + NONCE_RANDOM + NONCE_MAC {
        return Err(bad());
    }
    let (expires, rest) = bytes.split_at(8);
    let (random, mac) = rest.split_at(NONCE_RANDOM);
    let expected = key.mac(b"oid4vci c_nonce", &[expires, random]);
    if !bool::from(expected[..NONCE_MAC].ct_eq(mac)) {
        return Err(bad());
    }
    let seconds = i64::from_be_bytes(expires.try_into().map_err(|_| bad())?);
    let expires_at = Utc.timestamp_opt(seconds, 0).single().ok_or_else(bad)?;
    if now >= expires_at {
        return Err(OAuthError::invalid_nonce(
            "the c_nonce has expired; fetch a new one from the nonce endpoint",
        ));
    }
    Ok(expires_at)
}

// ---------------------------------------------------------------------------------------
// The Credential Request (§8.2) and its JWT key proof (App. F.1, F.4).

#[derive(Debug, PartialEq)]
pub struct CredentialRequest {
    pub configuration_id: String,
    pub kind: CredentialKind,
    pub format: Format,
    pub proof_jwt: String,
}

/// Reads a Credential Request body (`application/json`). Unknown members are ignored
/// (§8.2); the errors are §8.3.1.2's.
pub fn parse_credential_request(
    body: &[u8],
    formats: &[Format],
) -> Result<CredentialRequest, OAuthError> {
    let request: Value = serde_json::from_slice(body).map_err(|e| {
        OAuthError::invalid_credential_request(format!("the body is not JSON: {e}"))
    })?;
    let request = request
        .as_object()
        .ok_or_else(|| OAuthError::invalid_credential_request("the body must be a JSON object"))?;
    if request.contains_key("credential_identifier") {
        // We never return credential_identifiers in a token response (§6.2).
        return Err(OAuthError::new(
            400,
            "unknown_credential_identifier",
            "this issuer issues by credential_configuration_id only",
        ));
    }
    if request.contains_key("credential_response_encryption") {
        return Err(OAuthError::new(
            400,
            "invalid_encryption_parameters",
            "this issuer does not encrypt credential responses",
        ));
    }
    let configuration_id = match request.get("credential_configuration_id") {
        Some(Value::String(id)) => id.clone(),
        Some(_) => {
            return Err(OAuthError::invalid_credential_request(
                "credential_configuration_id must be a string",
            ))
        }
        None => {
            return Err(OAuthError::invalid_credential_request(
                "credential_configuration_id is required",
            ))
        }
    };
    let (kind, format) = parse_configuration_id(&configuration_id)
        .filter(|(_, format)| formats.contains(format))
        .ok_or_else(|| {
            OAuthError::new(
                400,
                "unknown_credential_configuration",
                format!("{configuration_id} is not in credential_configurations_supported"),
            )
        })?;
    let proofs = match request.get("proofs") {
        None => {
            return Err(OAuthError::invalid_proof(
                "proofs is required: {\"jwt\": [one openid4vci-proof+jwt]}",
            ))
        }
        Some(Value::Object(proofs)) => proofs,
        Some(_) => return Err(OAuthError::invalid_proof("proofs must be an object")),
    };
    if proofs.len() != 1 {
        return Err(OAuthError::invalid_proof(
            "proofs must hold exactly one proof type",
        ));
    }
    let jwts = match proofs.get("jwt") {
        Some(Value::Array(jwts)) => jwts,
        Some(_) => return Err(OAuthError::invalid_proof("proofs.jwt must be an array")),
        None => {
            return Err(OAuthError::invalid_proof(
                "only the jwt proof type is supported",
            ))
        }
    };
    let proof_jwt = match jwts.as_slice() {
        [Value::String(jwt)] => jwt.clone(),
        [] => return Err(OAuthError::invalid_proof("proofs.jwt is empty")),
        [_] => return Err(OAuthError::invalid_proof("a jwt proof must be a string")),
        _ => {
            // No batch_credential_issuance in our metadata: one key per request.
            return Err(OAuthError::invalid_credential_request(
                "batch issuance is not supported: send exactly one proof",
            ));
        }
    };
    Ok(CredentialRequest {
        configuration_id,
        kind,
        format,
        proof_jwt,
    })
}

/// The holder key a proof showed possession of.
#[derive(Clone, Debug, PartialEq)]
pub struct ProvenKey {
    pub key: VerifyingKey,
    /// The key's did:key (what an `ldp_vc` credential's subject id becomes).
    pub did: String,
    /// The nonce the proof carries, still to be checked and spent by the caller.
    pub nonce: String,
}

impl ProvenKey {
    /// The key as a public JWK (RFC 8037), rebuilt from the key itself so nothing else the
    /// wallet put in its header reaches a credential's `cnf`.
    pub fn jwk(&self) -> Value {
        json!({"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(self.key.as_bytes())})
    }
}

/// Verifies an `openid4vci-proof+jwt` (App. F.1, F.4): type, algorithm, exactly one key
/// reference (`kid` as a did:key URL, or `jwk`), the signature by that key, `aud` = the
/// Credential Issuer Identifier, `iat` within the window, and a `nonce` (checked by the
/// caller, who must also spend it).
pub fn verify_proof_jwt(
    jwt: &str,
    audience: &str,
    now: DateTime<Utc>,
) -> Result<ProvenKey, OAuthError> {
    let mut parts = jwt.split('.');
    let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(OAuthError::invalid_proof(
            "the proof is not a compact JWS (three base64url parts)",
        ));
    };
    let header = decode_json_part(header_b64, "header")?;
    let claims = decode_json_part(claims_b64, "payload")?;
    if header.get("typ").and_then(Value::as_str) != Some(PROOF_JWT_TYPE) {
        return Err(OAuthError::invalid_proof(format!(
            "the proof's typ must be {PROOF_JWT_TYPE}"
        )));
    }
    if header.get("alg").and_then(Value::as_str) != Some(PROOF_ALG) {
        return Err(OAuthError::invalid_proof(format!(
            "the proof's alg must be {PROOF_ALG}"
        )));
    }
    let sources: Vec<&str> = ["kid", "jwk", "x5c"]
        .into_iter()
        .filter(|name| header.contains_key(*name))
        .collect();
    let key =
        match sources.as_slice() {
            ["kid"] => key_from_did_key_url(header.get("kid"))?,
            ["jwk"] => key_from_jwk(header.get("jwk"))?,
            ["x5c"] => {
                return Err(OAuthError::invalid_proof(
                    "x5c is not supported: name the key by kid (a did:key URL) or jwk",
                ))
            }
            [] => {
                return Err(OAuthError::invalid_proof(
                    "the proof's header must name its key by kid or jwk",
                ))
            }
            _ => return Err(OAuthError::invalid_proof(
                "the proof's header must name its key once: kid, jwk and x5c exclude each other",
            )),
        };
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .ok()
        .and_then(|bytes| <[u8; 64]>::try_from(bytes.as_slice()).ok())
        .map(|bytes| Signature::from_bytes(&bytes))
        .ok_or_else(|| OAuthError::invalid_proof("the proof's signature is not 64 bytes"))?;
    let signing_input = format!("{header_b64}.{claims_b64}");
    key.verify_strict(signing_input.as_bytes(), &signature)
        .map_err(|_| {
            OAuthError::invalid_proof("the proof's signature does not verify with its key")
        })?;
    let audience_matches = match claims.get("aud") {
        Some(Value::String(aud)) => aud == audience,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(audience)),
        _ => false,
    };
    if !audience_matches {
        return Err(OAuthError::invalid_proof(format!(
            "the proof's aud must be the Credential Issuer Identifier {audience}"
        )));
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or_else(|| OAuthError::invalid_proof("the proof must carry iat (NumericDate)"))?;
    let age = now.timestamp() - iat;
    if age < -IAT_FUTURE_SKEW_SECONDS {
        return Err(OAuthError::invalid_proof(
            "the proof's iat is in the future",
        ));
    }
    if age > IAT_MAX_AGE_SECONDS {
        return Err(OAuthError::invalid_proof(
            "the proof is too old (iat); sign a new one",
        ));
    }
    let nonce = match claims.get("nonce") {
        Some(Value::String(nonce)) if !nonce.is_empty() => nonce.clone(),
        _ => {
            return Err(OAuthError::invalid_proof(
                "the proof must carry the c_nonce from the nonce endpoint",
            ))
        }
    };
    let (did, _) = did_key(&key);
    Ok(ProvenKey { key, did, nonce })
}

fn decode_json_part(part: &str, what: &str) -> Result<Map<String, Value>, OAuthError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|value| match value {
            Value::Object(object) => Some(object),
            _ => None,
        })
        .ok_or_else(|| {
            OAuthError::invalid_proof(format!("the proof's {what} is not base64url JSON"))
        })
}

/// `did:key:z6Mk…#z6Mk…` (or the DID alone): an Ed25519 did:key has one key, and its
/// fragment, when given, must name it.
fn key_from_did_key_url(kid: Option<&Value>) -> Result<VerifyingKey, OAuthError> {
    let kid = kid
        .and_then(Value::as_str)
        .ok_or_else(|| OAuthError::invalid_proof("kid must be a string"))?;
    let rest = kid.strip_prefix("did:key:").ok_or_else(|| {
        OAuthError::invalid_proof("kid must be a did:key URL (the only DID method supported)")
    })?;
    let (multibase, fragment) = match rest.split_once('#') {
        Some((multibase, fragment)) => (multibase, Some(fragment)),
        None => (rest, None),
    };
    if fragment.is_some_and(|f| f != multibase) {
        return Err(OAuthError::invalid_proof(
            "kid's fragment does not name the did:key's key",
        ));
    }
    ed25519_from_multibase(multibase)
        .map_err(|e| OAuthError::invalid_proof(format!("kid is not an Ed25519 did:key: {e}")))
}

fn key_from_jwk(jwk: Option<&Value>) -> Result<VerifyingKey, OAuthError> {
    let jwk = jwk
        .and_then(Value::as_object)
        .ok_or_else(|| OAuthError::invalid_proof("jwk must be a JSON object"))?;
    if jwk.contains_key("d") {
        return Err(OAuthError::invalid_proof(
            "the proof's jwk carries a private key; send the public key only",
        ));
    }
    if jwk.get("kty").and_then(Value::as_str) != Some("OKP")
        || jwk.get("crv").and_then(Value::as_str) != Some("Ed25519")
    {
        return Err(OAuthError::invalid_proof(
            "jwk must be an Ed25519 key (kty OKP, crv Ed25519)",
        ));
    }
    jwk.get("x")
        .and_then(Value::as_str)
        .and_then(|x| URL_SAFE_NO_PAD.decode(x).ok())
        .and_then(|bytes| <[u8; 32]>::try_from(bytes.as_slice()).ok())
        .and_then(|bytes| VerifyingKey::from_bytes(&bytes).ok())
        .ok_or_else(|| OAuthError::invalid_proof("jwk's x is not a 32-byte Ed25519 key"))
}

// ---------------------------------------------------------------------------------------
// Errors: OAuth error bodies (RFC 6749 §5.2, RFC 6750 §3, OpenID4VCI §6.3 and §8.3.1.2),
// not problem+json, because that is what every OAuth client reads.

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    pub status: u16,
    pub error: &'static str,
    /// ASCII only, without `"` and `\` (§8.3.1.2 allows %x20-21 / %x23-5B / %x5D-7E).
    pub description: String,
}

impl OAuthError {
    pub fn new(status: u16, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: oauth_safe(&description.into()),
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_request", description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_grant", description)
    }

    pub fn invalid_token(description: impl Into<String>) -> Self {
        Self::new(401, "invalid_token", description)
    }

    pub fn invalid_credential_request(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_credential_request", description)
    }

    pub fn invalid_proof(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_proof", description)
    }

    pub fn invalid_nonce(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_nonce", description)
    }

    pub fn body(&self) -> Value {
        json!({"error": self.error, "error_description": self.description})
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.description)
    }
}

fn oauth_safe(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            c if (' '..='~').contains(&c) => c,
            _ => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    const ISSUER: &str = "https://issuer.example.nhs.uk";

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap()
    }

    fn key() -> OfferKey {
        OfferKey::new([7; 32])
    }

    fn vct(kind: CredentialKind) -> String {
        format!("https://staff-passport.nhs.uk/vct/{}", kind.slug())
    }

    fn both_formats() -> Vec<FormatProfile> {
        vec![
            FormatProfile {
                format: Format::LdpVc,
                vct,
            },
            FormatProfile {
                format: Format::DcSdJwt,
                vct,
            },
        ]
    }

    fn offer(pin: u32) -> NewOffer {
        new_offer(
            OfferTerms {
                person_id: "P0001",
                configuration_ids: vec![configuration_id(
                    CredentialKind::Employment,
                    Format::LdpVc,
                )],
                now: now(),
                ttl: Duration::minutes(15),
                max_pin_attempts: 3,
            },
            &OfferSecrets {
                offer_id: [1; 16],
                pre_authorized_code: [2; 32],
                salt: [3; 16],
                pin,
            },
            &key(),
        )
    }

    fn b64(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    fn sign(holder: &SigningKey, header: Value, claims: Value) -> String {
        let input = format!("{}.{}", b64(&header), b64(&claims));
        let signature = holder.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    fn holder() -> SigningKey {
        SigningKey::from_bytes(&[9; 32])
    }

    fn kid_of(key: &SigningKey) -> String {
        did_key(&key.verifying_key()).1
    }

    fn good_claims() -> Value {
        json!({"aud": ISSUER, "iat": now().timestamp(), "nonce": "n-1"})
    }

    fn good_header() -> Value {
        json!({"typ": PROOF_JWT_TYPE, "alg": "EdDSA", "kid": kid_of(&holder())})
    }

    fn proof_error(header: Value, claims: Value) -> OAuthError {
        verify_proof_jwt(&sign(&holder(), header, claims), ISSUER, now()).unwrap_err()
    }

    #[test]
    fn configuration_ids_name_a_type_and_a_format_and_read_back() {
        for kind in CredentialKind::ALL {
            for format in Format::ALL {
                let id = configuration_id(kind, format);
                assert!(!id.contains('+'), "{id}");
                assert_eq!(parse_configuration_id(&id), Some((kind, format)));
            }
        }
        assert_eq!(
            configuration_id(CredentialKind::Employment, Format::DcSdJwt),
            "EmploymentCredential_dc_sd_jwt"
        );
        assert_eq!(parse_configuration_id("EmploymentCredential"), None);
        assert_eq!(
            parse_configuration_id("EmploymentCredential_jwt_vc_json"),
            None
        );
    }

    #[test]
    fn issuer_metadata_follows_the_final_text() {
        let metadata = issuer_metadata(&Endpoints::new(ISSUER), "Trust", &both_formats());
        assert_eq!(metadata["credential_issuer"], ISSUER);
        assert_eq!(
            metadata["credential_endpoint"],
            format!("{ISSUER}/credential")
        );
        assert_eq!(metadata["nonce_endpoint"], format!("{ISSUER}/nonce"));
        assert!(metadata.get("authorization_servers").is_none());
        let configurations = metadata["credential_configurations_supported"]
            .as_object()
            .unwrap();
        assert_eq!(configurations.len(), 14);
        let ldp = &configurations["RoleCredential_ldp_vc"];
        assert_eq!(ldp["format"], "ldp_vc");
        assert_eq!(
            ldp["credential_definition"]["@context"],
            json!([VC_V2_CONTEXT_URL, CONTEXT_URL])
        );
        assert_eq!(
            ldp["credential_definition"]["type"],
            json!(["VerifiableCredential", "RoleCredential"])
        );
        assert_eq!(
            ldp["cryptographic_binding_methods_supported"],
            json!(["did:key"])
        );
        assert_eq!(
            ldp["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"],
            json!(["EdDSA"])
        );
        assert_eq!(
            ldp["credential_metadata"]["display"][0]["name"],
            "NHS RBAC role"
        );
        assert_eq!(
            ldp["credential_metadata"]["claims"][1]["path"],
            json!(["credentialSubject", "personRoleId"])
        );
        // The draft places for display and claims are empty.
        assert!(ldp.get("display").is_none() && ldp.get("claims").is_none());
        let sd = &configurations["RoleCredential_dc_sd_jwt"];
        assert_eq!(sd["format"], "dc+sd-jwt");
        assert_eq!(sd["vct"], vct(CredentialKind::Role));
        assert_eq!(
            sd["cryptographic_binding_methods_supported"],
            json!(["jwk"])
        );
        assert!(sd.get("credential_definition").is_none());
    }

    #[test]
    fn every_claim_described_is_in_the_types_schema() {
        for kind in CredentialKind::ALL {
            let schema: Value =
                serde_json::from_str(credentials::vocabulary::schema_document(kind)).unwrap();
            let subject = &schema["$defs"]["credentialSubject"];
            for (name, _, mandatory) in describe(kind).claims {
                assert!(
                    subject["properties"].get(*name).is_some(),
                    "{kind:?} {name} not in the schema"
                );
                let required = subject["required"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r == name);
                assert_eq!(required, *mandatory, "{kind:?} {name}");
            }
        }
    }

    #[test]
    fn authorization_server_metadata_offers_the_anonymous_pre_authorized_grant() {
        let metadata = authorization_server_metadata(&Endpoints::new(ISSUER));
        assert_eq!(metadata["issuer"], ISSUER);
        assert_eq!(metadata["token_endpoint"], format!("{ISSUER}/token"));
        assert_eq!(
            metadata["grant_types_supported"],
            json!([PRE_AUTHORIZED_GRANT])
        );
        assert_eq!(
            metadata["pre-authorized_grant_anonymous_access_supported"],
            true
        );
    }

    #[test]
    fn an_offer_carries_a_six_digit_pin_that_is_stored_only_as_a_mac() {
        let new = offer(42);
        assert_eq!(new.tx_code, "000042");
        let stored = serde_json::to_string(&new.record).unwrap();
        assert!(!stored.contains("000042"));
        assert_eq!(new.record.expires_at, now() + Duration::minutes(15));
        let json = offer_json(&Endpoints::new(ISSUER), &new.record);
        let grant = &json["grants"][PRE_AUTHORIZED_GRANT];
        assert_eq!(grant["pre-authorized_code"], new.record.pre_authorized_code);
        assert_eq!(grant["tx_code"]["input_mode"], "numeric");
        assert_eq!(grant["tx_code"]["length"], 6);
        assert_eq!(
            json["credential_configuration_ids"],
            json!(["EmploymentCredential_ldp_vc"])
        );
        // Another salt, another MAC: equal PINs do not show in the store.
        let mut other = OfferSecrets::random(&mut rand::thread_rng());
        other.pin = 42;
        let again = new_offer(
            OfferTerms {
                person_id: "P0002",
                configuration_ids: vec![],
                now: now(),
                ttl: Duration::minutes(1),
                max_pin_attempts: 3,
            },
            &other,
            &key(),
        );
        assert_ne!(again.record.tx_code_mac, new.record.tx_code_mac);
    }

    #[test]
    fn offer_uris_percent_encode_their_one_parameter() {
        let by_reference = offer_uri_by_reference("https://issuer.example/offers/abc");
        assert_eq!(
            by_reference,
            "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example%2Foffers%2Fabc"
        );
        let offer = json!({"credential_issuer": "https://i.example", "credential_configuration_ids": ["a b"]});
        let by_value = offer_uri_by_value(&offer);
        let query = by_value
            .strip_prefix("openid-credential-offer://?")
            .unwrap();
        let pairs: Vec<_> = form_urlencoded::parse(query.as_bytes()).collect();
        assert_eq!(pairs.len(), 1);
        assert_eq!(pairs[0].0, "credential_offer");
        assert_eq!(serde_json::from_str::<Value>(&pairs[0].1).unwrap(), offer);
    }

    #[test]
    fn the_right_pin_redeems_the_code_once() {
        let mut new = offer(123_456);
        redeem(&mut new.record, Some("123456"), now(), &key()).unwrap();
        assert_eq!(new.record.state, OfferState::Redeemed);
        let again = redeem(&mut new.record, Some("123456"), now(), &key()).unwrap_err();
        assert_eq!(again.error, "invalid_grant");
        assert!(again.description.contains("already been used"));
    }

    #[test]
    fn wrong_pins_count_and_the_last_allowed_one_locks_the_offer() {
        let mut new = offer(123_456);
        let first = redeem(&mut new.record, Some("000000"), now(), &key()).unwrap_err();
        assert_eq!(first.error, "invalid_grant");
        assert!(first.description.contains("2 attempt(s) left"));
        redeem(&mut new.record, Some("111111"), now(), &key()).unwrap_err();
        let last = redeem(&mut new.record, Some("222222"), now(), &key()).unwrap_err();
        assert!(last.description.contains("locked"));
        assert_eq!(new.record.state, OfferState::Locked);
        // Even the right PIN is refused now.
        let locked = redeem(&mut new.record, Some("123456"), now(), &key()).unwrap_err();
        assert_eq!(locked.error, "invalid_grant");
        assert_eq!(new.record.wrong_pin_attempts, 3);
    }

    #[test]
    fn a_missing_pin_is_invalid_request_and_does_not_count() {
        let mut new = offer(5);
        let error = redeem(&mut new.record, None, now(), &key()).unwrap_err();
        assert_eq!(error.error, "invalid_request");
        assert_eq!(new.record.wrong_pin_attempts, 0);
        redeem(&mut new.record, Some("000005"), now(), &key()).unwrap();
    }

    #[test]
    fn an_expired_offer_is_refused_even_with_the_right_pin() {
        let mut new = offer(5);
        let later = now() + Duration::minutes(15);
        let error = redeem(&mut new.record, Some("000005"), later, &key()).unwrap_err();
        assert_eq!(error.error, "invalid_grant");
        assert!(error.description.contains("expired"));
        assert_eq!(new.record.status(later), "expired");
        assert_eq!(new.record.state, OfferState::Pending);
    }

    #[test]
    fn token_requests_are_read_from_the_form() {
        let body = format!(
            "grant_type={}&pre-authorized_code=abc&tx_code=123456",
            form_urlencoded::byte_serialize(PRE_AUTHORIZED_GRANT.as_bytes()).collect::<String>()
        );
        assert_eq!(
            parse_token_request(body.as_bytes()).unwrap(),
            TokenRequest {
                pre_authorized_code: "abc".into(),
                tx_code: Some("123456".into())
            }
        );
        let check = |body: &str, error: &str| {
            assert_eq!(
                parse_token_request(body.as_bytes()).unwrap_err().error,
                error,
                "{body}"
            );
        };
        check("", "invalid_request");
        check(
            "grant_type=authorization_code&code=x",
            "unsupported_grant_type",
        );
        check(
            &format!("grant_type={PRE_AUTHORIZED_GRANT}&tx_code=1"),
            "invalid_request",
        );
        check(
            &format!(
                "grant_type={PRE_AUTHORIZED_GRANT}&pre-authorized_code=a&pre-authorized_code=b"
            ),
            "invalid_request",
        );
        check(
            &format!("grant_type={PRE_AUTHORIZED_GRANT}&pre-authorized_code=a&authorization_details=%5B%5D"),
            "invalid_authorization_details",
        );
    }

    #[test]
    fn access_tokens_are_scoped_to_their_offer_and_issue_each_configuration_once() {
        let record = AccessTokenRecord {
            offer_id: "o".into(),
            person_id: "P0001".into(),
            credential_configuration_ids: vec!["RoleCredential_ldp_vc".into()],
            issued: vec![],
            expires_at: now() + Duration::minutes(5),
        };
        authorize(Some(&record), "RoleCredential_ldp_vc", now()).unwrap();
        assert_eq!(
            authorize(None, "RoleCredential_ldp_vc", now())
                .unwrap_err()
                .status,
            401
        );
        let expired = authorize(Some(&record), "RoleCredential_ldp_vc", record.expires_at);
        assert_eq!(expired.unwrap_err().error, "invalid_token");
        let other = authorize(Some(&record), "EmploymentCredential_ldp_vc", now()).unwrap_err();
        assert_eq!((other.status, other.error), (403, "insufficient_scope"));
        let issued = AccessTokenRecord {
            issued: vec!["RoleCredential_ldp_vc".into()],
            ..record
        };
        let again = authorize(Some(&issued), "RoleCredential_ldp_vc", now()).unwrap_err();
        assert_eq!(again.error, "credential_request_denied");
        assert_ne!(token_digest("a"), token_digest("b"));
    }

    #[test]
    fn nonces_are_ours_until_they_expire() {
        let nonce = mint_nonce(&key(), now(), Duration::minutes(5), [4; 16]);
        assert_eq!(
            check_nonce(&key(), &nonce, now()).unwrap(),
            now() + Duration::minutes(5)
        );
        let expired = check_nonce(&key(), &nonce, now() + Duration::minutes(5)).unwrap_err();
        assert_eq!(expired.error, "invalid_nonce");
        let other_issuer = check_nonce(&OfferKey::new([8; 32]), &nonce, now()).unwrap_err();
        assert_eq!(other_issuer.error, "invalid_nonce");
        // Moving the expiry breaks the MAC.
        let mut bytes = URL_SAFE_NO_PAD.decode(&nonce).unwrap();
        bytes[7] ^= 1;
        let forged = URL_SAFE_NO_PAD.encode(bytes);
        assert_eq!(
            check_nonce(&key(), &forged, now()).unwrap_err().error,
            "invalid_nonce"
        );
        assert_eq!(
            check_nonce(&key(), "junk!", now()).unwrap_err().error,
            "invalid_nonce"
        );
    }

    #[test]
    fn a_good_proof_names_its_key_by_did_key_or_jwk() {
        let jwt = sign(&holder(), good_header(), good_claims());
        let proven = verify_proof_jwt(&jwt, ISSUER, now()).unwrap();
        assert_eq!(proven.key, holder().verifying_key());
        assert_eq!(proven.did, did_key(&holder().verifying_key()).0);
        assert_eq!(proven.nonce, "n-1");
        let bare_did = json!({"typ": PROOF_JWT_TYPE, "alg": "EdDSA", "kid": proven.did});
        verify_proof_jwt(&sign(&holder(), bare_did, good_claims()), ISSUER, now()).unwrap();
        let by_jwk = json!({"typ": PROOF_JWT_TYPE, "alg": "EdDSA", "jwk": proven.jwk()});
        let again = verify_proof_jwt(&sign(&holder(), by_jwk, good_claims()), ISSUER, now());
        assert_eq!(again.unwrap().did, proven.did);
        // aud may be an array holding the issuer (RFC 7519 §4.1.3).
        let claims = json!({"aud": [ISSUER], "iat": now().timestamp(), "nonce": "n"});
        verify_proof_jwt(&sign(&holder(), good_header(), claims), ISSUER, now()).unwrap();
    }

    #[test]
    fn bad_proofs_are_invalid_proof_with_the_reason() {
        let mut header = good_header();
        header["typ"] = "JWT".into();
        assert!(proof_error(header, good_claims())
            .description
            .contains("typ"));
        let mut header = good_header();
        header["alg"] = "ES256".into();
        assert!(proof_error(header, good_claims())
            .description
            .contains("alg"));
        let mut header = good_header();
        header["alg"] = "none".into();
        assert!(proof_error(header, good_claims())
            .description
            .contains("alg"));
        let mut claims = good_claims();
        claims["aud"] = "https://elsewhere.example".into();
        assert!(proof_error(good_header(), claims)
            .description
            .contains("aud"));
        let mut claims = good_claims();
        claims["iat"] = json!(now().timestamp() - 301);
        assert!(proof_error(good_header(), claims)
            .description
            .contains("too old"));
        let mut claims = good_claims();
        claims["iat"] = json!(now().timestamp() + 61);
        assert!(proof_error(good_header(), claims)
            .description
            .contains("future"));
        let mut claims = good_claims();
        claims.as_object_mut().unwrap().remove("nonce");
        assert!(proof_error(good_header(), claims)
            .description
            .contains("c_nonce"));
        let mut header = good_header();
        header["jwk"] = json!({"kty": "OKP", "crv": "Ed25519", "x": "AA"});
        assert!(proof_error(header, good_claims())
            .description
            .contains("once"));
        let header = json!({"typ": PROOF_JWT_TYPE, "alg": "EdDSA", "x5c": ["MII"]});
        assert!(proof_error(header, good_claims())
            .description
            .contains("x5c"));
        let header =
            json!({"typ": PROOF_JWT_TYPE, "alg": "EdDSA", "kid": "did:web:example.com#key-1"});
        assert!(proof_error(header, good_claims())
            .description
            .contains("did:key"));
        for error in [
            verify_proof_jwt("a.b", ISSUER, now()).unwrap_err(),
            verify_proof_jwt("a.b.c", ISSUER, now()).unwrap_err(),
        ] {
            assert_eq!(error.error, "invalid_proof");
        }
    }

    #[test]
    fn a_proof_signed_by_another_key_than_its_kid_is_refused() {
        let mallory = SigningKey::from_bytes(&[10; 32]);
        let jwt = sign(&mallory, good_header(), good_claims());
        let error = verify_proof_jwt(&jwt, ISSUER, now()).unwrap_err();
        assert_eq!(error.error, "invalid_proof");
        assert!(error.description.contains("signature"));
        // A kid whose fragment names another key than its DID.
        let (alice, _) = did_key(&holder().verifying_key());
        let (_, mallory_method) = did_key(&mallory.verifying_key());
        let fragment = mallory_method.split('#').nth(1).unwrap();
        let header =
            json!({"typ": PROOF_JWT_TYPE, "alg": "EdDSA", "kid": format!("{alice}#{fragment}")});
        assert!(proof_error(header, good_claims())
            .description
            .contains("fragment"));
    }

    #[test]
    fn a_jwk_with_a_private_key_or_another_curve_is_refused() {
        let public = URL_SAFE_NO_PAD.encode(holder().verifying_key().as_bytes());
        let with_d = json!({"typ": PROOF_JWT_TYPE, "alg": "EdDSA",
            "jwk": {"kty": "OKP", "crv": "Ed25519", "x": public, "d": URL_SAFE_NO_PAD.encode([9u8; 32])}});
        assert!(proof_error(with_d, good_claims())
            .description
            .contains("private"));
        let p256 = json!({"typ": PROOF_JWT_TYPE, "alg": "EdDSA", "jwk": {"kty": "EC", "crv": "P-256", "x": public}});
        assert!(proof_error(p256, good_claims())
            .description
            .contains("Ed25519"));
    }

    #[test]
    fn credential_requests_use_the_final_shape() {
        let formats = [Format::LdpVc];
        let ok = json!({"credential_configuration_id": "RoleCredential_ldp_vc", "proofs": {"jwt": ["x.y.z"]}});
        let request = parse_credential_request(ok.to_string().as_bytes(), &formats).unwrap();
        assert_eq!(
            (request.kind, request.format, request.proof_jwt.as_str()),
            (CredentialKind::Role, Format::LdpVc, "x.y.z")
        );
        let check = |body: Value, error: &str| {
            let got = parse_credential_request(body.to_string().as_bytes(), &formats).unwrap_err();
            assert_eq!(got.error, error, "{body}");
        };
        check(
            json!({"credential_configuration_id": "Nope", "proofs": {"jwt": ["a"]}}),
            "unknown_credential_configuration",
        );
        // A format this issuer does not serve is as unknown as a type it does not know.
        check(
            json!({"credential_configuration_id": "RoleCredential_dc_sd_jwt", "proofs": {"jwt": ["a"]}}),
            "unknown_credential_configuration",
        );
        check(
            json!({"proofs": {"jwt": ["a"]}}),
            "invalid_credential_request",
        );
        check(
            json!({"credential_configuration_id": 3}),
            "invalid_credential_request",
        );
        check(
            json!({"credential_identifier": "x", "proofs": {"jwt": ["a"]}}),
            "unknown_credential_identifier",
        );
        check(
            json!({"credential_configuration_id": "RoleCredential_ldp_vc"}),
            "invalid_proof",
        );
        // Draft 13's singular proof is not read.
        check(
            json!({"credential_configuration_id": "RoleCredential_ldp_vc", "proof": {"proof_type": "jwt", "jwt": "a"}}),
            "invalid_proof",
        );
        check(
            json!({"credential_configuration_id": "RoleCredential_ldp_vc", "proofs": {"jwt": []}}),
            "invalid_proof",
        );
        check(
            json!({"credential_configuration_id": "RoleCredential_ldp_vc", "proofs": {"di_vp": [{}]}}),
            "invalid_proof",
        );
        check(
            json!({"credential_configuration_id": "RoleCredential_ldp_vc", "proofs": {"jwt": ["a"], "di_vp": [{}]}}),
            "invalid_proof",
        );
        check(
            json!({"credential_configuration_id": "RoleCredential_ldp_vc", "proofs": {"jwt": ["a", "b"]}}),
            "invalid_credential_request",
        );
        check(
            json!({"credential_configuration_id": "RoleCredential_ldp_vc", "proofs": {"jwt": ["a"]}, "credential_response_encryption": {}}),
            "invalid_encryption_parameters",
        );
        assert_eq!(
            parse_credential_request(b"not json", &formats)
                .unwrap_err()
                .error,
            "invalid_credential_request"
        );
    }

    #[test]
    fn error_descriptions_stay_within_the_allowed_characters() {
        let error = OAuthError::invalid_request("a \"quoted\" name \\ with … and ’");
        assert!(error
            .description
            .chars()
            .all(|c| (' '..='~').contains(&c) && c != '"' && c != '\\'));
        assert_eq!(error.body()["error"], "invalid_request");
    }
}
