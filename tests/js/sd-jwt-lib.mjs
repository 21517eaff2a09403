// Shared code for the SD-JWT VC scripts: Ed25519 keys from a seed or a JWK with
// node:crypto, and the @sd-jwt signer/verifier callbacks built on them.
//
// The @sd-jwt libraries take their cryptography as callbacks; these use
// node:crypto's Ed25519 directly, so nothing here shares code with our Rust.

import {createPrivateKey, createPublicKey, sign, verify} from 'node:crypto';
import {RequestError, isPlainObject} from './lib.mjs';

// PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function privateKeyFromSeed(seed, name = 'seed') {
  if(typeof seed !== 'string' || !/^[0-9a-fA-F]{64}$/.test(seed)) {
    throw new RequestError(`"${name}" must be 64 hex digits (32 bytes)`);
  }
  return createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(seed, 'hex')]),
    format: 'der',
    type: 'pkcs8'
  });
}

export function publicJwkOf(privateKey) {
  const {kty, crv, x} = createPublicKey(privateKey).export({format: 'jwk'});
  return {kty, crv, x};
}

// A public key from an OKP/Ed25519 JWK; a JWK with a private part is refused.
export function publicKeyFromJwk(jwk, name = 'jwk') {
  if(!isPlainObject(jwk) || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' ||
    typeof jwk.x !== 'string' || 'd' in jwk) {
    throw new RequestError(`"${name}" must be a public OKP/Ed25519 JWK`);
  }
  return createPublicKey({key: {kty: 'OKP', crv: 'Ed25519', x: jwk.x},
    format: 'jwk'});
}

// @sd-jwt Signer: (data) => base64url signature.
export function signerFor(privateKey) {
  return async data => sign(null, Buffer.from(data), privateKey)
    .toString('base64url');
}

// @sd-jwt Verifier: (data, signature) => boolean.
export function verifierFor(publicKey) {
  return async (data, signature) => {
    try {
      return verify(null, Buffer.from(data), publicKey,
        Buffer.from(signature, 'base64url'));
    } catch{
      return false;
    }
  };
}

// @sd-jwt KB verifier: the key is the credential's cnf.jwk.
export async function keyBindingVerifier(data, signature, payload) {
  const jwk = payload?.cnf?.jwk;
  if(!isPlainObject(jwk)) {
    return false;
  }
  let key;
  try {
    key = publicKeyFromJwk(jwk);
  } catch{
    return false;
  }
  return verifierFor(key)(data, signature);
}
