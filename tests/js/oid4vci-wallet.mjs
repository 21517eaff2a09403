// oid4vci-wallet.mjs: a wallet built on the OpenWallet Foundation's
// @openid4vc/openid4vci client collects credentials from an OpenID4VCI 1.0
// issuer with the pre-authorized code flow.
//
// stdin:  {"offerUri": "openid-credential-offer://?credential_offer_uri=…",
//          "txCode": str, "seed": 64 hex digits,
//          "configurations"?: [configuration ids] (default: all offered),
//          "oneNonce"?: bool (default false: a fresh nonce per request),
//          "accessToken"?: str (sent to the credential endpoint instead of
//          the one the token endpoint gave)}
// stdout: {"offer", "issuer", "version" (what the library took the
//          issuer's metadata for, e.g. "V1"), "knownConfigurations" (those
//          their format schemas accept), "did", "verificationMethod", "jwk",
//          "token": {token_type, expires_in} | null,
//          "credentials": [{configuration, format, credential}],
//          "errors": [{step: offer|token|proof|credential, configuration?,
//                      status, error, error_description,
//                      wwwAuthenticate?: [{scheme, error, …}]}],
//          "trace": [{method, url, status}]}
// OAuth errors from the issuer are results (exit 0), not failures.
import {Openid4vciClient} from '@openid4vc/openid4vci';
import {RequestError, main} from './lib.mjs';
import {callbacksFor, holderKey, oauthErrorOf, requireString, trace} from
  './oid4vc-wallet-lib.mjs';

await main(async request => {
  const offerUri = requireString(request, 'offerUri');
  const txCode = requireString(request, 'txCode');
  const {configurations, oneNonce = false} = request;
  if(configurations !== undefined && (!Array.isArray(configurations) ||
    !configurations.every(c => typeof c === 'string'))) {
    throw new RequestError('"configurations" must be an array of strings');
  }
  const key = await holderKey(request.seed);
  const client = new Openid4vciClient({callbacks: callbacksFor(key)});

  const result = {
    offer: null,
    issuer: null,
    version: null,
    knownConfigurations: [],
    did: key.did,
    verificationMethod: key.verificationMethod,
    jwk: key.publicJwk,
    token: null,
    credentials: [],
    errors: [],
    trace
  };
  let offer;
  try {
    offer = await client.resolveCredentialOffer(offerUri);
  } catch(error) {
    // e.g. an offer already redeemed, whose URL the issuer no longer serves
    const status = error?.response?.status ?? null;
    if(status === null) {
      throw error;
    }
    result.errors.push({step: 'offer', status, error: null,
      error_description: error.message});
    return result;
  }
  const issuerMetadata = await client.resolveIssuerMetadata(
    offer.credential_issuer);
  result.offer = offer;
  result.issuer = offer.credential_issuer;
  result.version = issuerMetadata.originalDraftVersion;
  // The configurations their format-specific schemas accept as they are.
  result.knownConfigurations = Object.keys(
    issuerMetadata.knownCredentialConfigurations).sort();

  let token;
  try {
    ({accessTokenResponse: token} =
      await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
        credentialOffer: offer, issuerMetadata, txCode
      }));
  } catch(error) {
    const oauth = oauthErrorOf(error);
    if(!oauth) {
      throw error;
    }
    result.errors.push({step: 'token', ...oauth});
    return result;
  }
  result.token = {token_type: token.token_type,
    expires_in: token.expires_in ?? null};

  const supported = issuerMetadata.credentialIssuer
    .credential_configurations_supported;
  let nonce = null;
  for(const configuration of configurations ??
    offer.credential_configuration_ids) {
    const format = supported[configuration]?.format ?? null;
    if(nonce === null || !oneNonce) {
      ({c_nonce: nonce} = await client.requestNonce({issuerMetadata}));
    }
    // An ldp_vc credential names its holder by DID, so the proof's kid is
    // the did:key method (OpenID4VCI App. F.1: kid may be a DID URL); an
    // SD-JWT VC binds a key (cnf.jwk), so the proof carries the jwk.
    const signer = format === 'ldp_vc' ?
      {method: 'did', didUrl: key.verificationMethod, alg: 'EdDSA'} :
      {method: 'jwk', publicJwk: key.publicJwk, alg: 'EdDSA'};
    let proof;
    try {
      ({jwt: proof} = await client.createCredentialRequestJwtProof({
        issuerMetadata, signer, credentialConfigurationId: configuration,
        nonce, issuedAt: new Date()
      }));
    } catch(error) {
      result.errors.push({step: 'proof', configuration, status: null,
        error: 'wallet_refused', error_description: error.message});
      continue;
    }
    try {
      const {credentialResponse} = await client.retrieveCredentials({
        issuerMetadata,
        accessToken: request.accessToken ?? token.access_token,
        credentialConfigurationId: configuration, proofs: {jwt: [proof]}
      });
      for(const {credential} of credentialResponse.credentials ?? []) {
        result.credentials.push({configuration, format, credential});
      }
    } catch(error) {
      const oauth = oauthErrorOf(error);
      if(!oauth) {
        throw error;
      }
      result.errors.push({step: 'credential', configuration, ...oauth});
    }
  }
  return result;
});
