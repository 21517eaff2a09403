// bench-presentation.mjs: time the peers' verification of our presentations, as
// wallet-core/benches/presentation.rs leaves them (target/bench-presentations.json):
// a Data Integrity VP with Digital Bazaar's vc.verify, and an SD-JWT VC with a
// KB-JWT with @sd-jwt/sd-jwt-vc.
//
// stdin:  {"dataIntegrity": {"presentation", "challenge", "domain", "now",
//          "didDocuments"}, "sdJwt": {"sdJwt", "issuerJwk", "nonce", "aud",
//          "now"}, "contexts": {...}, "iterations": N, "warmup"?: N (100)}
// stdout: {"dataIntegrity": {"meanMicros", "verified", "error"},
//          "sdJwt": {"meanMicros", "verified", "error"}, "node": version}
//
// Warm-up as in bench-verify.mjs: on a 2-core machine V8 keeps getting faster
// for a few hundred calls, and a long-running verifier is warm.
import {SDJwtVcInstance} from '@sd-jwt/sd-jwt-vc';
import {digest} from '@sd-jwt/crypto-nodejs';
import {
  RequestError, isPlainObject, main, makeDocumentLoader, verifyDocument
} from './lib.mjs';
import {keyBindingVerifier, publicKeyFromJwk, verifierFor} from
  './sd-jwt-lib.mjs';

async function timed(verifyOnce, warmup, iterations) {
  for(let i = 0; i < warmup; i++) {
    await verifyOnce();
  }
  let verified = true;
  let error = null;
  const start = process.hrtime.bigint();
  for(let i = 0; i < iterations; i++) {
    const result = await verifyOnce();
    if(!result.verified) {
      verified = false;
      error ??= result.error;
    }
  }
  const elapsedNs = Number(process.hrtime.bigint() - start);
  return {meanMicros: elapsedNs / iterations / 1000, verified, error};
}

await main(async request => {
  const {dataIntegrity, sdJwt, contexts = {}, iterations,
    warmup = 100} = request;
  if(!isPlainObject(dataIntegrity) || !isPlainObject(sdJwt)) {
    throw new RequestError('"dataIntegrity" and "sdJwt" must be objects');
  }
  if(!Number.isInteger(iterations) || iterations < 1) {
    throw new RequestError('"iterations" must be an integer >= 1');
  }
  if(!Number.isInteger(warmup) || warmup < 0) {
    throw new RequestError('"warmup" must be an integer >= 0');
  }

  const documentLoader = makeDocumentLoader(
    {contexts, didDocuments: dataIntegrity.didDocuments});
  const di = await timed(() => verifyDocument({
    kind: 'presentation',
    document: dataIntegrity.presentation,
    challenge: dataIntegrity.challenge,
    domain: dataIntegrity.domain,
    now: dataIntegrity.now,
    documentLoader
  }), warmup, iterations);

  const instance = new SDJwtVcInstance({
    hasher: digest,
    hashAlg: 'sha-256',
    verifier: verifierFor(publicKeyFromJwk(sdJwt.issuerJwk, 'issuerJwk')),
    kbVerifier: keyBindingVerifier
  });
  const sd = await timed(async () => {
    try {
      const result = await instance.verify(sdJwt.sdJwt,
        {keyBindingNonce: sdJwt.nonce, currentDate: sdJwt.now});
      // The library checks the KB-JWT's nonce but not its aud (as in
      // sd-jwt-verify.mjs), so the comparison is part of the timed work.
      if(result.kb?.payload?.aud !== sdJwt.aud) {
        return {verified: false, error: 'KB-JWT aud does not match'};
      }
      return {verified: true};
    } catch(e) {
      return {verified: false, error: e?.message || String(e)};
    }
  }, warmup, iterations);

  return {dataIntegrity: di, sdJwt: sd, node: process.version};
});
