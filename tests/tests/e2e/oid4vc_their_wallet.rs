//! OpenID4VCI and OpenID4VP interop, their wallet with our services: the OpenWallet
//! Foundation's `@openid4vc/openid4vci` and `@openid4vc/openid4vp` (tests/js) as the wallet,
//! against our issuer and verifier on loopback.
