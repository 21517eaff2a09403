//! The NHS Staff Passport credential core: the seven NHS credential types, their JSON-LD
//! context and JSON Schemas, the RBAC catalogue (`rbac`), Data Integrity securing (`eddsa-rdfc-2022` through `ssi`, and
//! `eddsa-jcs-2022`), SD-JWT VC (`sd_jwt`, ADR 0005), verification verdicts, and DIDs.
//!
//! Architecture invariant: this crate does no I/O. DID documents reach it through the
//! [`did::DidResolver`] trait (resolved into a snapshot before verification starts), time
//! through [`clock::Clock`]; contexts and schemas are embedded and never fetched.
//!
//! Architecture invariant: a private key is held only inside [`securing::SigningIdentity`],
//! which has no accessor, no `Debug` output and no serialisation for it.

pub mod catalogue;
pub mod clock;
pub mod did;
pub mod error;
pub mod identifiers;
pub mod rbac;
pub mod sd_jwt;
pub mod securing;
pub mod status_list;
pub mod trust_list;
pub mod verdict;
pub mod vocabulary;

pub use catalogue::{CredentialKind, CredentialSubject, IssuerIdentity, UnsignedCredential};
pub use clock::{Clock, FixedClock, SystemClock};
pub use did::{DidResolver, PinnedDidDocuments, ResolvedDids};
pub use error::{Error, Result};
pub use securing::{
    sign_credential, sign_presentation, verify_credential, verify_presentation, Cryptosuite,
    PresentationExpectations, ProofRequest, SigningIdentity, VerificationEnvironment,
};
pub use verdict::{Check, CheckName, Outcome, PresentationVerdict, Verdict};
