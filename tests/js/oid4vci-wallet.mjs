// oid4vci-wallet.mjs: a wallet built on the OpenWallet Foundation's
// @openid4vc/openid4vci client collects credentials from an OpenID4VCI 1.0
// issuer with the pre-authorized code flow.
//
// stdin:  {"offerUri": "openid-credential-offer://?credential_offer_uri=…",
//          "txCode": str, "seed": 64 hex digits,
//          "contexts"?: {url: context} (to check ldp_vc credentials),
//          "configurations"?: [configuration ids] (default: all offered),
//          "oneNonce"?: bool (default false: a fresh nonce per request),
//          "accessToken"?: str (sent to the credential endpoint instead of
//          the one the token endpoint gave)}
// stdout: {"offer", "issuer", "version" (what the library took the
//          issuer's metadata for, e.g. "V1"), "knownConfigurations" (those
//          their format schemas accept), "did", "verificationMethod", "jwk",
//          "token": {token_type, expires_in} | null,
//          "credentials": [{configuration, format, credential,
//                           check: {verified, error, statusListKid?}}],
//          "errors": [{step: offer|token|proof|credential, configuration?,
//                      status, error, error_description,
//                      wwwAuthenticate?: [{scheme, error, …}]}],
//          "trace": [{method, url, status}]}
// OAuth errors from the issuer are results (exit 0), not failures.
import {createPublicKey} from 'node:crypto';
import {Openid4vciClient} from '@openid4vc/openid4vci';
import {SDJwtVcInstance} from '@sd-jwt/sd-jwt-vc';
import {digest} from '@sd-jwt/crypto-nodejs';
import {RequestError, isPlainObject, main, makeDocumentLoader, verifyDocument}
  from './lib.mjs';
import {verifierFor} from './sd-jwt-lib.mjs';
import {
  callbacksFor, didWebDocumentUrl, holderKey, loopbackFetch, oauthErrorOf,
  reachable, requireString, resolveDidUrl, trace
} from './oid4vc-wallet-lib.mjs';

function decodePart(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

async function getJson(url, accept = 'application/json') {
  const response = await loopbackFetch(url, {headers: {Accept: accept}});
  if(!response.ok) {
    throw new Error(`${url}: HTTP ${response.status}`);
  }
  return response.json();
}

// Checks a received SD-JWT VC as a wallet that keeps only what verifies: the
// issuer's key from its JWT VC Issuer Metadata (SD-JWT VC -18 §5: the
// well-known suffix goes between host and path), the signature, the typ, and
// its Token Status List entry, fetched live and verified with the key its kid
// names; all with @sd-jwt/sd-jwt-vc.
async function checkSdJwtVc(sdJwt) {
  const [jwt] = sdJwt.split('~');
  const header = decodePart(jwt.split('.')[0]);
  const {iss} = decodePart(jwt.split('.')[1]);
  const issuer = new URL(iss);
  const path = issuer.pathname === '/' ? '' : issuer.pathname;
  const metadata = await getJson(
    reachable(`${issuer.origin}/.well-known/jwt-vc-issuer${path}`));
  if(metadata.issuer !== iss) {
    throw new Error(`the metadata's issuer ${metadata.issuer} is not ${iss}`);
  }
  const keys = metadata.jwks?.keys ?? [];
  const jwk = header.kid === undefined && keys.length === 1 ? keys[0] :
    keys.find(k => k.kid === header.kid);
  if(!jwk) {
    throw new Error(`no key ${header.kid} in ${iss}'s metadata`);
  }
  if(header.typ !== 'dc+sd-jwt') {
    throw new Error(`typ is ${header.typ}, not dc+sd-jwt`);
  }
  let statusListKid = null;
  const instance = new SDJwtVcInstance({
    hasher: digest, hashAlg: 'sha-256',
    verifier: verifierFor(createPublicKey({key: {kty: jwk.kty, crv: jwk.crv,
      x: jwk.x}, format: 'jwk'})),
    // The library hands over the signed data only: the status list's own
    // header names the key that signed it.
    statusVerifier: async (data, signature) => {
      const {kid} = decodePart(data.split('.')[0]);
      statusListKid = kid ?? null;
      const {jwk: listKey} = await resolveDidUrl(kid);
      return verifierFor(createPublicKey({key: listKey, format: 'jwk'}))(
        data, signature);
    },
    statusListFetcher: async uri => {
      const response = await loopbackFetch(uri,
        {headers: {Accept: 'application/statuslist+jwt'}});
      if(!response.ok) {
        throw new Error(`${uri}: HTTP ${response.status}`);
      }
      const type = response.headers.get('content-type') ?? '';
      if(!type.startsWith('application/statuslist+jwt')) {
        throw new Error(`${uri} is ${type}, not application/statuslist+jwt`);
      }
      return response.text();
    }
  });
  await instance.verify(sdJwt);
  return {statusListKid};
}

// Checks a received ldp_vc with Digital Bazaar's stack, the issuer's did:web
// document fetched first (their loader works offline). Status is not read.
async function checkLdpVc(credential, contexts) {
  const issuer = isPlainObject(credential.issuer) ? credential.issuer.id :
    credential.issuer;
  const didDocuments = {};
  if(typeof issuer === 'string' && issuer.startsWith('did:web:')) {
    didDocuments[issuer] = await getJson(didWebDocumentUrl(issuer));
  }
  const {verified, error} = await verifyDocument({
    kind: 'credential', document: credential,
    documentLoader: makeDocumentLoader({contexts, didDocuments})
  });
  if(!verified) {
    throw new Error(error);
  }
  return {};
}

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
        let check;
        try {
          check = {verified: true, error: null,
            ...(format === 'ldp_vc' ?
              await checkLdpVc(credential, request.contexts) :
              await checkSdJwtVc(credential))};
        } catch(error) {
          check = {verified: false, error: error?.message ?? String(error)};
        }
        result.credentials.push({configuration, format, credential, check});
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
