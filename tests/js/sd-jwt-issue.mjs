// sd-jwt-issue.mjs: issue and present SD-JWT VCs with the OpenWallet
// Foundation's @sd-jwt/sd-jwt-vc, keys Ed25519 (EdDSA).
//
// {"op": "keygen", "seed": hex64} -> {"jwk": public JWK}
// {"op": "issue", "seed": hex64, "kid": str, "payload": {...},
//  "disclosureFrame": {...}}       -> {"sdJwt": str, "issuerJwk": JWK}
// {"op": "present", "sdJwt": str, "presentationFrame": {...},
//  "holderSeed": hex64, "aud": str, "nonce": str, "iat": epoch seconds}
//                                   -> {"presented": str}
// Exit 0 with a result; 2 for a malformed request.
import {SDJwtVcInstance} from '@sd-jwt/sd-jwt-vc';
import {digest, generateSalt} from '@sd-jwt/crypto-nodejs';
import {main, RequestError, isPlainObject} from './lib.mjs';
import {privateKeyFromSeed, publicJwkOf, signerFor} from './sd-jwt-lib.mjs';

await main(async request => {
  switch(request.op) {
    case 'keygen':
      return {jwk: publicJwkOf(privateKeyFromSeed(request.seed))};
    case 'issue': {
      const {seed, kid, payload, disclosureFrame} = request;
      if(typeof kid !== 'string' || !isPlainObject(payload) ||
        !isPlainObject(disclosureFrame)) {
        throw new RequestError(
          '"kid" must be a string, "payload" and "disclosureFrame" objects');
      }
      const key = privateKeyFromSeed(seed);
      const instance = new SDJwtVcInstance({
        hasher: digest, hashAlg: 'sha-256', saltGenerator: generateSalt,
        signer: signerFor(key), signAlg: 'EdDSA'
      });
      const sdJwt = await instance.issue(payload, disclosureFrame,
        {header: {kid}});
      return {sdJwt, issuerJwk: {...publicJwkOf(key), kid}};
    }
    case 'present': {
      const {sdJwt, presentationFrame, holderSeed, aud, nonce, iat} = request;
      if(typeof sdJwt !== 'string' || !isPlainObject(presentationFrame) ||
        typeof aud !== 'string' || typeof nonce !== 'string' ||
        !Number.isInteger(iat)) {
        throw new RequestError('"sdJwt", "presentationFrame", "aud", ' +
          '"nonce" and integer "iat" are required');
      }
      const instance = new SDJwtVcInstance({
        hasher: digest, hashAlg: 'sha-256',
        kbSigner: signerFor(privateKeyFromSeed(holderSeed, 'holderSeed')),
        kbSignAlg: 'EdDSA'
      });
      const presented = await instance.present(sdJwt, presentationFrame,
        {kb: {payload: {aud, nonce, iat}}});
      return {presented};
    }
    default:
      throw new RequestError('"op" must be keygen, issue or present');
  }
});
