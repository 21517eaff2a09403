// oid4vc-issuer-server.mjs: a credential issuer built on the OpenWallet
// Foundation's @openid4vc/openid4vci (issuer) and @openid4vc/oauth2
// (authorization server, pre-authorized code grant), issuing SD-JWT VCs made
// with @sd-jwt/sd-jwt-vc, so that our wallet can be tried against an issuer
// that is not ours. See README.md for its endpoints.
//
// Prints {"url": base} once listening on 127.0.0.1 (free port); ends when its
// stdin closes. An optional JSON argument {"path", "authorization_server_path"}
// puts the credential issuer and a separate authorization server under paths
// of that origin (OpenID4VCI 1.0 §12.2.2, RFC 8414 §3, SD-JWT VC §3 insert
// their well-known segment between host and path).

import {generateKeyPairSync, randomBytes, randomInt, sign} from 'node:crypto';
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {Openid4vciIssuer, Openid4vciVersion} from '@openid4vc/openid4vci';
import {Oauth2AuthorizationServer, Oauth2ResourceServer,
  Oauth2ServerErrorResponseError, Oauth2ResourceUnauthorizedError,
  preAuthorizedCodeGrantIdentifier} from '@openid4vc/oauth2';
import {SDJwtVcInstance} from '@sd-jwt/sd-jwt-vc';
import {digest, generateSalt} from '@sd-jwt/crypto-nodejs';
import {callbacks, decodeJwtPart, parseForm, publicJwk, readBody,
  requestLike, sendJson, serve} from './oid4vc-server-lib.mjs';
import {makeDidKey, makeDocumentLoader, signingSuite} from './lib.mjs';

// Our catalogue's Care Identity type (credentials/src/vocabulary.rs, ADR
// 0005): a wallet shows and presents only types it knows.
const CARE_IDENTITY_VCT = 'https://staff-passport.nhs.uk/vct/care-identity/v1';
const SD_JWT_CONFIGURATION = 'care_identity_sd_jwt';
const LDP_CONFIGURATION = 'care_identity_ldp_vc';
const VC_V2_CONTEXT = 'https://www.w3.org/ns/credentials/v2';
const OUR_CONTEXT = 'https://staff-passport.nhs.uk/contexts/v1';
const CARE_IDENTITY_SCHEMA =
  'https://staff-passport.nhs.uk/schemas/care-identity/v1';
// Our JSON-LD context, from the repository, for Digital Bazaar's offline
// document loader (nothing is fetched).
const OUR_CONTEXT_DOCUMENT = JSON.parse(readFileSync(new URL(
  '../../credentials/assets/context-v1.jsonld', import.meta.url), 'utf8'));
const OFFER_TTL_SECONDS = 600;
const NONCE_TTL_SECONDS = 300;
const MAX_PIN_ATTEMPTS = 3;

const {privateKey} = generateKeyPairSync('ed25519');
const otherKey = generateKeyPairSync('ed25519').privateKey;
// The Data Integrity issuer: a did:key, signing with eddsa-rdfc-2022.
const dataIntegrityIssuer = await makeDidKey();
const documentLoader = makeDocumentLoader(
  {contexts: {[OUR_CONTEXT]: OUR_CONTEXT_DOCUMENT}});

const config = JSON.parse(process.argv[2] ?? '{}');
const issuerPath = config.path ?? '';
const asPath = config.authorization_server_path ?? null;

serve(origin => {
  const base = origin + issuerPath;
  const asBase = asPath === null ? base : origin + asPath;
  const ctx = callbacks(privateKey);
  const issuer = new Openid4vciIssuer({callbacks: ctx});
  const authorizationServer = new Oauth2AuthorizationServer({callbacks: ctx});
  const resourceServer = new Oauth2ResourceServer({callbacks: ctx});
  // SD-JWT VC §3 takes the issuer's key from JWT VC Issuer Metadata only for
  // an https `iss`; the wallet (allow_loopback_http) fetches it from this
  // loopback server over plain HTTP, as our own issuer's did:web rule has it.
  const iss = base.replace('http://', 'https://');
  const kid = `${iss}#key-1`;
  const jwk = {...publicJwk(privateKey), kid, use: 'sig', alg: 'EdDSA'};

  const credentialIssuer = issuer.createCredentialIssuerMetadata({
    credential_issuer: base,
    ...(asPath === null ? {} : {authorization_servers: [asBase]}),
    credential_endpoint: `${base}/credential`,
    nonce_endpoint: `${base}/nonce`,
    display: [{name: 'oid4vc-ts test issuer', locale: 'en-GB'}],
    credential_configurations_supported: {
      [LDP_CONFIGURATION]: {
        format: 'ldp_vc',
        credential_definition: {
          '@context': [VC_V2_CONTEXT, OUR_CONTEXT],
          type: ['VerifiableCredential', 'CareIdentityCredential']
        },
        cryptographic_binding_methods_supported: ['did:key'],
        credential_signing_alg_values_supported: ['eddsa-rdfc-2022'],
        proof_types_supported: {
          jwt: {proof_signing_alg_values_supported: ['EdDSA']}
        },
        credential_metadata: {
          display: [{name: 'Care Identity (Data Integrity, oid4vc-ts)',
            locale: 'en-GB'}]
        }
      },
      [SD_JWT_CONFIGURATION]: {
        format: 'dc+sd-jwt',
        vct: CARE_IDENTITY_VCT,
        cryptographic_binding_methods_supported: ['jwk'],
        credential_signing_alg_values_supported: ['EdDSA'],
        proof_types_supported: {
          jwt: {proof_signing_alg_values_supported: ['EdDSA']}
        },
        credential_metadata: {
          display: [{name: 'Care Identity (oid4vc-ts)', locale: 'en-GB'}],
          claims: [
            {path: ['givenName'], mandatory: true},
            {path: ['familyName'], mandatory: true},
            {path: ['careIdentityUuid'], mandatory: true},
            {path: ['middleNames']}
          ]
        }
      }
    }
  });
  const authorizationServerMetadata =
    authorizationServer.createAuthorizationServerMetadata({
      issuer: asBase,
      token_endpoint: `${asBase}/token`,
      jwks_uri: `${asBase}/jwks`,
      'pre-authorized_grant_anonymous_access_supported': true
    });
  const issuerMetadata = {
    originalDraftVersion: Openid4vciVersion.V1,
    credentialIssuer,
    authorizationServers: [authorizationServerMetadata],
    knownCredentialConfigurations:
      issuer.getKnownCredentialConfigurationsSupported(credentialIssuer)
  };

  const offers = new Map();      // offer id -> offer
  const byCode = new Map();      // pre-authorized code -> offer
  const nonces = new Map();      // c_nonce -> expires at (ms)
  const issued = [];             // what went out, for the test to read

  async function createOffer(body) {
    const id = randomBytes(16).toString('hex');
    const txCode = body.tx_code === false ? undefined :
      String(randomInt(0, 1_000_000)).padStart(6, '0');
    const {credentialOffer, credentialOfferObject} =
      await issuer.createCredentialOffer({
        issuerMetadata,
        credentialConfigurationIds: body.configurations ??
          [SD_JWT_CONFIGURATION],
        credentialOfferUri: body.by_value ? undefined :
          `${base}/offers/${id}`,
        grants: {
          [preAuthorizedCodeGrantIdentifier]: txCode === undefined ? {} : {
            tx_code: {input_mode: 'numeric', length: 6,
              description: 'The PIN you were given'}
          }
        }
      });
    const code = credentialOfferObject.grants[preAuthorizedCodeGrantIdentifier]
      ['pre-authorized_code'];
    const offer = {id, code, txCode, object: credentialOfferObject,
      claims: body.claims ?? {}, misbehave: body.misbehave ?? null,
      nestedSd: body.nested_sd === true,
      expiresAt: new Date(Date.now() + OFFER_TTL_SECONDS * 1000),
      attempts: 0, redeemed: false};
    offers.set(id, offer);
    byCode.set(code, offer);
    return {offer_uri: credentialOffer, tx_code: txCode ?? null,
      credential_offer: credentialOfferObject};
  }

  async function token(request, response) {
    const form = parseForm(await readBody(request));
    const parsed = authorizationServer.parseAccessTokenRequest({
      accessTokenRequest: form, request: requestLike(request, base)});
    if(parsed.grant.grantType !== preAuthorizedCodeGrantIdentifier) {
      throw new Oauth2ServerErrorResponseError({
        error: 'unsupported_grant_type'});
    }
    const offer = byCode.get(parsed.grant.preAuthorizedCode);
    // An unknown, used up or locked code is one error: nothing to learn.
    if(!offer || offer.redeemed || offer.attempts >= MAX_PIN_ATTEMPTS) {
      throw new Oauth2ServerErrorResponseError({error: 'invalid_grant',
        error_description: 'the pre-authorized code is not valid'});
    }
    try {
      await authorizationServer.verifyPreAuthorizedCodeAccessTokenRequest({
        grant: parsed.grant,
        accessTokenRequest: parsed.accessTokenRequest,
        request: requestLike(request, base),
        expectedPreAuthorizedCode: offer.code,
        expectedTxCode: offer.txCode,
        preAuthorizedCodeExpiresAt: offer.expiresAt,
        authorizationServerMetadata
      });
    } catch(e) {
      offer.attempts += 1;
      throw e;
    }
    offer.redeemed = true;
    const tokenResponse = await authorizationServer.createAccessTokenResponse({
      audience: base,
      authorizationServer: asBase,
      expiresInSeconds: 300,
      subject: offer.id,
      signer: {method: 'jwk', alg: 'EdDSA', publicJwk: jwk}
    });
    sendJson(response, 200, tokenResponse);
  }

  function nonce(response) {
    const cNonce = randomBytes(24).toString('base64url');
    nonces.set(cNonce, Date.now() + NONCE_TTL_SECONDS * 1000);
    sendJson(response, 200, issuer.createNonceResponse(
      {cNonce, cNonceExpiresIn: NONCE_TTL_SECONDS}));
  }

  // Every claim disclosable, two decoys (RFC 9901 §4.2.5); with nested_sd the
  // members of object claims too (§4.2.6), beyond what our own issuer does.
  function disclosureFrame(offer) {
    const frame = {_sd: Object.keys(offer.claims), _sd_decoy: 2};
    if(offer.nestedSd) {
      for(const [name, value] of Object.entries(offer.claims)) {
        if(value && typeof value === 'object' && !Array.isArray(value)) {
          frame[name] = {_sd: Object.keys(value)};
        }
      }
    }
    return frame;
  }

  async function credential(request, response) {
    const body = await readBody(request);
    const {tokenPayload} = await resourceServer.verifyResourceRequest({
      request: {...requestLike(request, base), body},
      authorizationServers: [authorizationServerMetadata],
      resourceServer: base
    });
    const offer = offers.get(tokenPayload.sub);
    if(!offer) {
      throw new Oauth2ResourceUnauthorizedError('unknown offer',
        {scheme: 'Bearer', error: 'invalid_token'});
    }
    const parsed = issuer.parseCredentialRequest({issuerMetadata,
      credentialRequest: JSON.parse(body)});
    const configuration = parsed.credentialConfigurationId;
    if(!offer.object.credential_configuration_ids.includes(configuration) ||
      parsed.proofs?.jwt?.length !== 1) {
      throw new Oauth2ServerErrorResponseError({
        error: 'invalid_credential_request',
        error_description: 'one jwt proof for a known configuration'});
    }
    const proof = parsed.proofs.jwt[0];
    // The nonce must be one this server handed out, unused: the library
    // compares it with the one expected, the bookkeeping is ours.
    const claimed = decodeJwtPart(proof, 1).nonce;
    const expires = nonces.get(claimed);
    if(typeof claimed !== 'string' || expires === undefined) {
      throw new Oauth2ServerErrorResponseError({error: 'invalid_nonce',
        error_description: 'the proof carries no c_nonce of this issuer'});
    }
    nonces.delete(claimed);
    const {signer} = await issuer.verifyCredentialRequestJwtProof({
      issuerMetadata, jwt: proof, expectedNonce: claimed,
      nonceExpiresAt: new Date(expires)});
    const holderJwk = signer.publicJwk;
    const misbehave = offer.misbehave;
    if(configuration === LDP_CONFIGURATION) {
      // The subject is the did:key the proof was signed with (App. F.1 kid).
      if(signer.method !== 'did' || !signer.didUrl.startsWith('did:key:')) {
        throw new Oauth2ServerErrorResponseError({error: 'invalid_proof',
          error_description: 'an ldp_vc is bound to a did:key (kid)'});
      }
      const subject = signer.didUrl.split('#')[0];
      const unsigned = {
        '@context': [VC_V2_CONTEXT, OUR_CONTEXT],
        type: ['VerifiableCredential', 'CareIdentityCredential'],
        issuer: dataIntegrityIssuer.did,
        validFrom: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        credentialSchema: {id: CARE_IDENTITY_SCHEMA, type: 'JsonSchema'},
        credentialSubject: {id: subject, ...offer.claims}
      };
      const signed = await vc.issue({credential: unsigned, documentLoader,
        suite: signingSuite(dataIntegrityIssuer.keyPair)});
      if(misbehave === 'tamper_ldp') {
        signed.credentialSubject.familyName += 'x';
      }
      issued.push({offer: offer.id, format: 'ldp_vc', credential: signed});
      return sendJson(response, 200, issuer.createCredentialResponse({
        credentialRequest: parsed, credentials: [{credential: signed}]}));
    }

    const signWith = misbehave === 'wrong_key' ? otherKey : privateKey;
    const instance = new SDJwtVcInstance({
      hasher: digest, hashAlg: 'sha-256', saltGenerator: generateSalt,
      signAlg: 'EdDSA',
      signer: async data => sign(null, Buffer.from(data), signWith)
        .toString('base64url')
    });
    const now = Math.floor(Date.now() / 1000);
    const cnfJwk = misbehave === 'wrong_cnf' ?
      publicJwk(otherKey) : {kty: holderJwk.kty, crv: holderJwk.crv,
        x: holderJwk.x};
    const payload = {
      iss, iat: now, nbf: now, exp: now + 365 * 24 * 3600,
      vct: misbehave === 'unknown_vct' ?
        'https://example.org/vct/not-ours' : CARE_IDENTITY_VCT,
      cnf: {jwk: cnfJwk},
      ...offer.claims
    };
    const sdJwt = await instance.issue(payload,
      disclosureFrame(offer), {header: {kid}});
    issued.push({offer: offer.id, format: 'dc+sd-jwt', holder_jwk: cnfJwk,
      sd_jwt: sdJwt});
    sendJson(response, 200, issuer.createCredentialResponse({
      credentialRequest: parsed, credentials: [{credential: sdJwt}]}));
  }

  return async (request, response) => {
    const url = new URL(request.url, origin);
    const route = `${request.method} ${url.pathname}`;
    const asRoot = asPath ?? issuerPath;
    try {
      if(route === `GET /.well-known/openid-credential-issuer${issuerPath}`) {
        return sendJson(response, 200, credentialIssuer);
      }
      if(route === `GET /.well-known/oauth-authorization-server${asRoot}`) {
        return sendJson(response, 200, authorizationServerMetadata);
      }
      if(route === `GET /.well-known/jwt-vc-issuer${issuerPath}`) {
        return sendJson(response, 200, {issuer: iss, jwks: {keys: [jwk]}});
      }
      if(route === `GET ${asRoot}/jwks`) {
        return sendJson(response, 200, {keys: [jwk]});
      }
      // Test control: what an RA would do at this issuer.
      if(route === 'POST /offers') {
        const body = JSON.parse((await readBody(request)) || '{}');
        return sendJson(response, 201, await createOffer(body));
      }
      if(route === 'GET /issued') {
        return sendJson(response, 200, {issued});
      }
      const offersPath = `${issuerPath}/offers/`;
      if(request.method === 'GET' && url.pathname.startsWith(offersPath)) {
        const offer = offers.get(url.pathname.slice(offersPath.length));
        return offer ? sendJson(response, 200, offer.object) :
          sendJson(response, 404, {error: 'not_found'});
      }
      if(route === `POST ${asRoot}/token`) {
        return await token(request, response);
      }
      if(route === `POST ${issuerPath}/nonce`) {
        return nonce(response);
      }
      if(route === `POST ${issuerPath}/credential`) {
        return await credential(request, response);
      }
      sendJson(response, 404, {error: 'not_found'});
    } catch(e) {
      if(e instanceof Oauth2ServerErrorResponseError) {
        return sendJson(response, e.status ?? 400, e.errorResponse);
      }
      if(e instanceof Oauth2ResourceUnauthorizedError) {
        return sendJson(response, 401, {error: 'invalid_token'},
          {'www-authenticate': e.toHeaderValue()});
      }
      throw e;
    }
  };
});
