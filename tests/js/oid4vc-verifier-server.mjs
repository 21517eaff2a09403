// oid4vc-verifier-server.mjs: an OpenID4VP 1.0 verifier built on the OpenWallet
// Foundation's @openid4vc/openid4vp, checking SD-JWT VC presentations with
// @sd-jwt/sd-jwt-vc, so that our wallet can be tried against a verifier that is
// not ours. See README.md for its endpoints.
//
// Prints {"url": base} once listening on 127.0.0.1 (free port); ends when its
// stdin closes.

import {createHash, generateKeyPairSync, randomBytes} from 'node:crypto';
import {readFileSync} from 'node:fs';
import jsonld from 'jsonld';
import {Openid4vpVerifier} from '@openid4vc/openid4vp';
import {SDJwtVcInstance} from '@sd-jwt/sd-jwt-vc';
import {digest} from '@sd-jwt/crypto-nodejs';
import {callbacks, decodeJwtPart, multikeyOf, parseForm, publicJwk, readBody,
  sendJson, serve} from './oid4vc-server-lib.mjs';
import {keyBindingVerifier, publicKeyFromJwk, verifierFor} from
  './sd-jwt-lib.mjs';
import {makeDocumentLoader, verifyDocument} from './lib.mjs';

const CARE_IDENTITY_VCT = 'https://staff-passport.nhs.uk/vct/care-identity/v1';
// OpenID4VP 1.0 §5.8: with static discovery (openid4vp://) the request
// object's audience. The library's default is the request_uri, so it is set.
const STATIC_DISCOVERY_AUDIENCE = 'https://self-issued.me/v2';
const KB_MAX_AGE_SECONDS = 300;
const OUR_CONTEXT = 'https://staff-passport.nhs.uk/contexts/v1';
// DCQL B.1.1: type_values are fully expanded type IRIs.
const CARE_IDENTITY_TYPE_IRI =
  'https://staff-passport.nhs.uk/vocab#CareIdentityCredential';
const documentLoader = makeDocumentLoader({contexts: {[OUR_CONTEXT]:
  JSON.parse(readFileSync(new URL('../../credentials/assets/context-v1.jsonld',
    import.meta.url), 'utf8'))}});

const {privateKey} = generateKeyPairSync('ed25519');
const impostorKey = generateKeyPairSync('ed25519').privateKey;

const random = bytes => randomBytes(bytes).toString('base64url');

// Claim names of the disclosures sent (not of the always-visible claims).
// Names of the top-level claims disclosed: those whose digest the issuer-signed
// payload's own `_sd` holds (a nested disclosure belongs to its parent).
function disclosedNames(presentation, payload) {
  const top = new Set(payload._sd ?? []);
  return presentation.split('~').slice(1, -1).filter(d => top.has(
    createHash('sha256').update(d).digest('base64url'))).map(d =>
    JSON.parse(Buffer.from(d, 'base64url').toString('utf8'))[1]);
}

// The JWT VC Issuer Metadata of `iss` (SD-JWT VC §3), fetched over plain HTTP
// because every test server is a loopback one.
async function issuerJwks(iss) {
  const url = new URL(iss);
  if(url.protocol !== 'https:' || url.hostname !== '127.0.0.1') {
    throw new Error(`iss ${iss} is not an https loopback issuer`);
  }
  const path = url.pathname.replace(/\/$/, '');
  const response = await fetch(
    `http://${url.host}/.well-known/jwt-vc-issuer${path}`);
  if(!response.ok) {
    throw new Error(`issuer metadata of ${iss}: HTTP ${response.status}`);
  }
  const metadata = await response.json();
  if(metadata.issuer !== iss) {
    throw new Error('issuer metadata names another issuer');
  }
  return metadata.jwks?.keys ?? [];
}

const didOf = didUrl => String(didUrl).split('#')[0];

// A Data Integrity presentation (OpenID4VP B.1.3.2.5): Digital Bazaar checks
// every proof, the challenge (nonce) and the domain (full client_id); holder
// binding, type and claims are checked here, as the library does none.
async function verifyLdpPresentation(vp, query, request) {
  if(typeof vp !== 'object' || vp === null) {
    throw new Error('an ldp_vc presentation is a JSON object');
  }
  const checked = await verifyDocument({kind: 'presentation', document: vp,
    challenge: request.payload.nonce, domain: request.payload.client_id,
    documentLoader});
  if(!checked.verified) {
    throw new Error(checked.error);
  }
  const credentials = [vp.verifiableCredential].flat();
  if(credentials.length !== 1) {
    throw new Error('one credential per presentation expected');
  }
  const [credential] = credentials;
  const proofs = [vp.proof].flat();
  if(proofs.length !== 1 || didOf(proofs[0].verificationMethod) !== vp.holder
    || credential.credentialSubject?.id !== vp.holder) {
    throw new Error('the presentation is not signed by the credential subject');
  }
  const issuer = credential.issuer?.id ?? credential.issuer;
  if(request.trustedIssuers && !request.trustedIssuers.includes(issuer)) {
    throw new Error(`issuer ${issuer} is not trusted here`);
  }
  const [expanded] = await jsonld.expand(credential, {documentLoader});
  const types = expanded['@type'] ?? [];
  if(!query.meta.type_values.some(all => all.every(t => types.includes(t)))) {
    throw new Error(`types ${types} were not asked for`);
  }
  for(const claim of query.claims ?? []) {
    const found = claim.path.reduce((v, k) => v?.[k], credential);
    if(found === undefined) {
      throw new Error(`claim ${claim.path.join('.')} is missing`);
    }
  }
  return {format: 'ldp_vc', issuer, holder: vp.holder,
    claims: credential.credentialSubject,
    proof: {challenge: proofs[0].challenge, domain: proofs[0].domain}};
}

async function verifyPresentation(presentation, query, request) {
  if(query.format === 'ldp_vc') {
    return verifyLdpPresentation(presentation, query, request);
  }
  const jwt = presentation.split('~')[0];
  const header = decodeJwtPart(jwt, 0);
  const unverified = decodeJwtPart(jwt, 1);
  if(header.typ !== 'dc+sd-jwt') {
    throw new Error(`typ ${header.typ} is not dc+sd-jwt`);
  }
  if(request.trustedIssuers && !request.trustedIssuers.includes(
    unverified.iss)) {
    throw new Error(`issuer ${unverified.iss} is not trusted here`);
  }
  const keys = await issuerJwks(unverified.iss);
  const issuerJwk = keys.find(k => k.kid === header.kid);
  if(!issuerJwk) {
    throw new Error(`issuer publishes no key ${header.kid}`);
  }
  const {kty, crv, x} = issuerJwk;
  const instance = new SDJwtVcInstance({
    hasher: digest, hashAlg: 'sha-256',
    verifier: verifierFor(publicKeyFromJwk({kty, crv, x})),
    kbVerifier: keyBindingVerifier
  });
  // Checks the issuer signature, the disclosures, the KB-JWT's signature by
  // cnf.jwk, its nonce and its sd_hash.
  const result = await instance.verify(presentation,
    {keyBindingNonce: request.payload.nonce});
  const kb = result.kb?.payload;
  // The library leaves these to the caller (see README): aud must be the full
  // client_id (OpenID4VP 1.0 B.3.6, §14.8), iat recent.
  if(kb?.aud !== request.payload.client_id) {
    throw new Error(`KB-JWT aud ${kb?.aud} is not ${request.payload.client_id}`);
  }
  const now = Math.floor(Date.now() / 1000);
  if(typeof kb.iat !== 'number' || kb.iat > now + 60 ||
    kb.iat < now - KB_MAX_AGE_SECONDS) {
    throw new Error('KB-JWT iat is not recent');
  }
  if(!query.meta.vct_values.includes(result.payload.vct)) {
    throw new Error(`vct ${result.payload.vct} was not asked for`);
  }
  // DCQL §6.4: the claims asked (with claim_sets, those of one set) must all
  // come, and nothing else disclosable.
  const byId = id => query.claims.find(c => c.id === id).path[0];
  const options = query.claim_sets ?
    query.claim_sets.map(set => set.map(byId)) :
    [(query.claims ?? []).map(c => c.path[0])];
  const disclosed = disclosedNames(presentation, unverified);
  const fits = asked => asked.every(name => name in result.payload) &&
    disclosed.every(name => asked.includes(name));
  if(!options.some(fits)) {
    throw new Error(`disclosed [${disclosed}] is none of [${
      options.map(o => `[${o}]`)}]`);
  }
  const claims = Object.fromEntries(disclosed.map(n => [n, result.payload[n]]));
  return {iss: result.payload.iss, vct: result.payload.vct, claims, disclosed,
    kb};
}

serve(base => {
  const did = `did:web:${encodeURIComponent(new URL(base).host)}`;
  const kid = `${did}#key-1`;
  const clientId = `decentralized_identifier:${did}`;
  const didDocument = {
    '@context': ['https://www.w3.org/ns/did/v1',
      'https://w3id.org/security/multikey/v1'],
    id: did,
    verificationMethod: [{id: kid, type: 'Multikey', controller: did,
      publicKeyMultibase: multikeyOf(publicJwk(privateKey))}],
    assertionMethod: [kid],
    authentication: [kid]
  };
  const verifier = new Openid4vpVerifier({callbacks: callbacks(privateKey)});
  const impostor = new Openid4vpVerifier({callbacks: callbacks(impostorKey)});
  const requests = new Map();

  async function createRequest(body) {
    const id = random(16);
    const claims = body.claims ?? ['givenName', 'familyName'];
    const ldp = {
      id: 'care_identity_ldp',
      format: 'ldp_vc',
      meta: {type_values: [[CARE_IDENTITY_TYPE_IRI]]},
      claims: claims.map(name => ({path: ['credentialSubject', name]}))
    };
    const dcqlQuery = body.dcql_query ?? (body.format === 'ldp_vc' ?
      {credentials: [ldp]} : {
      credentials: [{
        id: 'care_identity',
        format: 'dc+sd-jwt',
        meta: {vct_values: [body.vct ?? CARE_IDENTITY_VCT]},
        claims: claims.map(name => ({path: [name]}))
      }]
    });
    const payload = {
      response_type: 'vp_token',
      client_id: clientId,
      response_mode: 'direct_post',
      response_uri: `${base}/response/${id}`,
      nonce: random(32),
      state: random(16),
      dcql_query: dcqlQuery,
      // A transaction the holder would authorize by presenting (§8.4); a
      // wallet that does not support it MUST refuse the request (§5.1).
      ...(body.transaction_data ? {transaction_data: [Buffer.from(
        JSON.stringify({type: 'nhs_example_transaction',
          credential_ids: [dcqlQuery.credentials[0].id],
          amount: '12.00 GBP'})).toString('base64url')]} : {}),
      client_metadata: {
        client_name: 'oid4vc-ts test verifier',
        vp_formats_supported: {
          'dc+sd-jwt': {'sd-jwt_alg_values': ['EdDSA'],
            'kb-jwt_alg_values': ['EdDSA']},
          ldp_vc: {proof_type_values: ['DataIntegrityProof'],
            cryptosuite_values: ['eddsa-rdfc-2022']}
        }
      }
    };
    // A request signed by a key the DID document does not hold: our wallet
    // must not take it for this verifier's.
    const signer = body.misbehave === 'wrong_key' ? impostor : verifier;
    const created = await signer.createOpenId4vpAuthorizationRequest({
      authorizationRequestPayload: payload,
      jar: {
        requestUri: `${base}/request/${id}`,
        jwtSigner: {method: 'did', alg: 'EdDSA', didUrl: kid},
        expiresInSeconds: 300,
        additionalJwtPayload: {aud: STATIC_DISCOVERY_AUDIENCE}
      }
    });
    requests.set(id, {
      id, payload: created.authorizationRequestPayload,
      jwt: created.jar.authorizationRequestJwt,
      trustedIssuers: body.trusted_issuers ?? null,
      fetchedWith: [],
      result: {status: 'pending'}
    });
    let link = created.authorizationRequest;
    if(body.request_uri_method === 'post') {
      // OpenID4VP 1.0 §5.1: request_uri_method goes beside request_uri in
      // the link. The library puts only client_id and request_uri there, and
      // its payload check wants 'GET'/'POST' where §5.1 defines the
      // case-sensitive 'get'/'post', so the parameter is added here.
      link += '&request_uri_method=post';
    }
    return {id, openid4vp_uri: link,
      result_url: `${base}/results/${id}`, client_id: clientId,
      nonce: payload.nonce};
  }

  async function receive(request, id, response) {
    const pending = requests.get(id);
    if(!pending || pending.result.status !== 'pending') {
      return sendJson(response, 400, {error: 'invalid_request',
        error_description: 'no request awaits this answer'});
    }
    const form = parseForm(await readBody(request));
    let presentations;
    try {
      const parsed = await verifier.parseOpenid4vpAuthorizationResponse({
        authorizationResponse: form,
        authorizationRequestPayload: pending.payload,
        callbacks: callbacks(privateKey)
      });
      if(parsed.type !== 'dcql') {
        throw new Error(`a ${parsed.type} answer to a DCQL request`);
      }
      presentations = parsed.dcql.presentations;
    } catch(e) {
      // Not spent: a malformed answer is refused and the request still waits.
      return sendJson(response, 400, {error: 'invalid_request',
        error_description: String(e?.message || e)});
    }
    // Spent: one answer is checked per request, so a replay is refused above.
    pending.result = {status: 'checking'};
    const outcome = {status: 'received', verified: false, error: null,
      presentations: {}, received: form};
    try {
      const {credentials: queries, credential_sets: sets} =
        pending.payload.dcql_query;
      // DCQL §6.2/§6.4: every required set has one option fully answered;
      // without sets every query is required.
      const answered = id => presentations[id] !== undefined;
      const unmet = (sets ?? [{options: [queries.map(q => q.id)]}])
        .filter(set => set.required !== false)
        .filter(set => !set.options.some(option => option.every(answered)));
      if(unmet.length) {
        throw new Error(`required credential sets not met: ${
          JSON.stringify(unmet)}`);
      }
      for(const query of queries) {
        const sent = presentations[query.id];
        if(!sent) {
          continue;
        }
        if(sent.length !== 1) {
          throw new Error(`${query.id}: one presentation (multiple false)`);
        }
        if(query.format === 'dc+sd-jwt' && typeof sent[0] !== 'string') {
          throw new Error(`${query.id}: an SD-JWT is a string`);
        }
        outcome.presentations[query.id] =
          await verifyPresentation(sent[0], query, pending);
      }
      const unknown = Object.keys(presentations).filter(
        q => !queries.some(c => c.id === q));
      if(unknown.length) {
        throw new Error(`answers to queries not asked: ${unknown}`);
      }
      outcome.verified = true;
    } catch(e) {
      outcome.error = String(e?.message || e);
    }
    pending.result = outcome;
    if(!outcome.verified) {
      return sendJson(response, 400, {error: 'invalid_request',
        error_description: outcome.error});
    }
    sendJson(response, 200,
      {redirect_uri: `${base}/done#response_code=${random(16)}`});
  }

  return async (request, response) => {
    const url = new URL(request.url, base);
    const route = `${request.method} ${url.pathname}`;
    if(route === 'GET /.well-known/did.json') {
      return sendJson(response, 200, didDocument);
    }
    // Test control: what an officer would do at this verifier.
    if(route === 'POST /requests') {
      const body = JSON.parse((await readBody(request)) || '{}');
      return sendJson(response, 201, await createRequest(body));
    }
    const [, kind, id] = url.pathname.split('/');
    // §5.10 lets a wallet POST (wallet_metadata, wallet_nonce) when the link
    // says post; one that does not support it GETs (§5.1). Both are served,
    // unchanged, and the method is recorded for the test.
    if((request.method === 'GET' || request.method === 'POST') &&
      kind === 'request' && requests.has(id)) {
      requests.get(id).fetchedWith.push(request.method);
      response.writeHead(200,
        {'content-type': 'application/oauth-authz-req+jwt'});
      return response.end(requests.get(id).jwt);
    }
    if(request.method === 'POST' && kind === 'response') {
      return receive(request, id, response);
    }
    if(request.method === 'GET' && kind === 'results' && requests.has(id)) {
      const {result, fetchedWith} = requests.get(id);
      return sendJson(response, 200,
        {...result, request_fetched_with: fetchedWith});
    }
    sendJson(response, 404, {error: 'not_found'});
  };
});
