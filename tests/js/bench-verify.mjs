// bench-verify.mjs: time vc.verifyCredential on signed credentials.
//
// stdin:  {"documents": [...signed VCs...], "iterations": N,
//          "warmup"?: N (default 100), "issuerBinding"?: bool (default true),
//          "now"?: ISO date-time, "contexts"?: {...}, "didDocuments"?: {...}}
// stdout: {"perDocument": [{"type": <type[1]>, "meanMicros": float,
//          "verified": bool, "error": str|null}], "node": process.version}
//
// Each document is warmed up (fills jsonld's context cache and lets V8
// optimise, as in a long-running verifier), then verified `iterations` times
// one after the other; meanMicros is wall time / iterations. `verified` is
// true only if every timed run verified. The warm-up default is 100 because
// on a 2-core machine the per-call time was still falling after a few
// hundred calls (JIT); a handful of warm-up runs overstates the cost.
import {
  RequestError, isPlainObject, main, verifyDocument, verifyOptionsFrom
} from './lib.mjs';

await main(async request => {
  const {documents, iterations, warmup = 100} = request;
  if(!Array.isArray(documents) || !documents.every(isPlainObject)) {
    throw new RequestError('"documents" must be an array of objects');
  }
  if(!Number.isInteger(iterations) || iterations < 1) {
    throw new RequestError('"iterations" must be an integer >= 1');
  }
  if(!Number.isInteger(warmup) || warmup < 0) {
    throw new RequestError('"warmup" must be an integer >= 0');
  }
  const options = verifyOptionsFrom(request);

  const perDocument = [];
  for(const document of documents) {
    const verifyOnce = () =>
      verifyDocument({...options, kind: 'credential', document});
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
    const types = [].concat(document.type ?? []);
    perDocument.push({
      type: types[1] ?? types[0] ?? null,
      meanMicros: elapsedNs / iterations / 1000,
      verified,
      error
    });
  }
  return {perDocument, node: process.version};
});
