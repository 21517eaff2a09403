// Shared code for oid4vc-issuer-server.mjs and oid4vc-verifier-server.mjs: the
// callbacks the @openid4vc/* libraries take for their cryptography (node:crypto
// Ed25519, SHA-256, randomness), and the node:http plumbing of both servers.
//
// The libraries leave every cryptographic operation to the caller; these
// callbacks accept EdDSA over OKP/Ed25519 only, so a JWT signed any other way
// fails verification here rather than being waved through.

import {createHash, createPublicKey, randomBytes, sign, verify} from
  'node:crypto';
import http from 'node:http';
import * as base58 from 'base58-universal';
import {setGlobalConfig} from '@openid4vc/utils';

// Everything runs on 127.0.0.1 over plain HTTP; without this every URL the
// libraries validate (issuer ids, endpoints, request_uri) must be https.
setGlobalConfig({allowInsecureUrls: true});

export const b64u = buffer => Buffer.from(buffer).toString('base64url');
const jsonB64u = value => b64u(Buffer.from(JSON.stringify(value)));

export function publicJwk(privateKey) {
  const {kty, crv, x} = createPublicKey(privateKey).export({format: 'jwk'});
  return {kty, crv, x};
}

// did:key:z6Mk… and a did:web Multikey: multibase base58btc of 0xed01 + key.
export function multikeyOf(jwk) {
  const raw = Buffer.from(jwk.x, 'base64url');
  return 'z' + base58.encode(Buffer.concat([Buffer.from([0xed, 0x01]), raw]));
}

function jwkFromMultikey(multibase) {
  if(typeof multibase !== 'string' || !multibase.startsWith('z')) {
    throw new Error('not a base58btc multibase key');
  }
  const bytes = Buffer.from(base58.decode(multibase.slice(1)));
  if(bytes.length !== 34 || bytes[0] !== 0xed || bytes[1] !== 0x01) {
    throw new Error('not an Ed25519 multikey');
  }
  return {kty: 'OKP', crv: 'Ed25519', x: b64u(bytes.subarray(2))};
}

function keyFromJwk(jwk) {
  if(jwk?.kty !== 'OKP' || jwk?.crv !== 'Ed25519' || typeof jwk?.x !== 'string'
    || 'd' in jwk) {
    throw new Error('only public OKP/Ed25519 JWKs are accepted');
  }
  return createPublicKey({key: {kty: 'OKP', crv: 'Ed25519', x: jwk.x},
    format: 'jwk'});
}

// The public JWK a JwtSigner names: inline (jwk) or a did:key (did).
function signerJwk(signer) {
  if(signer.method === 'jwk') {
    return signer.publicJwk;
  }
  if(signer.method === 'did' && signer.didUrl?.startsWith('did:key:')) {
    return jwkFromMultikey(signer.didUrl.split('#')[0].slice('did:key:'.length));
  }
  throw new Error(`signer method ${signer.method} is not supported here`);
}

export function signCompact(privateKey, header, payload) {
  const input = `${jsonB64u(header)}.${jsonB64u(payload)}`;
  return `${input}.${b64u(sign(null, Buffer.from(input), privateKey))}`;
}

// The callback context of the @openid4vc libraries, signing with `privateKey`.
export function callbacks(privateKey) {
  return {
    hash: (data, alg) => {
      if(alg !== 'sha-256') {
        throw new Error(`hash ${alg} is not supported`);
      }
      return new Uint8Array(createHash('sha256').update(data).digest());
    },
    generateRandom: length => new Uint8Array(randomBytes(length)),
    signJwt: async (signer, {header, payload}) => {
      if(header.alg !== 'EdDSA') {
        throw new Error(`alg ${header.alg} is not supported`);
      }
      return {jwt: signCompact(privateKey, header, payload),
        signerJwk: publicJwk(privateKey)};
    },
    verifyJwt: async (signer, {header, compact}) => {
      try {
        if(header.alg !== 'EdDSA') {
          return {verified: false};
        }
        const jwk = signerJwk(signer);
        const [h, p, s] = compact.split('.');
        const ok = verify(null, Buffer.from(`${h}.${p}`), keyFromJwk(jwk),
          Buffer.from(s, 'base64url'));
        return ok ? {verified: true, signerJwk: jwk} : {verified: false};
      } catch{
        return {verified: false};
      }
    },
    clientAuthentication: () => {},
    fetch
  };
}

export function decodeJwtPart(jwt, index) {
  return JSON.parse(Buffer.from(jwt.split('.')[index], 'base64url')
    .toString('utf8'));
}

export function sendJson(response, status, body, headers = {}) {
  response.writeHead(status, {'content-type': 'application/json',
    'cache-control': 'no-store', ...headers});
  response.end(JSON.stringify(body));
}

export async function readBody(request) {
  const chunks = [];
  for await (const chunk of request) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// A form body as a plain object; a repeated field is a bad request.
export function parseForm(text) {
  const form = {};
  for(const [name, value] of new URLSearchParams(text)) {
    if(name in form) {
      throw new Error(`field ${name} is repeated`);
    }
    form[name] = value;
  }
  return form;
}

// The Headers-like request the libraries take (RequestLike).
export function requestLike(request, base) {
  const headers = new Headers();
  for(const [name, value] of Object.entries(request.headers)) {
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return {method: request.method, url: new URL(request.url, base).toString(),
    headers};
}

// Starts `handler` on 127.0.0.1, a free port, and prints {"url": base} once
// listening: the Rust test reads that line to know where the server is.
export function serve(makeHandler) {
  let handler;
  const server = http.createServer(async (request, response) => {
    try {
      await handler(request, response);
    } catch(e) {
      process.stderr.write(`${e?.stack || e}\n`);
      if(!response.headersSent) {
        sendJson(response, 500, {error: 'server_error',
          error_description: String(e?.message || e)});
      }
    }
  });
  server.listen(0, '127.0.0.1', () => {
    const base = `http://127.0.0.1:${server.address().port}`;
    handler = makeHandler(base);
    process.stdout.write(JSON.stringify({url: base}) + '\n');
  });
  // The test owns the process: its end (stdin closed) ends the server too.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
