//! OpenID4VCI and OpenID4VP interop, our wallet with their services: `wallet-core` against
//! an issuer and a verifier built on the OpenWallet Foundation's `@openid4vc/*` (tests/js).
