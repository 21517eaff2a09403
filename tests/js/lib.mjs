// Shared code for the interop harness: an offline JSON-LD document loader,
// the Data Integrity suites, did:key key handling and the stdin/stdout
// plumbing used by verify.mjs, sign.mjs and bench-verify.mjs.
//
// Everything here is offline on purpose: a context or DID that is not bundled,
// given in the request, or a did:key, makes the loader throw. Fetching from the
// network would hide "unknown context" bugs on the Rust side and make the
// tests flaky.

import * as credentialsContext from '@digitalbazaar/credentials-context';
import dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import multikeyContext from '@digitalbazaar/multikey-context';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {createVerifyCryptosuite as createJcsVerifyCryptosuite} from
  '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {driver as didKeyDriver} from '@digitalbazaar/did-method-key';
import jsigs from 'jsonld-signatures';
import * as vc from '@digitalbazaar/vc';

const {AssertionProofPurpose} = jsigs.purposes;

// ---------------------------------------------------------------------------
// Errors and I/O

// Thrown for a malformed request: the script exits 2 (a harness/caller bug),
// unlike a failed verification, which is a normal result with exit code 0.
export class RequestError extends Error {
  constructor(message) {
    super(message);
    this.name = 'RequestError';
  }
}

export async function readRequest() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let request;
  try {
    request = JSON.parse(text);
  } catch(e) {
    throw new RequestError(`stdin is not JSON: ${e.message}`);
  }
  if(!isPlainObject(request)) {
    throw new RequestError('request must be a JSON object');
  }
  return request;
}

// Runs `handler(request)` and prints its result as one line of JSON.
// Exit code 0 for any result (including verified:false), 2 for a bad request,
// 1 for anything unexpected (a harness bug).
export async function main(handler) {
  try {
    const request = await readRequest();
    const result = await handler(request);
    process.stdout.write(JSON.stringify(result) + '\n');
  } catch(e) {
    process.stderr.write(
      `${e instanceof RequestError ? 'bad request' : 'harness error'}: ` +
      `${e?.stack || e}\n`);
    process.exitCode = e instanceof RequestError ? 2 : 1;
  }
}

export function isPlainObject(x) {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

// Digital Bazaar reports failures as nested errors: jsigs wraps the real
// causes in a VerificationError("Verification error(s).") whose `errors`
// array holds them. Flatten that into one short line of text.
export function describeError(error) {
  if(error === undefined || error === null) {
    return null;
  }
  if(Array.isArray(error)) {
    const parts = error.map(describeError).filter(Boolean);
    return parts.length ? [...new Set(parts)].join('; ') : null;
  }
  if(Array.isArray(error.errors) && error.errors.length > 0) {
    return describeError(error.errors);
  }
  // jsonld.js errors keep the useful part in `details`: the safe-mode event
  // (e.g. an undefined term) or the document loader's own error.
  const details = error.details;
  if(details?.event) {
    const {code, details: what} = details.event;
    return `${error.message} ${code}` +
      (what ? ` ${JSON.stringify(what)}` : '');
  }
  if(details?.cause) {
    return `${details.code ?? error.message}: ${describeError(details.cause)}`;
  }
  return error.message || String(error);
}

// ---------------------------------------------------------------------------
// Document loader

// Contexts shipped inside the npm packages (no network needed).
const BUNDLED_CONTEXTS = new Map([
  ...credentialsContext.contexts, // credentials v1, v2, undefined-terms v2
  ...dataIntegrityContext.contexts, // data-integrity v1, v2
  ...multikeyContext.contexts // multikey v1
]);

export const CREDENTIALS_V2_URL = 'https://www.w3.org/ns/credentials/v2';

// JSON with object keys sorted, to compare two copies of one context.
function stableStringify(value) {
  if(Array.isArray(value)) {
    return '[' + value.map(stableStringify).join(',') + ']';
  }
  if(isPlainObject(value)) {
    return '{' + Object.keys(value).sort().map(
      k => JSON.stringify(k) + ':' + stableStringify(value[k])).join(',') +
      '}';
  }
  return JSON.stringify(value);
}

// One did:key driver for the process; it only accepts Ed25519 multikeys.
const didKey = didKeyDriver();
didKey.use({
  multibaseMultikeyHeader: 'z6Mk',
  fromMultibase: Ed25519Multikey.from
});
// did:key resolution is deterministic, so cache it (a real verifier would
// too; it keeps bench-verify measuring JSON-LD and signatures, not key
// decoding).
const didKeyCache = new Map();

async function resolveDidKey(url) {
  let doc = didKeyCache.get(url);
  if(!doc) {
    doc = await didKey.get({url});
    didKeyCache.set(url, doc);
  }
  return structuredClone(doc);
}

// Finds the verification method `url` (`did#fragment`) in a DID document,
// looking in `verificationMethod` and in embedded methods of the
// verification relationships. Ids may be absolute or relative (`#key-1`).
function findVerificationMethod(didDocument, did, url) {
  const fragment = url.slice(did.length); // '#...'
  const places = [
    'verificationMethod', 'assertionMethod', 'authentication',
    'capabilityInvocation', 'capabilityDelegation', 'keyAgreement'
  ];
  for(const place of places) {
    const entries = [].concat(didDocument[place] ?? []);
    for(const entry of entries) {
      if(isPlainObject(entry) && (entry.id === url || entry.id === fragment)) {
        // The verifier needs an absolute id and a controller; fill them in
        // the way a DID resolver would when dereferencing a fragment.
        return {
          '@context': didDocument['@context'],
          ...entry,
          id: url,
          controller: entry.controller ?? did
        };
      }
    }
  }
  return null;
}

// Builds the offline loader. `contexts` maps context URL -> context document
// (the whole `{"@context": ...}` JSON); `didDocuments` maps DID -> DID
// document. Both come from the request.
export function makeDocumentLoader({contexts = {}, didDocuments = {}} = {}) {
  if(!isPlainObject(contexts)) {
    throw new RequestError('"contexts" must be an object');
  }
  if(!isPlainObject(didDocuments)) {
    throw new RequestError('"didDocuments" must be an object');
  }
  const extraContexts = new Map();
  for(const [url, context] of Object.entries(contexts)) {
    if(!isPlainObject(context)) {
      throw new RequestError(`context ${url} must be a JSON object`);
    }
    // A request may repeat a bundled context (e.g. ssi's copy), but a
    // different copy under the same URL would make the two stacks sign
    // different things without anyone noticing: refuse it.
    const bundled = BUNDLED_CONTEXTS.get(url);
    if(bundled && stableStringify(bundled) !== stableStringify(context)) {
      throw new RequestError(
        `context ${url} differs from the copy bundled with the JS stack`);
    }
    extraContexts.set(url, context);
  }

  const loader = async url => {
    const remote = document => ({
      contextUrl: null, documentUrl: url, document
    });
    if(typeof url !== 'string') {
      throw new Error(`document loader: not a URL: ${JSON.stringify(url)}`);
    }
    const context = BUNDLED_CONTEXTS.get(url) ?? extraContexts.get(url);
    if(context) {
      return remote(context);
    }
    if(url.startsWith('did:')) {
      const did = url.split('#')[0];
      const didDocument = didDocuments[did];
      if(didDocument) {
        if(url === did) {
          return remote(structuredClone(didDocument));
        }
        const vm = findVerificationMethod(didDocument, did, url);
        if(!vm) {
          throw new Error(`document loader: ${url} not found in DID document`);
        }
        return remote(structuredClone(vm));
      }
      if(did.startsWith('did:key:')) {
        // For `did:key:z..#z..` the driver returns the verification method
        // with its `@context`, as jsigs expects.
        return remote(await resolveDidKey(url));
      }
    }
    throw new Error(`document loader: refusing to load ${url} (offline)`);
  };
  // jsigs adds its bundled security v1/v2 contexts, which it needs itself
  // when it frames a controller document that is not a DID v1 document.
  return jsigs.extendContextLoader(loader);
}

// ---------------------------------------------------------------------------
// Suites and keys

// Suites accepted when verifying: eddsa-rdfc-2022 and eddsa-jcs-2022 (the
// proof's `cryptosuite` picks one). Fresh instances per call are cheap.
export function verificationSuites() {
  return [
    new DataIntegrityProof({cryptosuite: eddsaRdfc2022}),
    new DataIntegrityProof({cryptosuite: createJcsVerifyCryptosuite()})
  ];
}

function parseSeed(seed) {
  if(typeof seed !== 'string' || !/^[0-9a-fA-F]{64}$/.test(seed)) {
    throw new RequestError('"seed" must be 64 hex digits (32 bytes)');
  }
  return Uint8Array.from(Buffer.from(seed, 'hex'));
}

// Ed25519 Multikey whose controller is its own did:key. With a seed (hex,
// 32 bytes) the key, and so the DID, are deterministic.
export async function makeDidKey({seed} = {}) {
  const seedBytes = seed === undefined ? undefined : parseSeed(seed);
  // First pass only to learn the public key (and so the DID) ...
  const probe = await Ed25519Multikey.generate(
    seedBytes ? {seed: seedBytes} : {});
  const did = `did:key:${probe.publicKeyMultibase}`;
  // ... then the same key again, now with controller and id set.
  const keyPair = await Ed25519Multikey.from({
    ...(await probe.export({publicKey: true, secretKey: true})),
    controller: did,
    id: `${did}#${probe.publicKeyMultibase}`
  });
  return {keyPair, did, verificationMethod: keyPair.id};
}

export function signingSuite(keyPair) {
  return new DataIntegrityProof({
    signer: keyPair.signer(),
    cryptosuite: eddsaRdfc2022
  });
}

// Status lists come later: report status as fine, but say so.
export async function checkStatusNotImplemented() {
  return {verified: true, note: 'credentialStatus not checked by harness'};
}

// ---------------------------------------------------------------------------
// Verification (used by verify.mjs and bench-verify.mjs)

// Checks the request fields shared by verify.mjs and bench-verify.mjs.
export function verifyOptionsFrom(request) {
  const {issuerBinding = true, now} = request;
  if(typeof issuerBinding !== 'boolean') {
    throw new RequestError('"issuerBinding" must be a boolean');
  }
  if(now !== undefined &&
    (typeof now !== 'string' || isNaN(new Date(now)))) {
    throw new RequestError('"now" must be an ISO date-time string');
  }
  return {
    issuerBinding,
    now,
    documentLoader: makeDocumentLoader(request)
  };
}

// Verifies one credential or presentation. Never throws for a document that
// fails verification: returns {verified: false, error}. Throws RequestError
// for a malformed request.
//
// issuerBinding (default true) keeps vc.verifyCredential's default purpose,
// CredentialIssuancePurpose, which also requires `issuer` to equal the
// controller of the proof's verification method. false checks only the proof
// (AssertionProofPurpose): needed for the W3C test vectors, whose issuer is
// https://vc.example/issuers/5678 while the key is a did:key.
export async function verifyDocument({
  kind, document, challenge, domain, issuerBinding = true, now,
  documentLoader
}) {
  if(!isPlainObject(document)) {
    throw new RequestError('"document" must be a JSON object');
  }
  if(domain !== undefined && typeof domain !== 'string') {
    throw new RequestError('"domain" must be a string');
  }
  const options = {
    suite: verificationSuites(),
    documentLoader,
    // without a checkStatus, vc refuses any credential with credentialStatus
    checkStatus: checkStatusNotImplemented
  };
  if(!issuerBinding) {
    // applies to the credential, or to each credential inside a presentation
    options.purpose = new AssertionProofPurpose();
  }
  if(now !== undefined) {
    options.now = now;
  }

  if(kind === 'credential') {
    const result = await vc.verifyCredential(
      {...options, credential: document});
    return {
      verified: result.verified === true,
      error: result.verified ? null :
        (describeError(result.error) ?? 'not verified (no error given)')
    };
  }

  if(kind === 'presentation') {
    if(typeof challenge !== 'string') {
      throw new RequestError('a presentation needs a "challenge" string');
    }
    let result;
    try {
      // vc.verify is the presentation verifier (there is no
      // verifyPresentation export). It returns, without awaiting, its inner
      // promise from inside a try, so some failures (e.g. a non-VP document)
      // reject instead of resolving to {verified: false}: catch them here.
      result = await vc.verify({
        ...options, presentation: document, challenge, domain
      });
    } catch(error) {
      return {verified: false, error: describeError(error)};
    }
    if(result.verified) {
      return {verified: true, error: null};
    }
    // result.error is only the presentation proof's error; the embedded
    // credentials' errors are in credentialResults.
    const parts = [];
    const {presentationResult} = result;
    if(presentationResult && !presentationResult.verified) {
      parts.push(`presentation: ${describeError(presentationResult.error)}`);
    } else if(!presentationResult && result.error) {
      parts.push(`presentation: ${describeError(result.error)}`);
    }
    for(const [i, r] of (result.credentialResults ?? []).entries()) {
      if(!r.verified) {
        parts.push(`credential[${i}]: ${describeError(r.error)}`);
      }
    }
    return {
      verified: false,
      error: parts.join('; ') || 'not verified (no error given)'
    };
  }

  throw new RequestError('"kind" must be "credential" or "presentation"');
}
