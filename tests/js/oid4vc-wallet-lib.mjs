// Shared code for oid4vci-wallet.mjs and oid4vp-holder.mjs: the callbacks the
// OpenWallet Foundation's @openid4vc clients take (fetch, hash, random, JWT
// signing and verification), with node:crypto's Ed25519, and a DID resolver
// for the keys that sign what the wallet is sent.
//
// Nothing here is shared with our Rust: the point is to find out whether a
// wallet written by someone else gets on with our issuer and verifier.

import {createHash, createPublicKey, randomBytes, sign, verify} from
  'node:crypto';
import {setGlobalConfig} from '@openid4vc/utils';
import {clientAuthenticationAnonymous} from '@openid4vc/oauth2';
import {RequestError, isPlainObject, makeDidKey} from './lib.mjs';
import {privateKeyFromSeed, publicJwkOf} from './sd-jwt-lib.mjs';

// The libraries refuse http:// URLs unless this global switch is on, and it
// lets through every host. Our services run on loopback over plain http in
// the tests, so it is switched on, and `loopbackFetch` puts the limit back:
// plain http only to 127.0.0.1.
setGlobalConfig({allowInsecureUrls: true});

// Every request the wallet made, in order, for the caller to see (and assert
// on, e.g. that the verifier's DID document was really fetched).
export const trace = [];

export async function loopbackFetch(input, init) {
  const url = new URL(typeof input === 'string' || input instanceof URL ?
    input : input.url);
  if(url.protocol === 'http:' && url.hostname !== '127.0.0.1') {
    throw new Error(`refusing plain http to ${url.host}: only 127.0.0.1 ` +
      'may be reached without TLS');
  }
  if(url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`refusing to fetch ${url.protocol} URLs`);
  }
  const method = init?.method ?? 'GET';
  const entry = {method, url: url.href};
  trace.push(entry);
  const response = await fetch(input, init);
  entry.status = response.status;
  return response;
}

// Where to fetch an https address: over plain http when it is 127.0.0.1,
// because the services under test serve no TLS there. Our SD-JWT VCs name
// their issuer by the https URL of its did:web (SD-JWT VC -18 §5 wants an
// https iss), and our own wallet maps it the same way (wallet-core's
// Http::reachable).
export function reachable(url) {
  const parsed = new URL(url);
  if(parsed.protocol === 'https:' && parsed.hostname === '127.0.0.1') {
    parsed.protocol = 'http:';
    return parsed.href;
  }
  return url;
}

// The holder's one Ed25519 key, as a did:key (for ldp_vc, whose credentials
// name the holder's DID) and as a JWK (for SD-JWT VC's cnf).
export async function holderKey(seed) {
  const privateKey = privateKeyFromSeed(seed);
  const {keyPair, did, verificationMethod} = await makeDidKey({seed});
  return {privateKey, publicJwk: publicJwkOf(privateKey), keyPair, did,
    verificationMethod};
}

function b64urlJson(value) {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

// A compact JWS over header and payload, EdDSA with the holder's key.
export function signCompact(privateKey, header, payload) {
  const input = `${b64urlJson(header)}.${b64urlJson(payload)}`;
  const signature = sign(null, Buffer.from(input), privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

// ---------------------------------------------------------------------------
// DIDs: did:key and did:web (loopback did:web over http, as above)

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58Decode(text) {
  let value = 0n;
  for(const char of text) {
    const digit = BASE58.indexOf(char);
    if(digit < 0) {
      throw new Error(`not base58: ${char}`);
    }
    value = value * 58n + BigInt(digit);
  }
  const bytes = [];
  while(value > 0n) {
    bytes.unshift(Number(value & 0xffn));
    value >>= 8n;
  }
  for(const char of text) {
    if(char !== '1') {
      break;
    }
    bytes.unshift(0);
  }
  return Buffer.from(bytes);
}

// An Ed25519 public key from a Multikey `z…` (multicodec 0xed01) value.
export function ed25519FromMultibase(multibase) {
  if(typeof multibase !== 'string' || !multibase.startsWith('z')) {
    throw new Error('publicKeyMultibase must be base58btc (z…)');
  }
  const bytes = base58Decode(multibase.slice(1));
  if(bytes.length !== 34 || bytes[0] !== 0xed || bytes[1] !== 0x01) {
    throw new Error('publicKeyMultibase is not an Ed25519 Multikey');
  }
  const x = bytes.subarray(2).toString('base64url');
  return {kty: 'OKP', crv: 'Ed25519', x};
}

// did:web → the URL of its DID document (DID Web method §3.2), http only
// for 127.0.0.1 (see loopbackFetch).
export function didWebDocumentUrl(did) {
  const parts = did.slice('did:web:'.length).split(':')
    .map(decodeURIComponent);
  const host = parts.shift();
  const path = parts.length ? parts.join('/') + '/did.json' :
    '.well-known/did.json';
  return reachable(`https://${host}/${path}`);
}

// The public JWK of the verification method a DID URL names, from the DID's
// document; refuses anything but Ed25519.
export async function resolveDidUrl(didUrl) {
  const [did, fragment] = didUrl.split('#');
  if(!fragment) {
    throw new Error(`${didUrl} names no verification method`);
  }
  if(did.startsWith('did:key:')) {
    const key = did.slice('did:key:'.length);
    if(fragment !== key) {
      throw new Error(`${didUrl}: a did:key's method is #${key}`);
    }
    return {jwk: ed25519FromMultibase(key), documentUrl: null};
  }
  if(!did.startsWith('did:web:')) {
    throw new Error(`unsupported DID method: ${did}`);
  }
  const documentUrl = didWebDocumentUrl(did);
  const response = await loopbackFetch(documentUrl,
    {headers: {Accept: 'application/did+json, application/json'}});
  if(!response.ok) {
    throw new Error(`${documentUrl}: HTTP ${response.status}`);
  }
  const document = await response.json();
  if(document.id !== did) {
    throw new Error(`${documentUrl} is the document of ${document.id}, ` +
      `not of ${did}`);
  }
  const method = (document.verificationMethod ?? []).find(
    m => isPlainObject(m) && (m.id === didUrl || m.id === `#${fragment}`));
  if(!method) {
    throw new Error(`${didUrl} is not in ${did}'s DID document`);
  }
  if(method.controller !== undefined && method.controller !== did) {
    throw new Error(`${didUrl} is controlled by ${method.controller}`);
  }
  let jwk;
  if(method.publicKeyMultibase) {
    jwk = ed25519FromMultibase(method.publicKeyMultibase);
  } else if(method.publicKeyJwk?.kty === 'OKP' &&
    method.publicKeyJwk?.crv === 'Ed25519') {
    jwk = {kty: 'OKP', crv: 'Ed25519', x: method.publicKeyJwk.x};
  } else {
    throw new Error(`${didUrl} is not an Ed25519 key`);
  }
  return {jwk, documentUrl};
}

// ---------------------------------------------------------------------------
// The callbacks

// What verifyJwt checked, for the caller to report.
export const verifications = [];

function verifyCompact(compact, jwk) {
  const [header, payload, signature] = compact.split('.');
  const key = createPublicKey({key: jwk, format: 'jwk'});
  return verify(null, Buffer.from(`${header}.${payload}`), key,
    Buffer.from(signature, 'base64url'));
}

export function callbacksFor(key) {
  return {
    fetch: loopbackFetch,
    hash: (data, alg) => {
      const name = {'sha-256': 'sha256', 'sha-384': 'sha384',
        'sha-512': 'sha512'}[alg];
      if(!name) {
        throw new Error(`unsupported hash ${alg}`);
      }
      return new Uint8Array(createHash(name).update(data).digest());
    },
    generateRandom: length => new Uint8Array(randomBytes(length)),
    // Anonymous pre-authorized code flow: OpenID4VCI §6.1 makes client
    // authentication optional, and our AS says
    // pre-authorized_grant_anonymous_access_supported.
    clientAuthentication: clientAuthenticationAnonymous(),
    signJwt: async (signer, {header, payload}) => {
      if(!key) {
        throw new Error('this wallet signs nothing');
      }
      if(signer.alg !== 'EdDSA') {
        throw new Error(`the holder key signs EdDSA, not ${signer.alg}`);
      }
      return {jwt: signCompact(key.privateKey, header, payload),
        signerJwk: key.publicJwk};
    },
    verifyJwt: async (signer, {header, compact}) => {
      if(header.alg !== 'EdDSA') {
        verifications.push({signer, verified: false,
          error: `alg ${header.alg}`});
        return {verified: false};
      }
      let jwk;
      let documentUrl = null;
      try {
        if(signer.method === 'did') {
          ({jwk, documentUrl} = await resolveDidUrl(signer.didUrl));
        } else if(signer.method === 'jwk') {
          jwk = signer.publicJwk;
        } else {
          throw new Error(`unsupported signer method ${signer.method}`);
        }
      } catch(error) {
        verifications.push({signer, verified: false, error: error.message});
        return {verified: false};
      }
      const verified = verifyCompact(compact, jwk);
      verifications.push({signer, verified, documentUrl,
        kid: header.kid ?? null});
      return {verified, signerJwk: jwk};
    },
    encryptJwe: () => {
      throw new Error('this wallet does not encrypt');
    },
    decryptJwe: () => {
      throw new Error('this wallet does not decrypt');
    }
  };
}

// The OAuth error body an @openid4vc error carries, if any, as
// {status, error, error_description, wwwAuthenticate?}.
export function oauthErrorOf(error) {
  const body = error?.errorResponse ??
    error?.response?.credentialErrorResponseResult?.data;
  const response = error?.response?.response ?? error?.response;
  const status = typeof response?.status === 'number' ? response.status :
    null;
  // RFC 6750 §3: a resource server's refusal of the token is in its
  // WWW-Authenticate challenge, as their client parsed it.
  const challenges = error?.response?.wwwAuthenticate ?? null;
  if(isPlainObject(body) && typeof body.error === 'string') {
    return {status, error: body.error,
      error_description: body.error_description ?? null,
      ...(challenges ? {wwwAuthenticate: challenges} : {})};
  }
  return null;
}

export function requireString(request, name) {
  if(typeof request[name] !== 'string' || request[name] === '') {
    throw new RequestError(`"${name}" must be a non-empty string`);
  }
  return request[name];
}
