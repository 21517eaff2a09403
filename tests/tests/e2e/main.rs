//! End-to-end journeys: the issuer and the verifier run on loopback and are driven only
//! through their HTTP APIs, as a trust's systems would.

mod bad_input;
mod browser;
mod console;
mod esr;
mod interop;
mod journeys;
mod oid4vc_their_services;
mod oid4vc_their_wallet;
mod oid4vci;
mod oid4vp;
mod onboarding;
mod ra_console;
mod status;
mod trust;
mod wallet;
