//! The holder's wallet (issue 5): keys behind [`keys::KeyStore`], credentials and history
//! sealed at rest ([`vault`]), the OpenID4VCI 1.0 client ([`oid4vci`]). A library only:
//! the terminal wallet (`passport wallet …`) and the mobile bindings are built on it.
//!
//! Architecture invariant: a holder's private key never leaves its key store; the wallet
//! signs through the trait.
//! Architecture invariant: nothing the wallet stores is in the clear but the key
//! derivation salt and the passphrase check value.

pub mod dids;
pub mod error;
pub mod http;
pub mod keys;
pub mod oid4vci;
pub mod oid4vp;
pub mod presenting;
pub mod status;
pub mod store;
pub mod vault;
pub mod wallet;

pub use error::{Result, WalletError};
pub use wallet::{Wallet, WalletOptions};
