//! SD-JWT VC (RFC 9901 and draft-ietf-oauth-sd-jwt-vc-18) for the credential catalogue:
//! the issuer's side with a per-type disclosure policy, the holder's (consent listing and
//! presentation with a key-binding JWT), the verifier's (every RFC 9901 §7.1/§7.3 check,
//! as a [`Verdict`]), and the IETF Token Status List the `status` claim points at.
//! ADR 0005 records the format decisions (`iss`, `vct`, claim names, policy, status).
//!
//! Our own code: sd-jwt-rs 0.7 follows draft 7 (no `typ` checks, panics on a missing `iss`,
//! ES256 by default) and ssi's `sd_jwt` follows draft 12 and has no SD-JWT VC.
//!
//! Like the rest of the crate this does no I/O: issuer keys ([`IssuerKeys`]), status lists
//! ([`TokenStatusLists`]) and the trust list are fetched by the caller, before verifying.

use std::collections::{HashMap, HashSet};
use std::io::{Read as _, Write as _};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use rand::rngs::OsRng;
use rand::seq::SliceRandom as _;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest as _, Sha256};

use crate::catalogue::{CredentialKind, UnsignedCredential};
use crate::did::{did_web_document_location, did_web_for_base_url, KeyProblem};
use crate::error::{Error, Result};
use crate::securing::SigningIdentity;
use crate::trust_list::{TrustDecision, TrustList};
use crate::verdict::{CheckName, Outcome, Verdict};
use crate::vocabulary::{kind_of_vct, vct};

/// The JOSE `typ` of an SD-JWT VC (SD-JWT VC §2.2.1).
pub const SD_JWT_VC_TYP: &str = "dc+sd-jwt";
/// The `typ` used from July 2023 to November 2024; accepted, never issued.
pub const LEGACY_SD_JWT_VC_TYP: &str = "vc+sd-jwt";
pub const KB_JWT_TYP: &str = "kb+jwt";
pub const STATUS_LIST_JWT_TYP: &str = "statuslist+jwt";
/// The only digest algorithm we issue and accept (RFC 9901 §4.1.1: MUST support).
pub const SD_ALG: &str = "sha-256";
/// The JWS algorithm we sign with. `Ed25519` (the fully specified name) is accepted too.
pub const JWS_ALG: &str = "EdDSA";
/// Where JWT VC Issuer Metadata lives (SD-JWT VC §3).
pub const JWT_VC_ISSUER_WELL_KNOWN: &str = "/.well-known/jwt-vc-issuer";

/// Claims that are never selectively disclosable (SD-JWT VC §2.2.2.3).
const NEVER_DISCLOSABLE: [&str; 8] = [
    "iss",
    "nbf",
    "exp",
    "cnf",
    "vct",
    "vct#integrity",
    "aka_vcts",
    "status",
];
/// Decoy digests added to the top-level `_sd`, so the count of digests does not say
/// which optional claims (e.g. `middleNames`) a credential has.
const TOP_LEVEL_DECOYS: usize = 2;
/// A KB-JWT may be up to this far in the future (clock skew between phone and verifier).
const KEY_BINDING_FUTURE_SKEW_SECONDS: i64 = 60;
/// A Token Status List bigger than this, decompressed, is refused (a few kilobytes of
/// zlib can claim gigabytes).
const MAXIMUM_STATUS_LIST_BYTES: usize = 16 * 1024 * 1024;

// ---------------------------------------------------------------------------------------
// Keys

/// A public Ed25519 key as a JWK (RFC 8037: `kty` OKP, `crv` Ed25519), as SD-JWT `cnf`
/// and JWT VC Issuer Metadata carry it. A JWK with a private part (`d`) is refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawJwk")]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    pub x: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
}

#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    crv: Option<String>,
    x: Option<String>,
    kid: Option<String>,
    d: Option<Value>,
}

impl TryFrom<RawJwk> for Jwk {
    type Error = String;

    fn try_from(raw: RawJwk) -> std::result::Result<Self, String> {
        if raw.d.is_some() {
            return Err("the JWK holds a private key".into());
        }
        let (Some(crv), Some(x)) = (raw.crv, raw.x) else {
            return Err("the JWK has no crv or x".into());
        };
        let jwk = Jwk {
            kty: raw.kty,
            crv,
            x,
            kid: raw.kid,
        };
        jwk.verifying_key().map_err(|e| e.to_string())?;
        Ok(jwk)
    }
}

impl Jwk {
    pub fn ed25519(key: &VerifyingKey) -> Self {
        Jwk {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            x: URL_SAFE_NO_PAD.encode(key.as_bytes()),
            kid: None,
        }
    }

    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    pub fn from_json(value: &Value) -> Result<Self> {
        Jwk::deserialize(value).map_err(|e| Error::InvalidKey(format!("JWK: {e}")))
    }

    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    pub fn verifying_key(&self) -> Result<VerifyingKey> {
        if self.kty != "OKP" || self.crv != "Ed25519" {
            return Err(Error::InvalidKey(
                "only OKP/Ed25519 JWKs are accepted".into(),
            ));
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(&self.x)
            .map_err(|_| Error::InvalidKey("JWK x is not base64url".into()))?;
        let raw: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::InvalidKey("an Ed25519 key is 32 bytes".into()))?;
        VerifyingKey::from_bytes(&raw).map_err(|e| Error::InvalidKey(e.to_string()))
    }
}

/// An Ed25519 key that signs JWTs: the issuer's [`SigningIdentity`], or a holder's key kept
/// elsewhere (a phone's keystore), which need not expose anything but these two.
pub trait JwtSigner {
    fn public_key(&self) -> VerifyingKey;
    fn sign(&self, message: &[u8]) -> Result<[u8; 64]>;
}

impl JwtSigner for SigningIdentity {
    fn public_key(&self) -> VerifyingKey {
        SigningIdentity::public_key(self)
    }

    fn sign(&self, message: &[u8]) -> Result<[u8; 64]> {
        Ok(self.sign_bytes(message))
    }
}

// ---------------------------------------------------------------------------------------
// Issuer identifier and metadata

/// The `iss` of an issuer on did:web: the https URL its DID names (`did:web:host%3A8401` →
/// `https://host:8401`, path segments kept), so that `/.well-known/jwt-vc-issuer` and the
/// DID document sit on the same origin (ADR 0005).
pub fn issuer_url_of_did_web(did: &str) -> Result<String> {
    let location = did_web_document_location(did)?;
    let base = location
        .strip_suffix("/.well-known/did.json")
        .or_else(|| location.strip_suffix("/did.json"))
        .ok_or_else(|| Error::InvalidDid(format!("not a did:web: {did}")))?;
    Ok(format!("https://{base}"))
}

/// The path of an issuer's JWT VC Issuer Metadata on its host (SD-JWT VC §3: the
/// well-known segment goes between the host and the `iss` path, a trailing `/` removed).
pub fn jwt_vc_issuer_metadata_path(iss: &str) -> Result<String> {
    let rest = iss
        .strip_prefix("https://")
        .ok_or_else(|| Error::SdJwt("iss must be an https URL".into()))?;
    let path = rest.find('/').map(|at| &rest[at..]).unwrap_or("");
    Ok(format!(
        "{JWT_VC_ISSUER_WELL_KNOWN}{}",
        path.trim_end_matches('/')
    ))
}

/// The JWT VC Issuer Metadata document an issuer serves (SD-JWT VC §3.2): its signing key
/// as a JWK whose `kid` is the verification method its SD-JWT VCs name.
pub fn jwt_vc_issuer_metadata(signer: &SigningIdentity) -> Result<Value> {
    let iss = issuer_url_of_did_web(signer.did())?;
    let jwk = Jwk::ed25519(&signer.public_key()).with_kid(signer.verification_method());
    Ok(json!({ "issuer": iss, "jwks": { "keys": [jwk.to_json()] } }))
}

/// Issuers' public keys, fetched before verification (from JWT VC Issuer Metadata, or any
/// other way the verifier trusts), or why they could not be had.
#[derive(Clone, Debug, Default)]
pub struct IssuerKeys {
    issuers: HashMap<String, std::result::Result<Vec<Jwk>, String>>,
}

impl IssuerKeys {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, iss: impl Into<String>, keys: Vec<Jwk>) {
        self.issuers.insert(iss.into(), Ok(keys));
    }

    /// Records that an issuer's keys could not be fetched: its credentials are then
    /// "could not check", not "invalid".
    pub fn unavailable(&mut self, iss: impl Into<String>, why: impl Into<String>) {
        self.issuers.insert(iss.into(), Err(why.into()));
    }

    /// Adds the keys of a JWT VC Issuer Metadata document fetched for `iss`: its `issuer`
    /// must be `iss` exactly, and its keys inline (`jwks`; a `jwks_uri` is the caller's to
    /// fetch and pass to [`IssuerKeys::insert`]).
    pub fn add_metadata(&mut self, iss: &str, metadata: &Value) -> Result<()> {
        if metadata.get("issuer").and_then(Value::as_str) != Some(iss) {
            return Err(Error::SdJwt(
                "issuer metadata names another issuer than the one it was fetched for".into(),
            ));
        }
        let keys = metadata
            .get("jwks")
            .and_then(|jwks| jwks.get("keys"))
            .and_then(Value::as_array)
            .ok_or_else(|| Error::SdJwt("issuer metadata has no inline jwks".into()))?;
        // A key we cannot use (another curve) is skipped rather than failing the rest.
        let usable: Vec<Jwk> = keys.iter().filter_map(|k| Jwk::from_json(k).ok()).collect();
        self.insert(iss, usable);
        Ok(())
    }

    fn key_for(
        &self,
        iss: &str,
        kid: Option<&str>,
    ) -> std::result::Result<VerifyingKey, KeyProblem> {
        let keys = match self.issuers.get(iss) {
            None => {
                return Err(KeyProblem::Unresolvable(format!(
                    "the keys of issuer {iss} were not retrieved"
                )))
            }
            Some(Err(why)) => return Err(KeyProblem::Unresolvable(why.clone())),
            Some(Ok(keys)) => keys,
        };
        let chosen = match kid {
            Some(kid) => keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
            None if keys.len() == 1 => keys.first(),
            None => None,
        };
        let chosen = chosen.ok_or_else(|| {
            KeyProblem::Invalid(format!("issuer {iss} publishes no key with this kid"))
        })?;
        chosen
            .verifying_key()
            .map_err(|e| KeyProblem::Invalid(e.to_string()))
    }
}

// ---------------------------------------------------------------------------------------
// Disclosure policy

/// How one subject claim is disclosed. Every subject claim is selectively disclosable:
/// the holder decides, and a verifier asks for what it needs (DCQL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disclosability {
    /// The claim as a whole.
    Claim,
    /// The claim, and each element of its array on its own (one activity, one check).
    EachElement,
}

/// The subject claims of each type and how each is disclosed (ADR 0005). `sub` is the
/// subject's `id` (the holder's DID) when the credential names one.
pub fn disclosure_policy(kind: CredentialKind) -> &'static [(&'static str, Disclosability)] {
    use Disclosability::{Claim, EachElement};
    match kind {
        CredentialKind::CareIdentity => &[
            ("sub", Claim),
            ("careIdentityUuid", Claim),
            ("givenName", Claim),
            ("middleNames", Claim),
            ("familyName", Claim),
            ("identityProofing", Claim),
        ],
        CredentialKind::Employment => &[
            ("sub", Claim),
            ("careIdentityUuid", Claim),
            ("employer", Claim),
            ("assignmentNumber", Claim),
            ("primaryAssignment", Claim),
            ("positionNumber", Claim),
            ("positionTitle", Claim),
            ("staffGroup", Claim),
            ("startDate", Claim),
            ("endDate", Claim),
        ],
        CredentialKind::Role => &[
            ("sub", Claim),
            ("careIdentityUuid", Claim),
            ("personRoleId", Claim),
            ("organisation", Claim),
            ("jobRole", Claim),
            ("activities", EachElement),
            ("workgroups", EachElement),
            ("grantedVia", Claim),
        ],
        CredentialKind::ProfessionalRegistration => &[
            ("sub", Claim),
            ("careIdentityUuid", Claim),
            ("regulator", Claim),
            ("registrationNumber", Claim),
            ("registrationStatus", Claim),
            ("registrationType", Claim),
            ("renewalDue", Claim),
            ("registerCheckedOn", Claim),
            ("registerCheckMethod", Claim),
        ],
        CredentialKind::EmploymentChecks => &[
            ("sub", Claim),
            ("careIdentityUuid", Claim),
            ("checkedBy", Claim),
            ("checks", EachElement),
            ("training", EachElement),
            ("occupationalHealth", Claim),
        ],
        CredentialKind::Smartcard => &[
            ("sub", Claim),
            ("careIdentityUuid", Claim),
            ("cardSerial", Claim),
            ("cardType", Claim),
            ("certificates", EachElement),
            ("authenticatorAssurance", Claim),
        ],
        CredentialKind::RemoteSigning => &[
            ("sub", Claim),
            ("careIdentityUuid", Claim),
            ("signingKey", Claim),
            ("signingScope", EachElement),
            ("prescriberType", Claim),
            ("registration", Claim),
            ("personRoleId", Claim),
            ("organisation", Claim),
            ("prescribingActivities", EachElement),
        ],
    }
}

fn policy_of(kind: CredentialKind, claim: &str) -> Option<Disclosability> {
    disclosure_policy(kind)
        .iter()
        .find(|(name, _)| *name == claim)
        .map(|(_, how)| *how)
}

// ---------------------------------------------------------------------------------------
// Status (IETF Token Status List)

/// The `status` claim's reference into a Token Status List (`status.status_list`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusListReference {
    pub idx: u64,
    pub uri: String,
}

impl StatusListReference {
    /// The `status` claim: `{"status_list": {"idx", "uri"}}`.
    pub fn to_claim(&self) -> Value {
        json!({ "status_list": { "idx": self.idx, "uri": self.uri } })
    }

    fn from_claim(status: &Value) -> std::result::Result<Self, String> {
        let reference = status
            .get("status_list")
            .ok_or("status names no status_list (the only mechanism we read)")?;
        StatusListReference::deserialize(reference).map_err(|e| format!("status.status_list: {e}"))
    }
}

/// What a Token Status List entry says.
pub const STATUS_VALID: u8 = 0x00;
pub const STATUS_INVALID: u8 = 0x01;
pub const STATUS_SUSPENDED: u8 = 0x02;

/// A Token Status List (draft-ietf-oauth-status-list): `bits` per entry (1, 2, 4 or 8),
/// entry 0 in the least significant bits of byte 0, carried zlib-compressed as `lst`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenStatusList {
    bits: u8,
    bytes: Vec<u8>,
}

impl TokenStatusList {
    pub fn new(bits: u8, entries: usize) -> Result<Self> {
        if !matches!(bits, 1 | 2 | 4 | 8) {
            return Err(Error::SdJwt("status list bits must be 1, 2, 4 or 8".into()));
        }
        let bytes = (entries * bits as usize).div_ceil(8);
        if bytes > MAXIMUM_STATUS_LIST_BYTES {
            return Err(Error::SdJwt("status list too large".into()));
        }
        Ok(Self {
            bits,
            bytes: vec![0; bytes],
        })
    }

    /// A list as stored: `bytes` packed as in `lst` before compression.
    pub fn from_packed(bits: u8, bytes: Vec<u8>) -> Result<Self> {
        if !matches!(bits, 1 | 2 | 4 | 8) {
            return Err(Error::SdJwt("status list bits must be 1, 2, 4 or 8".into()));
        }
        if bytes.len() > MAXIMUM_STATUS_LIST_BYTES {
            return Err(Error::SdJwt("status list too large".into()));
        }
        Ok(Self { bits, bytes })
    }

    /// The packed entries, for storing.
    pub fn packed(&self) -> &[u8] {
        &self.bytes
    }

    pub fn bits(&self) -> u8 {
        self.bits
    }

    pub fn len(&self) -> usize {
        self.bytes.len() * 8 / self.bits as usize
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn place(&self, index: u64) -> Option<(usize, u32, u8)> {
        let bit = index.checked_mul(u64::from(self.bits))?;
        let byte = usize::try_from(bit / 8).ok()?;
        if byte >= self.bytes.len() {
            return None;
        }
        let mask = if self.bits == 8 {
            0xff
        } else {
            (1u8 << self.bits) - 1
        };
        Some((byte, (bit % 8) as u32, mask))
    }

    pub fn get(&self, index: u64) -> Option<u8> {
        let (byte, shift, mask) = self.place(index)?;
        Some((self.bytes[byte] >> shift) & mask)
    }

    pub fn set(&mut self, index: u64, value: u8) -> Result<()> {
        let (byte, shift, mask) = self
            .place(index)
            .ok_or_else(|| Error::SdJwt("status index out of range".into()))?;
        if value & !mask != 0 {
            return Err(Error::SdJwt(
                "status value does not fit the list's bits".into(),
            ));
        }
        self.bytes[byte] = (self.bytes[byte] & !(mask << shift)) | (value << shift);
        Ok(())
    }

    /// The `status_list` claim: `{"bits", "lst"}`.
    pub fn to_claim(&self) -> Result<Value> {
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        zlib.write_all(&self.bytes)
            .and_then(|_| zlib.finish())
            .map(|compressed| json!({ "bits": self.bits, "lst": URL_SAFE_NO_PAD.encode(compressed) }))
            .map_err(|e| Error::SdJwt(format!("compressing the status list: {e}")))
    }

    pub fn from_claim(claim: &Value) -> std::result::Result<Self, String> {
        let bits = claim
            .get("bits")
            .and_then(Value::as_u64)
            .filter(|b| matches!(b, 1 | 2 | 4 | 8))
            .ok_or("status_list.bits must be 1, 2, 4 or 8")? as u8;
        let compressed = claim
            .get("lst")
            .and_then(Value::as_str)
            .and_then(|lst| URL_SAFE_NO_PAD.decode(lst).ok())
            .ok_or("status_list.lst is not base64url")?;
        let mut bytes = Vec::new();
        flate2::read::ZlibDecoder::new(compressed.as_slice())
            .take(MAXIMUM_STATUS_LIST_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|_| "status_list.lst is not zlib-compressed")?;
        if bytes.len() > MAXIMUM_STATUS_LIST_BYTES {
            return Err("status list too large".into());
        }
        Ok(Self { bits, bytes })
    }
}

/// Signs a Status List Token (`typ` statuslist+jwt) for the list published at `uri`.
pub fn sign_status_list_token(
    list: &TokenStatusList,
    uri: &str,
    signer: &SigningIdentity,
    issued_at: DateTime<Utc>,
    expires: Option<DateTime<Utc>>,
    ttl_seconds: Option<u64>,
) -> Result<String> {
    let header =
        json!({ "alg": JWS_ALG, "typ": STATUS_LIST_JWT_TYP, "kid": signer.verification_method() });
    let mut payload =
        json!({ "sub": uri, "iat": issued_at.timestamp(), "status_list": list.to_claim()? });
    if let Some(expires) = expires {
        payload["exp"] = expires.timestamp().into();
    }
    if let Some(ttl) = ttl_seconds {
        payload["ttl"] = ttl.into();
    }
    sign_jws(&header, &payload, signer)
}

/// Reads a Status List Token fetched from `uri`: its type, signature (by `key`), subject
/// (`uri` itself) and expiry are checked before its list is believed.
pub fn read_status_list_token(
    token: &str,
    uri: &str,
    key: &VerifyingKey,
    now: DateTime<Utc>,
) -> std::result::Result<TokenStatusList, String> {
    let jws = parse_jws(token)?;
    if jws.header.get("typ").and_then(Value::as_str) != Some(STATUS_LIST_JWT_TYP) {
        return Err(format!("a status list token has typ {STATUS_LIST_JWT_TYP}"));
    }
    if !jws.verifies_with(key) {
        return Err("the status list token's signature does not verify".into());
    }
    if jws.payload.get("sub").and_then(Value::as_str) != Some(uri) {
        return Err("the status list token is for another list".into());
    }
    if let Some(exp) = jws.payload.get("exp") {
        match numeric_date(exp) {
            Some(exp) if exp > now => {}
            Some(_) => return Err("the status list token has expired".into()),
            None => return Err("exp is not a NumericDate".into()),
        }
    }
    let claim = jws
        .payload
        .get("status_list")
        .ok_or("the status list token has no status_list")?;
    TokenStatusList::from_claim(claim)
}

/// Token Status Lists by URI, each read and checked beforehand, or why it could not be.
#[derive(Clone, Debug, Default)]
pub struct TokenStatusLists {
    pub lists: HashMap<String, std::result::Result<TokenStatusList, String>>,
}

// ---------------------------------------------------------------------------------------
// Issuing

/// Issues a catalogue credential as an SD-JWT VC (`typ` dc+sd-jwt, EdDSA, `kid` = the
/// issuer's verification method), every subject claim selectively disclosable per
/// [`disclosure_policy`], bound to `holder_jwk` when given (`cnf`), with `status` when
/// given, issued now (`iat`). Returns `<issuer-JWT>~<disclosure>~…~`.
pub fn issue_sd_jwt_vc(
    unsigned: &UnsignedCredential,
    signer: &SigningIdentity,
    holder_jwk: Option<&Jwk>,
    status: Option<&StatusListReference>,
) -> Result<String> {
    issue_sd_jwt_vc_at(unsigned, signer, holder_jwk, status, Utc::now())
}

/// [`issue_sd_jwt_vc`] with `iat` from the caller's clock.
pub fn issue_sd_jwt_vc_at(
    unsigned: &UnsignedCredential,
    signer: &SigningIdentity,
    holder_jwk: Option<&Jwk>,
    status: Option<&StatusListReference>,
    issued_at: DateTime<Utc>,
) -> Result<String> {
    let kind = unsigned.kind();
    let subject = unsigned.subject.to_json()?;
    let subject = subject
        .as_object()
        .ok_or_else(|| Error::MalformedCredential("credentialSubject is not an object".into()))?;

    let mut disclosures = Vec::new();
    let mut digests = Vec::new();
    for (term, value) in subject {
        let claim = if term == "id" { "sub" } else { term.as_str() };
        let how = policy_of(kind, claim).ok_or_else(|| {
            Error::SdJwt(format!(
                "no disclosure policy for claim {claim} of {}",
                kind.type_name()
            ))
        })?;
        let value = match (how, value) {
            (Disclosability::EachElement, Value::Array(elements)) => {
                let mut hidden = Vec::with_capacity(elements.len());
                for element in elements {
                    let (encoded, digest) = make_disclosure(None, element)?;
                    disclosures.push(encoded);
                    hidden.push(json!({ "...": digest }));
                }
                Value::Array(hidden)
            }
            _ => value.clone(),
        };
        let (encoded, digest) = make_disclosure(Some(claim), &value)?;
        disclosures.push(encoded);
        digests.push(digest);
    }
    digests.extend((0..TOP_LEVEL_DECOYS).map(|_| decoy_digest()));
    // RFC 9901 §4.2.4.1: the order of `_sd` must not reveal the order of the claims.
    digests.shuffle(&mut OsRng);

    let mut payload = Map::new();
    payload.insert("iss".into(), issuer_url_of_did_web(signer.did())?.into());
    payload.insert("iat".into(), issued_at.timestamp().into());
    payload.insert("nbf".into(), unsigned.valid_from.timestamp().into());
    if let Some(until) = unsigned.valid_until {
        payload.insert("exp".into(), until.timestamp().into());
    }
    payload.insert("vct".into(), vct(kind).into());
    if let Some(holder) = holder_jwk {
        holder.verifying_key()?;
        payload.insert("cnf".into(), json!({ "jwk": holder.to_json() }));
    }
    if let Some(status) = status {
        payload.insert("status".into(), status.to_claim());
    }
    payload.insert("_sd_alg".into(), SD_ALG.into());
    payload.insert("_sd".into(), digests.into());

    let header =
        json!({ "alg": JWS_ALG, "typ": SD_JWT_VC_TYP, "kid": signer.verification_method() });
    let jwt = sign_jws(&header, &Value::Object(payload), signer)?;
    let mut out = jwt;
    for disclosure in disclosures {
        out.push('~');
        out.push_str(&disclosure);
    }
    out.push('~');
    Ok(out)
}

/// `base64url(SHA-256(ASCII of the disclosure as sent))` (RFC 9901 §4.2.3): the encoded
/// string is hashed, never a re-encoding of its JSON.
pub fn disclosure_digest(encoded: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(encoded.as_bytes()))
}

fn make_disclosure(name: Option<&str>, value: &Value) -> Result<(String, String)> {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let salt = URL_SAFE_NO_PAD.encode(salt);
    let array = match name {
        Some(name) => json!([salt, name, value]),
        None => json!([salt, value]),
    };
    let text = serde_json::to_string(&array).map_err(|e| Error::SdJwt(e.to_string()))?;
    let encoded = URL_SAFE_NO_PAD.encode(text);
    let digest = disclosure_digest(&encoded);
    Ok((encoded, digest))
}

fn decoy_digest() -> String {
    let mut random = [0u8; 32];
    OsRng.fill_bytes(&mut random);
    URL_SAFE_NO_PAD.encode(Sha256::digest(random))
}

// ---------------------------------------------------------------------------------------
// Claim paths

/// One step of an OpenID4VP claims path pointer (§7): a key, an array index, or `null`
/// for every element.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathElement {
    Key(String),
    Index(usize),
    AllElements,
}

pub type ClaimPath = Vec<PathElement>;

/// A claims path pointer from its JSON form, e.g. `["checks", null]`.
pub fn claim_path(json: &Value) -> Result<ClaimPath> {
    let path = ClaimPath::deserialize(json).map_err(|_| {
        Error::SdJwt("a claims path is an array of strings, integers ≥ 0 and null".into())
    })?;
    if path.is_empty() {
        return Err(Error::SdJwt("a claims path is not empty".into()));
    }
    Ok(path)
}

fn describe_path(path: &[PathElement]) -> String {
    serde_json::to_string(path).unwrap_or_default()
}

/// Whether `concrete` is what `pattern` selects or, when `under`, lies beneath it; `null`
/// matches any index on either side (a parent of `["checks", null, "x"]` is `["checks", 0]`).
fn path_selects(pattern: &[PathElement], concrete: &[PathElement], under: bool) -> bool {
    if concrete.len() < pattern.len() || (!under && concrete.len() != pattern.len()) {
        return false;
    }
    pattern.iter().zip(concrete).all(|(p, c)| match (p, c) {
        (PathElement::AllElements, PathElement::Index(_))
        | (PathElement::Index(_), PathElement::AllElements) => true,
        (p, c) => p == c,
    })
}

fn path_exists(value: &Value, path: &[PathElement]) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return true;
    };
    match (first, value) {
        (PathElement::Key(key), Value::Object(object)) => {
            object.get(key).is_some_and(|v| path_exists(v, rest))
        }
        (PathElement::Index(i), Value::Array(items)) => {
            items.get(*i).is_some_and(|v| path_exists(v, rest))
        }
        (PathElement::AllElements, Value::Array(items)) => {
            rest.is_empty() || items.iter().any(|v| path_exists(v, rest))
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------
// Holder

/// One selectively disclosable claim of a received SD-JWT, for a consent screen.
#[derive(Clone, PartialEq, Serialize)]
pub struct DisclosableClaim {
    /// As an OpenID4VP claims path pointer, e.g. `["checks", 2]`.
    pub path: ClaimPath,
    /// The value with everything under it disclosed.
    pub value: Value,
}

impl std::fmt::Debug for DisclosableClaim {
    // The value is personal data: only its path is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DisclosableClaim")
            .field("path", &describe_path(&self.path))
            .finish_non_exhaustive()
    }
}

/// Lists the selectively disclosable claims of an SD-JWT the holder holds (it must be the
/// issued form, without a KB-JWT). Does not check the issuer's signature: verify the
/// credential on receipt with [`verify_sd_jwt_vc`] and no key binding.
pub fn disclosable_claims(sd_jwt: &str) -> Result<Vec<DisclosableClaim>> {
    let held = parse_held(sd_jwt)?;
    let resolved = resolve(&held.jws.payload, &held.disclosures).map_err(Error::SdJwt)?;
    let claims = Value::Object(resolved.claims);
    Ok(resolved
        .revealed
        .into_iter()
        .map(|r| {
            let value = value_at(&claims, &r.path).cloned().unwrap_or(Value::Null);
            DisclosableClaim {
                path: r.path,
                value,
            }
        })
        .collect())
}

/// Builds a presentation: the SD-JWT with only the disclosures that `disclose` needs (each
/// path, everything under it, and the disclosures of its parents), then a KB-JWT (`typ`
/// kb+jwt) with `aud`, `nonce`, `iat` and `sd_hash` signed by the holder's key, which
/// must be the credential's `cnf` key.
pub fn present(
    sd_jwt: &str,
    disclose: &[ClaimPath],
    holder_key: &dyn JwtSigner,
    aud: &str,
    nonce: &str,
    iat: DateTime<Utc>,
) -> Result<String> {
    let held = parse_held(sd_jwt)?;
    match confirmation_key(&held.jws.payload) {
        Ok(Some(bound)) if bound == holder_key.public_key() => {}
        Ok(Some(_)) => {
            return Err(Error::SdJwt(
                "the credential is bound to another key than the holder's".into(),
            ))
        }
        Ok(None) => {
            return Err(Error::SdJwt(
                "the credential has no cnf key, so it cannot be key-bound".into(),
            ))
        }
        Err(why) => return Err(Error::SdJwt(why)),
    }
    let resolved = resolve(&held.jws.payload, &held.disclosures).map_err(Error::SdJwt)?;
    let claims = Value::Object(resolved.claims);
    let mut chosen = vec![false; held.disclosures.len()];
    for path in disclose {
        if path.is_empty() || !path_exists(&claims, path) {
            return Err(Error::SdJwt(format!(
                "claim {} is not in the credential",
                describe_path(path)
            )));
        }
        for revealed in &resolved.revealed {
            if path_selects(path, &revealed.path, true) || path_selects(&revealed.path, path, true)
            {
                chosen[revealed.disclosure] = true;
            }
        }
    }
    let mut presented = held.jwt.to_owned();
    presented.push('~');
    for (disclosure, chosen) in held.disclosures.iter().zip(chosen) {
        if chosen {
            presented.push_str(&disclosure.encoded);
            presented.push('~');
        }
    }
    let kb = key_binding_jwt(&presented, holder_key, aud, nonce, iat)?;
    presented.push_str(&kb);
    Ok(presented)
}

/// `base64url(SHA-256(<issuer-JWT>~<D1>~…~<Dn>~))`, what a KB-JWT's `sd_hash` covers.
pub fn sd_hash(presented_without_kb: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(presented_without_kb.as_bytes()))
}

pub(crate) fn key_binding_jwt(
    presented_without_kb: &str,
    holder_key: &dyn JwtSigner,
    aud: &str,
    nonce: &str,
    iat: DateTime<Utc>,
) -> Result<String> {
    let header = json!({ "alg": JWS_ALG, "typ": KB_JWT_TYP });
    let payload = json!({
        "iat": iat.timestamp(),
        "aud": aud,
        "nonce": nonce,
        "sd_hash": sd_hash(presented_without_kb),
    });
    sign_jws(&header, &payload, holder_key)
}

struct Held<'a> {
    jwt: &'a str,
    jws: Jws<'a>,
    disclosures: Vec<Disclosure>,
}

/// An SD-JWT as issued: `<JWT>~<D>~…~`, with no KB-JWT (RFC 9901 §7.2).
fn parse_held(sd_jwt: &str) -> Result<Held<'_>> {
    let split = split_sd_jwt(sd_jwt).map_err(Error::SdJwt)?;
    if split.key_binding.is_some() {
        return Err(Error::SdJwt(
            "an SD-JWT with a key-binding JWT is a presentation, not a credential to hold".into(),
        ));
    }
    let jws = parse_jws(split.jwt).map_err(Error::SdJwt)?;
    let disclosures = split
        .disclosures
        .iter()
        .map(|d| parse_disclosure(d))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(Error::SdJwt)?;
    Ok(Held {
        jwt: split.jwt,
        jws,
        disclosures,
    })
}

fn value_at<'v>(value: &'v Value, path: &[PathElement]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, step| match (step, v) {
        (PathElement::Key(k), Value::Object(o)) => o.get(k),
        (PathElement::Index(i), Value::Array(a)) => a.get(*i),
        _ => None,
    })
}

// ---------------------------------------------------------------------------------------
// Verifier

/// What the verifier expects of a key binding (OpenID4VP B.3.6): its `aud` (the full
/// client_id), the request's `nonce`, and how old its `iat` may be.
#[derive(Clone, Debug)]
pub struct KeyBindingExpectation {
    pub audience: String,
    pub nonce: String,
    pub max_age: Duration,
}

impl KeyBindingExpectation {
    pub fn new(audience: impl Into<String>, nonce: impl Into<String>) -> Self {
        Self {
            audience: audience.into(),
            nonce: nonce.into(),
            max_age: Duration::minutes(5),
        }
    }
}

/// Everything verification may consult, fixed before it starts. `key_binding: None` means
/// key binding is not required, and then a KB-JWT is refused (that is the holder checking a
/// credential at issuance, RFC 9901 §7.2); the decision never depends on what arrived.
pub struct SdJwtExpectations<'a> {
    pub key_binding: Option<KeyBindingExpectation>,
    pub now: DateTime<Utc>,
    pub status_lists: &'a TokenStatusLists,
    /// The trust registry's list, or why it could not be had; `None`: no registry
    /// configured (issuer trust "not applicable", never "passed").
    pub trust_list: Option<&'a std::result::Result<TrustList, String>>,
}

static NO_TOKEN_STATUS_LISTS: std::sync::OnceLock<TokenStatusLists> = std::sync::OnceLock::new();

impl<'a> SdJwtExpectations<'a> {
    /// A verifier's expectations: key binding required with this audience and nonce.
    pub fn presentation(audience: &str, nonce: &str, now: DateTime<Utc>) -> Self {
        Self {
            key_binding: Some(KeyBindingExpectation::new(audience, nonce)),
            now,
            status_lists: NO_TOKEN_STATUS_LISTS.get_or_init(TokenStatusLists::default),
            trust_list: None,
        }
    }

    /// A holder's check of a credential just issued to it: no key binding.
    pub fn issued_credential(now: DateTime<Utc>) -> Self {
        Self {
            key_binding: None,
            now,
            status_lists: NO_TOKEN_STATUS_LISTS.get_or_init(TokenStatusLists::default),
            trust_list: None,
        }
    }

    pub fn with_status_lists(mut self, lists: &'a TokenStatusLists) -> Self {
        self.status_lists = lists;
        self
    }

    pub fn with_trust_list(mut self, list: &'a std::result::Result<TrustList, String>) -> Self {
        self.trust_list = Some(list);
        self
    }
}

/// The outcome of verifying an SD-JWT VC: one check per entry, and the disclosed claims
/// only when every check passed.
#[derive(Clone, Serialize)]
pub struct SdJwtVcVerdict {
    pub verdict: Verdict,
    pub kind: Option<CredentialKind>,
    /// The processed payload (`_sd`, `_sd_alg` removed, disclosures in place): `iss`,
    /// `vct`, `iat`, `nbf`, `exp`, `cnf`, `status` and the disclosed claims.
    claims: Option<Value>,
}

impl SdJwtVcVerdict {
    pub fn verified(&self) -> bool {
        self.verdict.verified()
    }

    pub fn claims(&self) -> Option<&Value> {
        self.claims.as_ref()
    }

    /// The `status` reference, so the caller knows which list to fetch; read from the
    /// issuer-signed part without checking anything.
    pub fn status_reference_of(presented: &str) -> Option<StatusListReference> {
        let split = split_sd_jwt(presented).ok()?;
        let jws = parse_jws(split.jwt).ok()?;
        StatusListReference::from_claim(jws.payload.get("status")?).ok()
    }

    /// The `iss` of a presented SD-JWT, read without checking anything, so the caller
    /// knows whose metadata to fetch.
    pub fn issuer_of(presented: &str) -> Option<String> {
        let split = split_sd_jwt(presented).ok()?;
        let jws = parse_jws(split.jwt).ok()?;
        jws.payload.get("iss")?.as_str().map(str::to_owned)
    }
}

impl std::fmt::Debug for SdJwtVcVerdict {
    // The claims are personal data: Debug names the checks only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SdJwtVcVerdict")
            .field("verdict", &self.verdict)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// Verifies an SD-JWT VC, with or without key binding as `expected` says: structure and
/// `typ`, the issuer's key and signature, every disclosure (RFC 9901 §7.1), validity
/// (`nbf`, `exp`), the KB-JWT (§7.3: `typ`, signature by the `cnf` key, `sd_hash`, `iat`,
/// `aud`, `nonce`), status, issuer trust and the type's claims. Never fails: a string that
/// is no SD-JWT at all is a failed `Structure` check.
pub fn verify_sd_jwt_vc(
    presented: &str,
    issuer_keys: &IssuerKeys,
    expected: &SdJwtExpectations<'_>,
) -> SdJwtVcVerdict {
    let mut verdict = Verdict::default();
    let mut result = SdJwtVcVerdict {
        verdict: Verdict::default(),
        kind: None,
        claims: None,
    };
    let parsed = match parse_presented(presented) {
        Ok(parsed) => parsed,
        Err(why) => {
            verdict.record(CheckName::Structure, Outcome::Failed(why));
            result.verdict = verdict;
            return result;
        }
    };
    verdict.record(CheckName::Structure, Outcome::Passed);
    result.kind = parsed
        .jws
        .payload
        .get("vct")
        .and_then(Value::as_str)
        .and_then(kind_of_vct);

    // The issuer's key and signature.
    let iss = parsed
        .jws
        .payload
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kid = parsed.jws.header.get("kid").and_then(Value::as_str);
    match issuer_keys.key_for(iss, kid) {
        Ok(key) => {
            verdict.record(CheckName::KeyResolution, Outcome::Passed);
            if parsed.jws.verifies_with(&key) {
                verdict.record(CheckName::Proof, Outcome::Passed);
            } else {
                verdict.record(
                    CheckName::Proof,
                    Outcome::Failed("the issuer's signature does not verify".into()),
                );
                result.verdict = verdict;
                return result;
            }
        }
        Err(KeyProblem::Unresolvable(why)) => {
            verdict.record(CheckName::KeyResolution, Outcome::CouldNotCheck(why));
            verdict.record(
                CheckName::Proof,
                Outcome::CouldNotCheck("the issuer's key is not known".into()),
            );
            result.verdict = verdict;
            return result;
        }
        Err(KeyProblem::Invalid(why)) => {
            verdict.record(CheckName::KeyResolution, Outcome::Failed(why));
            verdict.record(
                CheckName::Proof,
                Outcome::Failed("not signed with a key of its issuer".into()),
            );
            result.verdict = verdict;
            return result;
        }
    }

    // The disclosures.
    let claims = match resolve(&parsed.jws.payload, &parsed.disclosures) {
        Ok(resolved) => {
            verdict.record(CheckName::Disclosures, Outcome::Passed);
            resolved.claims
        }
        Err(why) => {
            verdict.record(CheckName::Disclosures, Outcome::Failed(why));
            result.verdict = verdict;
            return result;
        }
    };

    check_time_claims(&claims, expected.now, &mut verdict);
    check_key_binding(&parsed, expected, &mut verdict);
    check_token_status(&claims, expected.status_lists, &mut verdict);
    check_sd_jwt_issuer_trusted(iss, result.kind, &claims, expected.trust_list, &mut verdict);
    check_claims_of_type(result.kind, &claims, &mut verdict);

    if verdict.verified() {
        result.claims = Some(Value::Object(claims));
    }
    result.verdict = verdict;
    result
}

struct Presented<'a> {
    jws: Jws<'a>,
    disclosures: Vec<Disclosure>,
    /// `<issuer-JWT>~<D1>~…~<Dn>~`, what `sd_hash` covers.
    without_kb: &'a str,
    key_binding: Option<&'a str>,
}

fn parse_presented(presented: &str) -> std::result::Result<Presented<'_>, String> {
    let split = split_sd_jwt(presented)?;
    let jws = parse_jws(split.jwt)?;
    match jws.header.get("typ").and_then(Value::as_str) {
        Some(SD_JWT_VC_TYP | LEGACY_SD_JWT_VC_TYP) => {}
        _ => return Err(format!("an SD-JWT VC has typ {SD_JWT_VC_TYP}")),
    }
    for required in ["iss", "vct"] {
        if !jws.payload.get(required).is_some_and(Value::is_string) {
            return Err(format!("an SD-JWT VC of ours has a string {required}"));
        }
    }
    match jws.payload.get("_sd_alg") {
        None => {}
        Some(Value::String(alg)) if alg == SD_ALG => {}
        Some(_) => return Err(format!("_sd_alg must be {SD_ALG}")),
    }
    let disclosures = split
        .disclosures
        .iter()
        .map(|d| parse_disclosure(d))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Presented {
        jws,
        disclosures,
        without_kb: split.without_kb,
        key_binding: split.key_binding,
    })
}

fn numeric_date(value: &Value) -> Option<DateTime<Utc>> {
    let seconds = value.as_f64()?;
    if !seconds.is_finite() {
        return None;
    }
    DateTime::from_timestamp(seconds.floor() as i64, 0)
}

fn check_time_claims(claims: &Map<String, Value>, now: DateTime<Utc>, verdict: &mut Verdict) {
    let nbf = match claims.get("nbf") {
        None => Outcome::NotApplicable,
        Some(raw) => match numeric_date(raw) {
            None => Outcome::Failed("nbf is not a NumericDate".into()),
            Some(nbf) if nbf > now => Outcome::Failed(format!("not valid before {nbf}")),
            Some(_) => Outcome::Passed,
        },
    };
    let exp = match claims.get("exp") {
        None => Outcome::NotApplicable,
        Some(raw) => match numeric_date(raw) {
            None => Outcome::Failed("exp is not a NumericDate".into()),
            Some(exp) if exp <= now => Outcome::Failed(format!("expired at {exp}")),
            Some(_) => Outcome::Passed,
        },
    };
    verdict.record(CheckName::ValidFrom, nbf);
    verdict.record(CheckName::ValidUntil, exp);
}

fn check_key_binding(
    parsed: &Presented<'_>,
    expected: &SdJwtExpectations<'_>,
    verdict: &mut Verdict,
) {
    let (expectation, kb) = match (&expected.key_binding, parsed.key_binding) {
        (None, None) => {
            verdict.record(CheckName::HolderBinding, Outcome::NotApplicable);
            return;
        }
        (None, Some(_)) => {
            verdict.record(
                CheckName::HolderBinding,
                Outcome::Failed("a key-binding JWT was not expected here".into()),
            );
            return;
        }
        (Some(_), None) => {
            let missing = "no key-binding JWT, and the verifier requires one";
            verdict.record(CheckName::HolderBinding, Outcome::Failed(missing.into()));
            verdict.record(CheckName::Challenge, Outcome::Failed(missing.into()));
            verdict.record(CheckName::Domain, Outcome::Failed(missing.into()));
            return;
        }
        (Some(expectation), Some(kb)) => (expectation, kb),
    };
    let (binding, nonce, audience) = key_binding_outcomes(parsed, kb, expectation, expected.now);
    verdict.record(CheckName::HolderBinding, binding);
    verdict.record(CheckName::Challenge, nonce);
    verdict.record(CheckName::Domain, audience);
}

fn key_binding_outcomes(
    parsed: &Presented<'_>,
    kb: &str,
    expectation: &KeyBindingExpectation,
    now: DateTime<Utc>,
) -> (Outcome, Outcome, Outcome) {
    let unchecked = || Outcome::Failed("the key-binding JWT did not verify".into());
    let fail = |why: String| (Outcome::Failed(why), unchecked(), unchecked());
    let holder_key = match confirmation_key(&parsed.jws.payload) {
        Ok(Some(key)) => key,
        Ok(None) => return fail("the credential has no cnf key to bind to".into()),
        Err(why) => return fail(why),
    };
    let jws = match parse_jws(kb) {
        Ok(jws) => jws,
        Err(why) => return fail(format!("key-binding JWT: {why}")),
    };
    if jws.header.get("typ").and_then(Value::as_str) != Some(KB_JWT_TYP) {
        return fail(format!("a key-binding JWT has typ {KB_JWT_TYP}"));
    }
    if !jws.verifies_with(&holder_key) {
        return fail("the key-binding JWT is not signed by the credential's holder key".into());
    }
    if jws.payload.get("sd_hash").and_then(Value::as_str) != Some(&sd_hash(parsed.without_kb)) {
        return fail("sd_hash does not match the presented SD-JWT".into());
    }
    match jws.payload.get("iat").and_then(numeric_date) {
        None => return fail("the key-binding JWT has no iat".into()),
        Some(iat) if iat > now + Duration::seconds(KEY_BINDING_FUTURE_SKEW_SECONDS) => {
            return fail("the key-binding JWT is dated in the future".into())
        }
        Some(iat) if iat < now - expectation.max_age => {
            return fail("the key-binding JWT is too old".into())
        }
        Some(_) => {}
    }
    let nonce = match jws.payload.get("nonce").and_then(Value::as_str) {
        None => Outcome::Failed("the key-binding JWT has no nonce".into()),
        Some(n) if n == expectation.nonce => Outcome::Passed,
        Some(_) => Outcome::Failed("nonce does not match the one issued".into()),
    };
    let audience = match jws.payload.get("aud") {
        Some(Value::String(aud)) if *aud == expectation.audience => Outcome::Passed,
        Some(Value::String(_)) => Outcome::Failed("aud is not this verifier".into()),
        _ => Outcome::Failed("a key-binding JWT has a single string aud".into()),
    };
    (Outcome::Passed, nonce, audience)
}

/// The holder key in `cnf.jwk`, if the credential names one.
fn confirmation_key(
    payload: &Map<String, Value>,
) -> std::result::Result<Option<VerifyingKey>, String> {
    let Some(cnf) = payload.get("cnf") else {
        return Ok(None);
    };
    let jwk = cnf
        .get("jwk")
        .ok_or("cnf names no jwk (the only confirmation method we accept)")?;
    Jwk::from_json(jwk)
        .and_then(|jwk| jwk.verifying_key())
        .map(Some)
        .map_err(|e| format!("cnf.jwk: {e}"))
}

fn check_token_status(
    claims: &Map<String, Value>,
    lists: &TokenStatusLists,
    verdict: &mut Verdict,
) {
    let Some(status) = claims.get("status") else {
        verdict.record(CheckName::Status, Outcome::NotApplicable);
        return;
    };
    let reference = match StatusListReference::from_claim(status) {
        Ok(reference) => reference,
        Err(why) => {
            verdict.record(CheckName::Status, Outcome::Failed(why));
            return;
        }
    };
    let outcome = match lists.lists.get(&reference.uri) {
        None => Outcome::CouldNotCheck(format!("status list {} was not retrieved", reference.uri)),
        Some(Err(why)) => Outcome::CouldNotCheck(why.clone()),
        Some(Ok(list)) => match list.get(reference.idx) {
            None => Outcome::Failed("the status index is outside its list".into()),
            Some(STATUS_VALID) => Outcome::Passed,
            Some(STATUS_INVALID) => Outcome::Failed("revoked".into()),
            Some(STATUS_SUSPENDED) => Outcome::Failed("suspended".into()),
            Some(other) => Outcome::Failed(format!("status {other:#04x} is not valid")),
        },
    };
    verdict.record(CheckName::Status, outcome);
}

/// BR-26a for SD-JWT VCs: the did:web that `iss` names was authorised for the type when it
/// issued (`iat`).
fn check_sd_jwt_issuer_trusted(
    iss: &str,
    kind: Option<CredentialKind>,
    claims: &Map<String, Value>,
    trust_list: Option<&std::result::Result<TrustList, String>>,
    verdict: &mut Verdict,
) {
    let outcome = match trust_list {
        None => Outcome::NotApplicable,
        Some(Err(problem)) => {
            Outcome::CouldNotCheck(format!("the trust list is not available: {problem}"))
        }
        Some(Ok(list)) => match (
            did_web_for_base_url(iss),
            kind,
            claims.get("iat").and_then(numeric_date),
        ) {
            (Err(_), _, _) => Outcome::Failed("iss names no did:web issuer".into()),
            (_, None, _) => Outcome::Failed("the vct is not a type of the catalogue".into()),
            (_, _, None) => Outcome::Failed("the credential has no iat".into()),
            (Ok(did), Some(kind), Some(at)) => match list.decide(&did, kind.type_name(), at) {
                TrustDecision::Trusted => Outcome::Passed,
                TrustDecision::NotListed => {
                    Outcome::Failed(format!("issuer {did} is not in the trust registry"))
                }
                TrustDecision::Removed => {
                    Outcome::Failed(format!("issuer {did} was removed from the trust registry"))
                }
                TrustDecision::NotAuthorised => Outcome::Failed(format!(
                    "issuer {did} was not authorised to issue {} at {at}",
                    kind.type_name()
                )),
            },
        },
    };
    verdict.record(CheckName::IssuerTrusted, outcome);
}

/// The `vct` is one of ours, and every disclosed claim is one its type has.
fn check_claims_of_type(
    kind: Option<CredentialKind>,
    claims: &Map<String, Value>,
    verdict: &mut Verdict,
) {
    const REGISTERED: [&str; 9] = [
        "iss",
        "iat",
        "nbf",
        "exp",
        "vct",
        "cnf",
        "status",
        "jti",
        "vct#integrity",
    ];
    let Some(kind) = kind else {
        verdict.record(
            CheckName::TypeRules,
            Outcome::Failed("the vct is not a type of the catalogue".into()),
        );
        return;
    };
    let unknown: Vec<&str> = claims
        .keys()
        .map(String::as_str)
        .filter(|name| !REGISTERED.contains(name) && policy_of(kind, name).is_none())
        .collect();
    let outcome = if unknown.is_empty() {
        Outcome::Passed
    } else {
        Outcome::Failed(format!(
            "claims a {} does not have: {}",
            kind.type_name(),
            unknown.join(", ")
        ))
    };
    verdict.record(CheckName::TypeRules, outcome);
}

// ---------------------------------------------------------------------------------------
// Serialization, JWS and disclosures

struct SplitSdJwt<'a> {
    jwt: &'a str,
    disclosures: Vec<&'a str>,
    without_kb: &'a str,
    key_binding: Option<&'a str>,
}

/// `<JWT>~<D1>~…~<Dn>~[<KB-JWT>]` (RFC 9901 §4): the trailing `~` is mandatory.
fn split_sd_jwt(text: &str) -> std::result::Result<SplitSdJwt<'_>, String> {
    let last_tilde = text.rfind('~').ok_or("not an SD-JWT: no '~' separator")?;
    let (without_kb, rest) = text.split_at(last_tilde + 1);
    let key_binding = (!rest.is_empty()).then_some(rest);
    let mut parts: Vec<&str> = without_kb[..last_tilde].split('~').collect();
    let jwt = parts.remove(0);
    if jwt.is_empty() {
        return Err("not an SD-JWT: no issuer-signed JWT".into());
    }
    if parts.iter().any(|d| d.is_empty()) {
        return Err("an empty disclosure".into());
    }
    Ok(SplitSdJwt {
        jwt,
        disclosures: parts,
        without_kb,
        key_binding,
    })
}

struct Jws<'a> {
    header: Map<String, Value>,
    payload: Map<String, Value>,
    signing_input: &'a str,
    signature: Signature,
}

impl Jws<'_> {
    fn verifies_with(&self, key: &VerifyingKey) -> bool {
        key.verify(self.signing_input.as_bytes(), &self.signature)
            .is_ok()
    }
}

fn decode_json_object(part: &str, what: &str) -> std::result::Result<Map<String, Value>, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| format!("the {what} is not base64url"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(format!("the {what} is not a JSON object")),
    }
}

/// A compact JWS signed with EdDSA (Ed25519); any other `alg`, `none` above all, and any
/// `crit` extension are refused.
fn parse_jws(token: &str) -> std::result::Result<Jws<'_>, String> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a compact JWS".into());
    };
    let header_object = decode_json_object(header, "JWS header")?;
    match header_object.get("alg").and_then(Value::as_str) {
        Some("EdDSA" | "Ed25519") => {}
        _ => return Err("the JWS alg is not EdDSA (Ed25519)".into()),
    }
    if header_object.contains_key("crit") {
        return Err("the JWS has crit extensions we do not understand".into());
    }
    let payload_object = decode_json_object(payload, "JWS payload")?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .ok()
        .and_then(|bytes| Signature::from_slice(&bytes).ok())
        .ok_or("the JWS signature is not a 64-byte Ed25519 signature")?;
    Ok(Jws {
        header: header_object,
        payload: payload_object,
        signing_input: &token[..header.len() + 1 + payload.len()],
        signature,
    })
}

fn sign_jws(header: &Value, payload: &Value, signer: &dyn JwtSigner) -> Result<String> {
    let encode = |v: &Value| {
        serde_json::to_vec(v)
            .map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
            .map_err(|e| Error::Signing(e.to_string()))
    };
    let signing_input = format!("{}.{}", encode(header)?, encode(payload)?);
    let signature = signer.sign(signing_input.as_bytes())?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

struct Disclosure {
    encoded: String,
    digest: String,
    /// `None` for an array element (`[salt, value]`).
    name: Option<String>,
    value: Value,
}

fn parse_disclosure(encoded: &str) -> std::result::Result<Disclosure, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| "a disclosure is not base64url".to_owned())?;
    let Ok(Value::Array(mut items)) = serde_json::from_slice::<Value>(&bytes) else {
        return Err("a disclosure is not a JSON array".into());
    };
    if !items.first().is_some_and(Value::is_string) {
        return Err("a disclosure's salt is not a string".into());
    }
    let (name, value) = match items.len() {
        2 => (None, items.remove(1)),
        3 => {
            let value = items.remove(2);
            match items.remove(1) {
                Value::String(name) => (Some(name), value),
                _ => return Err("a disclosure's claim name is not a string".into()),
            }
        }
        _ => return Err("a disclosure has 2 or 3 elements".into()),
    };
    Ok(Disclosure {
        encoded: encoded.to_owned(),
        digest: disclosure_digest(encoded),
        name,
        value,
    })
}

struct Revealed {
    path: ClaimPath,
    disclosure: usize,
}

struct Resolved {
    claims: Map<String, Value>,
    /// Where each disclosure put its claim, in the processed payload.
    revealed: Vec<Revealed>,
}

/// RFC 9901 §7.1 steps 3–5: puts every disclosure in the place its digest holds, refusing
/// an unreferenced or repeated digest, a disclosure of the wrong shape for its place, the
/// names `_sd` and `...`, a name that collides, and a claim that may never be disclosable;
/// drops `_sd`, `_sd_alg` and undisclosed array entries.
fn resolve(
    payload: &Map<String, Value>,
    disclosures: &[Disclosure],
) -> std::result::Result<Resolved, String> {
    let mut by_digest = HashMap::with_capacity(disclosures.len());
    for (index, disclosure) in disclosures.iter().enumerate() {
        if by_digest
            .insert(disclosure.digest.as_str(), index)
            .is_some()
        {
            return Err("the same disclosure is sent twice".into());
        }
    }
    let mut resolver = Resolver {
        disclosures,
        by_digest,
        seen: HashSet::new(),
        used: vec![false; disclosures.len()],
        revealed: Vec::new(),
    };
    let claims = resolver.object(payload, &mut Vec::new(), true)?;
    if resolver.used.contains(&false) {
        return Err("a disclosure is not referenced by the issuer-signed JWT".into());
    }
    Ok(Resolved {
        claims,
        revealed: resolver.revealed,
    })
}

struct Resolver<'a> {
    disclosures: &'a [Disclosure],
    by_digest: HashMap<&'a str, usize>,
    seen: HashSet<String>,
    used: Vec<bool>,
    revealed: Vec<Revealed>,
}

impl<'a> Resolver<'a> {
    /// The disclosure a digest names, if one was sent; a digest met twice is refused.
    fn lookup(&mut self, digest: &str) -> std::result::Result<Option<usize>, String> {
        if !self.seen.insert(digest.to_owned()) {
            return Err("a digest appears more than once".into());
        }
        Ok(self.by_digest.get(digest).copied())
    }

    fn object(
        &mut self,
        object: &Map<String, Value>,
        path: &mut ClaimPath,
        top: bool,
    ) -> std::result::Result<Map<String, Value>, String> {
        let mut out = Map::new();
        for (key, value) in object {
            match key.as_str() {
                "_sd" => continue,
                "_sd_alg" if top => continue,
                "_sd_alg" => return Err("_sd_alg is allowed at the top level only".into()),
                _ => {}
            }
            path.push(PathElement::Key(key.clone()));
            let value = self.value(value, path)?;
            path.pop();
            out.insert(key.clone(), value);
        }
        let Some(digests) = object.get("_sd") else {
            return Ok(out);
        };
        let digests = digests.as_array().ok_or("_sd is not an array")?;
        let disclosures = self.disclosures;
        for digest in digests {
            let digest = digest.as_str().ok_or("_sd holds something not a digest")?;
            let Some(index) = self.lookup(digest)? else {
                continue;
            };
            let disclosure = &disclosures[index];
            let Some(name) = &disclosure.name else {
                return Err("an array-element disclosure is referenced from _sd".into());
            };
            if name == "_sd" || name == "..." {
                return Err(format!("a disclosure may not name the claim {name}"));
            }
            if top && NEVER_DISCLOSABLE.contains(&name.as_str()) {
                return Err(format!("{name} may never be selectively disclosed"));
            }
            if out.contains_key(name) {
                return Err(format!("claim {name} is disclosed where it already exists"));
            }
            self.used[index] = true;
            path.push(PathElement::Key(name.clone()));
            let value = self.value(&disclosure.value, path)?;
            self.revealed.push(Revealed {
                path: path.clone(),
                disclosure: index,
            });
            path.pop();
            out.insert(name.clone(), value);
        }
        Ok(out)
    }

    fn array(
        &mut self,
        items: &[Value],
        path: &mut ClaimPath,
    ) -> std::result::Result<Vec<Value>, String> {
        let disclosures = self.disclosures;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let placeholder = item
                .as_object()
                .filter(|o| o.len() == 1)
                .and_then(|o| o.get("..."));
            let Some(placeholder) = placeholder else {
                path.push(PathElement::Index(out.len()));
                let value = self.value(item, path)?;
                path.pop();
                out.push(value);
                continue;
            };
            let digest = placeholder
                .as_str()
                .ok_or("an array placeholder holds something not a digest")?;
            let Some(index) = self.lookup(digest)? else {
                continue;
            };
            let disclosure = &disclosures[index];
            if disclosure.name.is_some() {
                return Err("an object-property disclosure is referenced from an array".into());
            }
            self.used[index] = true;
            path.push(PathElement::Index(out.len()));
            let value = self.value(&disclosure.value, path)?;
            self.revealed.push(Revealed {
                path: path.clone(),
                disclosure: index,
            });
            path.pop();
            out.push(value);
        }
        Ok(out)
    }

    fn value(&mut self, value: &Value, path: &mut ClaimPath) -> std::result::Result<Value, String> {
        Ok(match value {
            Value::Object(object) => Value::Object(self.object(object, path, false)?),
            Value::Array(items) => Value::Array(self.array(items, path)?),
            other => other.clone(),
        })
    }
}

#[cfg(test)]
#[path = "sd_jwt_tests.rs"]
mod tests;
