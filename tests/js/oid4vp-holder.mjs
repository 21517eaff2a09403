// oid4vp-holder.mjs: a holder built on the OpenWallet Foundation's
// @openid4vc/openid4vp client answers an OpenID4VP 1.0 request (signed
// request object by reference, DCQL, direct_post).
//
// stdin:  {"requestLink": "openid4vp://?client_id=…&request_uri=…",
//          "credentials": [SD-JWT VC strings and/or ldp_vc objects],
//          "seed": 64 hex digits (the holder key the credentials are bound to),
//          "contexts"?: {url: context} (for ldp_vc credentials),
//          "choose"?: [query ids to answer] (default: by credential_sets),
//          "submissions"?: n (default 1: the same response sent n times),
//          "kbAudience"?: str, "vpDomain"?: str (default: the full client_id),
//          "discloseAll"?: bool (default false: only the asked claims)}
// stdout: {"rejected": {error, error_description} | null,
//          "client": {prefix, identifier, effective, didUrl},
//          "request": {header, nonce, state, response_uri, aud, dcql_query},
//          "vpToken": {query id: [presentation]},
//          "answers": [{status, body}],
//          "verifications": [...], "trace": [{method, url, status}]}
// A refused request or response is a result (exit 0).
import {Openid4vpClient} from '@openid4vc/openid4vp';
import {SDJwtVcInstance} from '@sd-jwt/sd-jwt-vc';
import {digest} from '@sd-jwt/crypto-nodejs';
import * as vc from '@digitalbazaar/vc';
// Digital Bazaar's JSON-LD processor (the one jsonld-signatures uses), to
// expand a credential's types for DCQL's type_values.
import jsonld from 'jsonld';
import {
  RequestError, describeError, isPlainObject, main, makeDocumentLoader,
  signingSuite
} from './lib.mjs';
import {signerFor} from './sd-jwt-lib.mjs';
import {
  callbacksFor, holderKey, requireString, trace, verifications
} from './oid4vc-wallet-lib.mjs';

function decodePart(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

// Does the claims path pointer (OpenID4VP §7) select something in `value`?
function hasPath(value, path) {
  if(path.length === 0) {
    return value !== undefined;
  }
  const [head, ...rest] = path;
  if(head === null) {
    return Array.isArray(value) && value.some(v => hasPath(v, rest));
  }
  if(typeof head === 'number') {
    return Array.isArray(value) && hasPath(value[head], rest);
  }
  return isPlainObject(value) && hasPath(value[head], rest);
}

// Whether a presentable key of an SD-JWT ("checks.0.type") must be disclosed
// for a claims path: it is at or under the path (the claim and all it holds),
// or above it (RFC 9901 §4.2.6: a disclosed child needs its parent).
function keyServesPath(key, path) {
  const segments = key.split('.');
  const n = Math.min(segments.length, path.length);
  for(let i = 0; i < n; i++) {
    const want = path[i];
    const ok = want === null ? /^\d+$/.test(segments[i]) :
      String(want) === segments[i];
    if(!ok) {
      return false;
    }
  }
  return true;
}

// @sd-jwt's presentation frame for a set of dotted keys: an object value
// discloses the key and what its own frame names.
function frameOf(keys) {
  const frame = {};
  for(const key of keys) {
    let node = frame;
    const segments = key.split('.');
    segments.forEach((segment, i) => {
      if(i === segments.length - 1) {
        if(!isPlainObject(node[segment])) {
          node[segment] = true;
        }
      } else {
        if(!isPlainObject(node[segment])) {
          node[segment] = {};
        }
        node = node[segment];
      }
    });
  }
  return frame;
}

const sdJwtVc = new SDJwtVcInstance({hasher: digest, hashAlg: 'sha-256'});

// The credentials the holder has, read once: format, and what DCQL's meta
// and claims are matched against.
async function readHeld(credentials, documentLoader) {
  const held = [];
  for(const credential of credentials) {
    if(typeof credential === 'string') {
      const payload = decodePart(credential.split('~')[0].split('.')[1]);
      const claims = await sdJwtVc.getClaims(credential);
      held.push({format: 'dc+sd-jwt', credential, vct: payload.vct, claims});
    } else if(isPlainObject(credential)) {
      const [expanded] = await jsonld.expand(structuredClone(credential),
        {documentLoader});
      // DCQL type_values are fully expanded IRIs (OpenID4VP App. B.1.1).
      held.push({format: 'ldp_vc', credential, types: expanded['@type'] ?? [],
        claims: credential});
    } else {
      throw new RequestError('each credential must be a string or an object');
    }
  }
  return held;
}

function matches(query, candidate) {
  if(query.format !== candidate.format) {
    return false;
  }
  if(query.format === 'dc+sd-jwt' &&
    !(query.meta?.vct_values ?? []).includes(candidate.vct)) {
    return false;
  }
  if(query.format === 'ldp_vc' && !(query.meta?.type_values ?? []).some(
    wanted => wanted.every(t => candidate.types.includes(t)))) {
    return false;
  }
  return (query.claims ?? []).every(c => hasPath(candidate.claims, c.path));
}

// The query ids to answer: every credential_sets entry's first option the
// holder can satisfy (OpenID4VP §6.4.2), or every query without sets.
function chooseQueries(dcql, found) {
  const ids = dcql.credentials.map(q => q.id);
  if(!dcql.credential_sets) {
    return ids.filter(id => found.has(id));
  }
  const chosen = [];
  for(const set of dcql.credential_sets) {
    const option = set.options.find(o => o.every(id => found.has(id)));
    if(option) {
      chosen.push(...option);
    }
  }
  return [...new Set(chosen)];
}

await main(async request => {
  const requestLink = requireString(request, 'requestLink');
  const {credentials, choose, submissions = 1, discloseAll = false} = request;
  if(!Array.isArray(credentials)) {
    throw new RequestError('"credentials" must be an array');
  }
  if(choose !== undefined && (!Array.isArray(choose) ||
    !choose.every(id => typeof id === 'string'))) {
    throw new RequestError('"choose" must be an array of query ids');
  }
  if(!Number.isInteger(submissions) || submissions < 1) {
    throw new RequestError('"submissions" must be a positive integer');
  }
  const key = await holderKey(request.seed);
  const documentLoader = makeDocumentLoader({contexts: request.contexts});
  const client = new Openid4vpClient({callbacks: callbacksFor(key)});
  const result = {rejected: null, client: null, request: null, vpToken: null,
    answers: [], verifications, trace};

  let resolved;
  try {
    const parsed = client.parseOpenid4vpAuthorizationRequest(
      {authorizationRequest: requestLink});
    resolved = await client.resolveOpenId4vpAuthorizationRequest(
      {authorizationRequestPayload: parsed.params});
  } catch(error) {
    result.rejected = {
      error: error?.errorResponse?.error ?? error?.name ?? 'error',
      error_description: error?.errorResponse?.error_description ??
        describeError(error)
    };
    return result;
  }
  const payload = resolved.authorizationRequestPayload;
  const {prefix, identifier, effective, didUrl} = resolved.client;
  result.client = {prefix, identifier, effective, didUrl: didUrl ?? null};
  result.request = {
    header: resolved.jar?.jwt?.header ?? null,
    nonce: payload.nonce, state: payload.state ?? null,
    response_uri: payload.response_uri ?? null, aud: payload.aud ?? null,
    response_mode: payload.response_mode, dcql_query: payload.dcql_query
  };
  if(!resolved.dcql) {
    result.rejected = {error: 'invalid_request',
      error_description: 'this holder answers DCQL queries only'};
    return result;
  }
  const dcql = resolved.dcql.query;

  const held = await readHeld(credentials, documentLoader);
  const found = new Map();
  for(const query of dcql.credentials) {
    const candidate = held.find(h => matches(query, h));
    if(candidate) {
      found.set(query.id, candidate);
    }
  }
  const ids = choose ?? chooseQueries(dcql, found);

  // The audience of every presentation is the FULL client_id, prefix
  // included (OpenID4VP §14.8, App. B.1.3.2.5 and B.3.6).
  const audience = resolved.client.effective;
  const vpToken = {};
  for(const id of ids) {
    const query = dcql.credentials.find(q => q.id === id);
    const candidate = found.get(id);
    if(!query || !candidate) {
      throw new RequestError(`cannot answer query ${id}`);
    }
    if(candidate.format === 'dc+sd-jwt') {
      const keys = await sdJwtVc.presentableKeys(candidate.credential);
      const wanted = discloseAll ? keys : keys.filter(k =>
        (query.claims ?? []).some(c => keyServesPath(k, c.path)));
      const holder = new SDJwtVcInstance({
        hasher: digest, hashAlg: 'sha-256',
        kbSigner: signerFor(key.privateKey), kbSignAlg: 'EdDSA'
      });
      const presented = await holder.present(candidate.credential,
        frameOf(wanted), {kb: {payload: {
          aud: request.kbAudience ?? audience, nonce: payload.nonce,
          iat: Math.floor(Date.now() / 1000)
        }}});
      vpToken[id] = [presented];
    } else {
      const credential = candidate.credential;
      const unsigned = {
        '@context': [].concat(credential['@context'])[0] ===
          'https://www.w3.org/2018/credentials/v1' ?
          ['https://www.w3.org/2018/credentials/v1'] :
          ['https://www.w3.org/ns/credentials/v2'],
        type: ['VerifiablePresentation'],
        holder: key.did,
        verifiableCredential: [credential]
      };
      const signed = await vc.signPresentation({
        presentation: unsigned, suite: signingSuite(key.keyPair),
        challenge: payload.nonce, domain: request.vpDomain ?? audience,
        documentLoader
      });
      vpToken[id] = [signed];
    }
  }
  result.vpToken = vpToken;

  const {authorizationResponsePayload} =
    await client.createOpenid4vpAuthorizationResponse({
      authorizationRequestPayload: payload,
      authorizationResponsePayload: {vp_token: vpToken}
    });
  for(let i = 0; i < submissions; i++) {
    const {response} = await client.submitOpenid4vpAuthorizationResponse({
      authorizationRequestPayload: payload, authorizationResponsePayload
    });
    const text = await response.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch{
      body = text;
    }
    result.answers.push({status: response.status, body});
  }
  return result;
});
