//! W3C Bitstring Status List v1.0 (Recommendation, May 2025): the bitstring codec, status
//! entries, the status list credential, and reading a credential's status from a verified
//! list (§3.2). ssi's own module follows the 2024 draft, so this follows the REC directly.

use std::io::{Read, Write};

use base64::Engine;
use chrono::{DateTime, Utc};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde_json::{json, Value};

use crate::catalogue::xsd_date_time;
use crate::vocabulary::VC_V2_CONTEXT_URL;

/// §3.2 step 1: lists shorter than this give holders too little herd privacy.
pub const MINIMUM_ENTRIES: usize = 131_072;

/// A decoded list may be at most this large; anything larger is refused rather than
/// inflated (a few kilobytes of GZIP can otherwise claim gigabytes).
pub const MAXIMUM_ENTRIES: usize = 16 * 1024 * 1024 * 8;

/// Status list problems, with the REC's error types (§3.5).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StatusProblem {
    #[error("the status list could not be retrieved: {0}")]
    Retrieval(String),
    #[error("the status list does not verify or does not fit the entry: {0}")]
    Verification(String),
    #[error("the status list is shorter than {MINIMUM_ENTRIES} entries")]
    ListLength,
    #[error("status index {0} is outside the list")]
    Range(usize),
    #[error("malformed status value: {0}")]
    Malformed(String),
}

impl StatusProblem {
    pub fn type_url(&self) -> &'static str {
        match self {
            StatusProblem::Retrieval(_) => {
                "https://www.w3.org/ns/credentials/status-list#STATUS_RETRIEVAL_ERROR"
            }
            StatusProblem::Verification(_) => {
                "https://www.w3.org/ns/credentials/status-list#STATUS_VERIFICATION_ERROR"
            }
            StatusProblem::ListLength => {
                "https://www.w3.org/ns/credentials/status-list#STATUS_LIST_LENGTH_ERROR"
            }
            StatusProblem::Range(_) => "https://www.w3.org/ns/credentials/status-list#RANGE_ERROR",
            StatusProblem::Malformed(_) => {
                "https://www.w3.org/ns/credentials/status-list#MALFORMED_VALUE_ERROR"
            }
        }
    }
}

/// A list of one-bit statuses. Index 0 is the left-most bit: bit `i` lives in byte `i / 8`
/// under mask `0x80 >> (i % 8)` (§2.2; the byte order Digital Bazaar's code also uses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bitstring {
    bytes: Vec<u8>,
}

impl Bitstring {
    /// An all-zero list of `entries` statuses (a multiple of 8, at least the minimum).
    pub fn new(entries: usize) -> Result<Self, StatusProblem> {
        if entries < MINIMUM_ENTRIES {
            return Err(StatusProblem::ListLength);
        }
        if !entries.is_multiple_of(8) || entries > MAXIMUM_ENTRIES {
            return Err(StatusProblem::Malformed(format!(
                "a list of {entries} entries"
            )));
        }
        Ok(Self {
            bytes: vec![0; entries / 8],
        })
    }

    /// A list from its stored bytes (as [`Bitstring::as_bytes`] gave them).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, StatusProblem> {
        if bytes.len() * 8 < MINIMUM_ENTRIES {
            return Err(StatusProblem::ListLength);
        }
        if bytes.len() * 8 > MAXIMUM_ENTRIES {
            return Err(StatusProblem::Malformed(
                "the status list is larger than any list we accept".into(),
            ));
        }
        Ok(Self { bytes })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn len(&self) -> usize {
        self.bytes.len() * 8
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    pub fn get(&self, index: usize) -> Result<bool, StatusProblem> {
        let byte = self
            .bytes
            .get(index / 8)
            .ok_or(StatusProblem::Range(index))?;
        Ok(byte & (0x80 >> (index % 8)) != 0)
    }

    pub fn set(&mut self, index: usize, value: bool) -> Result<(), StatusProblem> {
        let byte = self
            .bytes
            .get_mut(index / 8)
            .ok_or(StatusProblem::Range(index))?;
        let mask = 0x80 >> (index % 8);
        if value {
            *byte |= mask;
        } else {
            *byte &= !mask;
        }
        Ok(())
    }

    /// The indexes whose status is set, ascending.
    pub fn set_indexes(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|i| self.get(*i).unwrap_or(false))
            .collect()
    }

    /// `encodedList`: multibase base64url without padding (`u…`) over the GZIP of the bits.
    pub fn encode(&self) -> Result<String, StatusProblem> {
        let mut gzip = GzEncoder::new(Vec::new(), flate2::Compression::best());
        gzip.write_all(&self.bytes)
            .map_err(|e| StatusProblem::Malformed(e.to_string()))?;
        let compressed = gzip
            .finish()
            .map_err(|e| StatusProblem::Malformed(e.to_string()))?;
        Ok(format!(
            "u{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(compressed)
        ))
    }

    /// Reads an `encodedList` (§3.4), refusing lists below the minimum length (§3.2 step 5).
    pub fn decode(encoded: &str) -> Result<Self, StatusProblem> {
        let body = encoded.strip_prefix('u').ok_or_else(|| {
            StatusProblem::Malformed("encodedList must be multibase base64url ('u')".into())
        })?;
        let compressed = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|e| StatusProblem::Malformed(format!("encodedList is not base64url: {e}")))?;
        let mut bytes = Vec::new();
        GzDecoder::new(compressed.as_slice())
            .take((MAXIMUM_ENTRIES / 8 + 1) as u64)
            .read_to_end(&mut bytes)
            .map_err(|e| StatusProblem::Malformed(format!("encodedList is not GZIP: {e}")))?;
        if bytes.len() * 8 > MAXIMUM_ENTRIES {
            return Err(StatusProblem::Malformed(
                "the status list is larger than any list we accept".into(),
            ));
        }
        if bytes.len() * 8 < MINIMUM_ENTRIES {
            return Err(StatusProblem::ListLength);
        }
        Ok(Self { bytes })
    }
}

/// The purposes our platform uses. The REC allows other strings; we issue only these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusPurpose {
    /// Permanent (BR-19: a revoked credential is never reinstated).
    Revocation,
    /// Reversible.
    Suspension,
}

impl StatusPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusPurpose::Revocation => "revocation",
            StatusPurpose::Suspension => "suspension",
        }
    }
}

/// One `BitstringStatusListEntry` of a credential (§2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusEntry {
    pub purpose: StatusPurpose,
    pub index: usize,
    /// The URL of the `BitstringStatusListCredential`.
    pub list_credential: String,
}

impl StatusEntry {
    pub fn to_json(&self) -> Value {
        json!({
            "id": format!("{}#{}", self.list_credential, self.index),
            "type": "BitstringStatusListEntry",
            "statusPurpose": self.purpose.as_str(),
            // A string, per the REC: a number here is a common interop bug.
            "statusListIndex": self.index.to_string(),
            "statusListCredential": self.list_credential,
        })
    }

    /// Reads an entry, refusing what the REC forbids (index not a base-10 string, an `id`
    /// equal to the list URL, multi-bit statuses which we never issue).
    pub fn from_json(entry: &Value) -> Result<Self, StatusProblem> {
        let field = |name: &str| entry.get(name).and_then(Value::as_str);
        if field("type") != Some("BitstringStatusListEntry") {
            return Err(StatusProblem::Malformed(
                "entry type must be BitstringStatusListEntry".into(),
            ));
        }
        let purpose = match field("statusPurpose") {
            Some("revocation") => StatusPurpose::Revocation,
            Some("suspension") => StatusPurpose::Suspension,
            other => {
                return Err(StatusProblem::Malformed(format!(
                    "unsupported statusPurpose {other:?}"
                )))
            }
        };
        let raw_index = field("statusListIndex")
            .ok_or_else(|| StatusProblem::Malformed("statusListIndex must be a string".into()))?;
        if raw_index.is_empty() || !raw_index.bytes().all(|b| b.is_ascii_digit()) {
            return Err(StatusProblem::Malformed(
                "statusListIndex must be a base-10 integer".into(),
            ));
        }
        let index = raw_index
            .parse()
            .map_err(|_| StatusProblem::Malformed("statusListIndex is too large".into()))?;
        let list_credential = field("statusListCredential")
            .ok_or_else(|| StatusProblem::Malformed("statusListCredential is required".into()))?
            .to_owned();
        if field("id") == Some(list_credential.as_str()) {
            return Err(StatusProblem::Malformed(
                "entry id must not be the list URL".into(),
            ));
        }
        if entry
            .get("statusSize")
            .and_then(Value::as_u64)
            .is_some_and(|size| size != 1)
        {
            return Err(StatusProblem::Malformed(
                "only one-bit statuses are supported".into(),
            ));
        }
        Ok(Self {
            purpose,
            index,
            list_credential,
        })
    }

    /// Every status entry of a credential (`credentialStatus` is an object or an array).
    pub fn all_of(credential: &Value) -> Result<Vec<Self>, StatusProblem> {
        match credential.get("credentialStatus") {
            None => Ok(Vec::new()),
            Some(Value::Array(entries)) => entries.iter().map(Self::from_json).collect(),
            Some(entry) => Ok(vec![Self::from_json(entry)?]),
        }
    }
}

/// An unsigned `BitstringStatusListCredential` (§2.2) for `list` at `url`.
pub struct StatusListCredential<'a> {
    pub url: &'a str,
    pub issuer: &'a str,
    pub purpose: StatusPurpose,
    pub list: &'a Bitstring,
    pub valid_from: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
    /// Milliseconds until a verifier should fetch the list again.
    pub ttl_millis: Option<u64>,
}

impl StatusListCredential<'_> {
    pub fn to_json(&self) -> Result<Value, StatusProblem> {
        let mut subject = json!({
            "id": format!("{}#list", self.url),
            "type": "BitstringStatusList",
            "statusPurpose": self.purpose.as_str(),
            "encodedList": self.list.encode()?,
        });
        if let Some(ttl) = self.ttl_millis {
            subject["ttl"] = ttl.into();
        }
        let mut credential = json!({
            "@context": [VC_V2_CONTEXT_URL],
            "id": self.url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": self.issuer,
            "validFrom": xsd_date_time(&self.valid_from),
            "credentialSubject": subject,
        });
        if let Some(until) = &self.valid_until {
            credential["validUntil"] = xsd_date_time(until).into();
        }
        Ok(credential)
    }
}

/// The status an entry points at, read from a list credential whose proof the caller has
/// already verified (§3.2 steps 3–6). `true` means the status is set (revoked/suspended).
pub fn status_in(
    entry: &StatusEntry,
    verified_list_credential: &Value,
) -> Result<bool, StatusProblem> {
    if verified_list_credential.get("id").and_then(Value::as_str)
        != Some(entry.list_credential.as_str())
    {
        return Err(StatusProblem::Verification(
            "the list credential is not the one the entry names".into(),
        ));
    }
    let is_list = match verified_list_credential.get("type") {
        Some(Value::Array(types)) => types.iter().any(|t| t == "BitstringStatusListCredential"),
        _ => false,
    };
    if !is_list {
        return Err(StatusProblem::Verification(
            "not a BitstringStatusListCredential".into(),
        ));
    }
    let subject = verified_list_credential
        .get("credentialSubject")
        .ok_or_else(|| StatusProblem::Malformed("the list credential has no subject".into()))?;
    let purposes: Vec<&str> = match subject.get("statusPurpose") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !purposes.contains(&entry.purpose.as_str()) {
        return Err(StatusProblem::Verification(format!(
            "the list is not for {}",
            entry.purpose.as_str()
        )));
    }
    let encoded = subject
        .get("encodedList")
        .and_then(Value::as_str)
        .ok_or_else(|| StatusProblem::Malformed("the list has no encodedList".into()))?;
    Bitstring::decode(encoded)?.get(entry.index)
}

/// A random index not yet allocated, for herd privacy (§2.1: SHOULD be random). `None`
/// when the list is full. `taken` answers whether an index is already in use.
pub fn random_free_index(
    list_length: usize,
    allocated: usize,
    mut taken: impl FnMut(usize) -> bool,
) -> Option<usize> {
    use rand::Rng;
    if allocated >= list_length {
        return None;
    }
    let mut rng = rand::thread_rng();
    // Rejection sampling stays fast while the list is mostly free; past half full, walk
    // from a random start instead so the cost stays bounded.
    if allocated < list_length / 2 {
        loop {
            let candidate = rng.gen_range(0..list_length);
            if !taken(candidate) {
                return Some(candidate);
            }
        }
    }
    let start = rng.gen_range(0..list_length);
    (0..list_length)
        .map(|offset| (start + offset) % list_length)
        .find(|i| !taken(*i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_numbered_from_the_left() {
        let mut list = Bitstring::new(MINIMUM_ENTRIES).unwrap();
        list.set(0, true).unwrap();
        list.set(9, true).unwrap();
        assert_eq!(list.bytes[0], 0x80);
        assert_eq!(list.bytes[1], 0x40);
        assert_eq!(list.set_indexes(), vec![0, 9]);
        list.set(0, false).unwrap();
        assert!(!list.get(0).unwrap());
        assert_eq!(
            list.get(MINIMUM_ENTRIES),
            Err(StatusProblem::Range(MINIMUM_ENTRIES))
        );
    }

    #[test]
    fn encoding_round_trips_and_is_unpadded_base64url() {
        let mut list = Bitstring::new(MINIMUM_ENTRIES).unwrap();
        for index in [0, 7, 8, 4242, MINIMUM_ENTRIES - 1] {
            list.set(index, true).unwrap();
        }
        let encoded = list.encode().unwrap();
        assert!(
            encoded.starts_with("uH4sI"),
            "multibase u + GZIP magic: {encoded}"
        );
        assert!(!encoded.contains('=') && !encoded.contains('+') && !encoded.contains('/'));
        assert_eq!(Bitstring::decode(&encoded).unwrap(), list);
    }

    #[test]
    fn short_bombs_and_garbage_are_refused() {
        assert_eq!(Bitstring::new(8), Err(StatusProblem::ListLength));
        let short = {
            let mut gzip = GzEncoder::new(Vec::new(), flate2::Compression::best());
            gzip.write_all(&[0u8; 1024]).unwrap();
            format!(
                "u{}",
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(gzip.finish().unwrap())
            )
        };
        assert_eq!(Bitstring::decode(&short), Err(StatusProblem::ListLength));
        let bomb = {
            let mut gzip = GzEncoder::new(Vec::new(), flate2::Compression::best());
            gzip.write_all(&vec![0u8; MAXIMUM_ENTRIES / 8 + 4096])
                .unwrap();
            format!(
                "u{}",
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(gzip.finish().unwrap())
            )
        };
        assert!(bomb.len() < 64 * 1024, "a small input claiming a huge list");
        assert!(matches!(
            Bitstring::decode(&bomb),
            Err(StatusProblem::Malformed(_))
        ));
        for garbage in ["", "zabc", "u!!!", "uAAAA"] {
            assert!(
                matches!(Bitstring::decode(garbage), Err(StatusProblem::Malformed(_))),
                "{garbage}"
            );
        }
    }

    #[test]
    fn entries_follow_the_recommendation() {
        let entry = StatusEntry {
            purpose: StatusPurpose::Suspension,
            index: 94567,
            list_credential: "https://r.example/lists/3".into(),
        };
        let json = entry.to_json();
        assert_eq!(json["statusListIndex"], "94567");
        assert_eq!(StatusEntry::from_json(&json).unwrap(), entry);
        let refused = [
            json!({"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": 5, "statusListCredential": "https://r.example/l"}),
            json!({"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "-5", "statusListCredential": "https://r.example/l"}),
            json!({"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "5", "statusListCredential": "https://r.example/l", "id": "https://r.example/l"}),
            json!({"type": "StatusList2021Entry", "statusPurpose": "revocation", "statusListIndex": "5", "statusListCredential": "https://r.example/l"}),
            json!({"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "5", "statusListCredential": "https://r.example/l", "statusSize": 2}),
        ];
        for entry in refused {
            assert!(StatusEntry::from_json(&entry).is_err(), "{entry}");
        }
    }

    #[test]
    fn status_is_read_from_a_list_of_the_right_purpose() {
        let mut list = Bitstring::new(MINIMUM_ENTRIES).unwrap();
        list.set(77, true).unwrap();
        let credential = StatusListCredential {
            url: "https://r.example/lists/1",
            issuer: "did:web:r.example",
            purpose: StatusPurpose::Revocation,
            list: &list,
            valid_from: "2026-11-24T00:00:00Z".parse().unwrap(),
            valid_until: None,
            ttl_millis: Some(300_000),
        }
        .to_json()
        .unwrap();
        let entry = |index, purpose| StatusEntry {
            purpose,
            index,
            list_credential: "https://r.example/lists/1".into(),
        };
        assert_eq!(
            status_in(&entry(77, StatusPurpose::Revocation), &credential),
            Ok(true)
        );
        assert_eq!(
            status_in(&entry(78, StatusPurpose::Revocation), &credential),
            Ok(false)
        );
        assert!(matches!(
            status_in(&entry(77, StatusPurpose::Suspension), &credential),
            Err(StatusProblem::Verification(_))
        ));
        assert_eq!(
            status_in(
                &entry(MINIMUM_ENTRIES + 8, StatusPurpose::Revocation),
                &credential
            ),
            Err(StatusProblem::Range(MINIMUM_ENTRIES + 8))
        );
        let mut other = entry(77, StatusPurpose::Revocation);
        other.list_credential = "https://r.example/lists/2".into();
        assert!(matches!(
            status_in(&other, &credential),
            Err(StatusProblem::Verification(_))
        ));
    }

    #[test]
    fn random_indexes_are_free_and_spread() {
        let mut used = std::collections::HashSet::new();
        for _ in 0..1000 {
            let index =
                random_free_index(MINIMUM_ENTRIES, used.len(), |i| used.contains(&i)).unwrap();
            assert!(used.insert(index));
        }
        assert!(
            used.iter().any(|i| *i > MINIMUM_ENTRIES / 2)
                && used.iter().any(|i| *i < MINIMUM_ENTRIES / 2)
        );
        assert_eq!(random_free_index(16, 16, |_| true), None);
        assert_eq!(random_free_index(16, 15, |i| i != 3), Some(3));
    }
}
