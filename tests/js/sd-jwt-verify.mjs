// sd-jwt-verify.mjs: verify an SD-JWT VC (with or without key binding) with the
// OpenWallet Foundation's @sd-jwt/sd-jwt-vc.
//
// stdin:  {"sdJwt": str, "issuerJwk": JWK,
//          "nonce"?: str, "aud"?: str,   // nonce given => a KB-JWT is required
//          "now"?: epoch seconds,
//          "statusLists"?: {uri: status list JWT}, "statusListJwk"?: JWK}
// stdout: {"verified": bool, "error": str|null, "header": {...}|null,
//          "claims": {...}|null, "kb": {...}|null}
// Exit 0 whether or not it verifies; 2 for a malformed request.
import {SDJwtVcInstance} from '@sd-jwt/sd-jwt-vc';
import {digest} from '@sd-jwt/crypto-nodejs';
import {main, RequestError, isPlainObject} from './lib.mjs';
import {keyBindingVerifier, publicKeyFromJwk, verifierFor} from
  './sd-jwt-lib.mjs';

await main(async request => {
  const {sdJwt, issuerJwk, nonce, aud, now, statusLists = {},
    statusListJwk} = request;
  if(typeof sdJwt !== 'string') {
    throw new RequestError('"sdJwt" must be a string');
  }
  if(nonce !== undefined && (typeof nonce !== 'string' ||
    typeof aud !== 'string')) {
    throw new RequestError('"nonce" and "aud" must be strings, together');
  }
  if(!isPlainObject(statusLists)) {
    throw new RequestError('"statusLists" must be an object');
  }
  const instance = new SDJwtVcInstance({
    hasher: digest,
    hashAlg: 'sha-256',
    verifier: verifierFor(publicKeyFromJwk(issuerJwk, 'issuerJwk')),
    kbVerifier: keyBindingVerifier,
    statusVerifier: statusListJwk === undefined ? undefined :
      verifierFor(publicKeyFromJwk(statusListJwk, 'statusListJwk')),
    // Offline: only the lists the request carries.
    statusListFetcher: async uri => {
      if(typeof statusLists[uri] !== 'string') {
        throw new Error(`no status list for ${uri} (offline)`);
      }
      return statusLists[uri];
    }
  });
  try {
    const result = await instance.verify(sdJwt,
      {keyBindingNonce: nonce, currentDate: now});
    // The library checks the KB-JWT's nonce but not its aud: compare it here.
    if(nonce !== undefined && result.kb?.payload?.aud !== aud) {
      return {verified: false, error: 'KB-JWT aud does not match',
        header: result.header, claims: null, kb: result.kb?.payload ?? null};
    }
    return {verified: true, error: null, header: result.header,
      claims: result.payload, kb: result.kb?.payload ?? null};
  } catch(e) {
    return {verified: false, error: e?.message || String(e), header: null,
      claims: null, kb: null};
  }
});
