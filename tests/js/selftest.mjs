// selftest.mjs: checks the harness itself, without Rust. Runs the scripts as
// child processes (so the stdin/stdout contract is what is tested), plus a
// few in-process checks. Exits 1 if any check fails. `npm test` runs it.
import {spawnSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {createSignCryptosuite as createJcsSignCryptosuite} from
  '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {makeDocumentLoader, signingSuite} from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
// shared/ sits beside the main checkout (here and in CI)
const VECTOR = join(here, '../../../shared/spec-vectors/vc-di-eddsa',
  'eddsa-rdfc-2022/signedDataInt.json');

const EXAMPLES_V2 = 'https://www.w3.org/ns/credentials/examples/v2';
const contexts = {
  [EXAMPLES_V2]: {
    '@context': {'@vocab': 'https://www.w3.org/ns/credentials/examples#'}
  }
};
const ISSUER_SEED = '11'.repeat(32);
const HOLDER_SEED = '22'.repeat(32);

// Runs `node <script>` with `request` (object, or raw string) on stdin.
function run(script, request) {
  const input = typeof request === 'string' ? request : JSON.stringify(request);
  const child = spawnSync(process.execPath, [join(here, script)], {
    input, encoding: 'utf8'
  });
  let json = null;
  try {
    json = JSON.parse(child.stdout);
  } catch{
    // left null: the checks below report it
  }
  return {status: child.status, json, stderr: child.stderr};
}

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch(e) {
    failed++;
    console.log(`FAIL ${name}\n     ${e?.stack || e}`);
  }
}
function assert(cond, message) {
  if(!cond) {
    throw new Error(message);
  }
}
// Expects a normal run (exit 0) and returns the parsed result.
function ok(script, request) {
  const r = run(script, request);
  assert(r.status === 0 && r.json,
    `${script} exited ${r.status}: ${r.stderr}`);
  return r.json;
}
function verify(request) {
  return ok('verify.mjs', {contexts, ...request});
}
const clone = x => structuredClone(x);

const vector = JSON.parse(readFileSync(VECTOR, 'utf8'));
const unsignedVc = {
  '@context': ['https://www.w3.org/ns/credentials/v2', EXAMPLES_V2],
  type: ['VerifiableCredential', 'ExampleCredential'],
  issuer: 'https://will-be-overwritten.example',
  validFrom: '2024-01-01T00:00:00Z',
  credentialSubject: {id: 'did:example:subject', name: 'Alice'}
};

// --- the W3C test vector -------------------------------------------------

await check('W3C vector verifies (issuerBinding false)', () => {
  const r = verify(
    {kind: 'credential', document: vector, issuerBinding: false});
  assert(r.verified === true && r.error === null, JSON.stringify(r));
});

await check('W3C vector fails issuer binding by default (issuer != did:key)',
  () => {
    const r = verify({kind: 'credential', document: vector});
    assert(r.verified === false &&
      /issuer must match the verification method controller/.test(r.error),
    JSON.stringify(r));
  });

await check('W3C vector with one value tampered fails', () => {
  const doc = clone(vector);
  doc.credentialSubject.alumniOf = 'The School of Tampering';
  const r = verify({kind: 'credential', document: doc, issuerBinding: false});
  assert(r.verified === false && /Invalid signature/.test(r.error),
    JSON.stringify(r));
});

await check('unknown context is refused, not fetched', () => {
  const r = ok('verify.mjs',
    {kind: 'credential', document: vector, issuerBinding: false});
  assert(r.verified === false && /refusing to load.*examples\/v2/.test(r.error),
    JSON.stringify(r));
});

// --- sign.mjs credential round trip --------------------------------------

let signedVc;
await check('sign.mjs signs a credential; issuer becomes the did:key', () => {
  const r = ok('sign.mjs',
    {kind: 'credential', document: unsignedVc, seed: ISSUER_SEED, contexts});
  assert(r.signed && r.did.startsWith('did:key:z6Mk'), JSON.stringify(r));
  assert(r.signed.issuer === r.did, 'issuer not overwritten');
  assert(r.verificationMethod === `${r.did}#${r.did.slice(8)}`,
    'unexpected verification method');
  const {proof} = r.signed;
  assert(proof.type === 'DataIntegrityProof' &&
    proof.cryptosuite === 'eddsa-rdfc-2022' &&
    proof.proofPurpose === 'assertionMethod' &&
    proof.verificationMethod === r.verificationMethod &&
    proof.proofValue.startsWith('z'), JSON.stringify(proof));
  signedVc = r.signed;
});

await check('credential signed by sign.mjs verifies', () => {
  const r = verify({kind: 'credential', document: signedVc});
  assert(r.verified === true, JSON.stringify(r));
});

await check('credential signed by sign.mjs, tampered, fails', () => {
  const doc = clone(signedVc);
  doc.credentialSubject.name = 'Mallory';
  const r = verify({kind: 'credential', document: doc});
  assert(r.verified === false && /Invalid signature/.test(r.error),
    JSON.stringify(r));
});

await check('sign.mjs reports an undefined term instead of signing', () => {
  const doc = clone(unsignedVc);
  doc['@context'] = ['https://www.w3.org/ns/credentials/v2'];
  const r = ok('sign.mjs', {kind: 'credential', document: doc});
  assert(r.signed === null && /Safe mode validation error/.test(r.error),
    JSON.stringify(r));
});

// --- presentations --------------------------------------------------------

let holder;
let signedVp;
const CHALLENGE = 'c-8f2a1d';
const DOMAIN = 'verifier.nhs.example';
await check('keygen gives the same did:key as sign with that seed', () => {
  holder = ok('sign.mjs', {kind: 'keygen', seed: HOLDER_SEED});
  const again = ok('sign.mjs', {kind: 'keygen', seed: HOLDER_SEED});
  assert(holder.did === again.did &&
    holder.verificationMethod === `${holder.did}#${holder.did.slice(8)}`,
  JSON.stringify([holder, again]));
  // all-zero seed: the well-known did:key of that seed
  const zero = ok('sign.mjs', {kind: 'keygen', seed: '00'.repeat(32)});
  assert(zero.did ===
    'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp',
  JSON.stringify(zero));
});

await check('sign.mjs signs a VP (holder = did:key, authentication)', () => {
  const cred = clone(unsignedVc);
  cred.credentialSubject.id = holder.did;
  const issued = ok('sign.mjs',
    {kind: 'credential', document: cred, seed: ISSUER_SEED, contexts}).signed;
  assert(issued, 'issuing failed');
  const vp = {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiablePresentation'],
    verifiableCredential: [issued]
  };
  const r = ok('sign.mjs', {
    kind: 'presentation', document: vp, seed: HOLDER_SEED,
    challenge: CHALLENGE, domain: DOMAIN, contexts
  });
  assert(r.signed && r.did === holder.did && r.signed.holder === holder.did,
    JSON.stringify(r));
  const {proof} = r.signed;
  assert(proof.proofPurpose === 'authentication' &&
    proof.challenge === CHALLENGE && proof.domain === DOMAIN,
  JSON.stringify(proof));
  assert(JSON.stringify(r.signed.verifiableCredential[0]) ===
    JSON.stringify(issued), 'embedded credential was changed');
  signedVp = r.signed;
});

await check('VP verifies with the right challenge and domain', () => {
  const r = verify({kind: 'presentation', document: signedVp,
    challenge: CHALLENGE, domain: DOMAIN});
  assert(r.verified === true, JSON.stringify(r));
});

await check('VP with the wrong challenge fails', () => {
  const r = verify({kind: 'presentation', document: signedVp,
    challenge: 'some-other-challenge', domain: DOMAIN});
  assert(r.verified === false && /challenge is not as expected/.test(r.error),
    JSON.stringify(r));
});

await check('VP with the wrong domain fails', () => {
  const r = verify({kind: 'presentation', document: signedVp,
    challenge: CHALLENGE, domain: 'evil.example'});
  assert(r.verified === false && /domain is not as expected/.test(r.error),
    JSON.stringify(r));
});

await check('VP wrapping a tampered credential fails (credentials checked)',
  () => {
    const doc = clone(signedVp);
    doc.verifiableCredential[0].credentialSubject.name = 'Mallory';
    // the VP proof is now also broken (it covers the credential), so the
    // error names both
    const r = verify({kind: 'presentation', document: doc,
      challenge: CHALLENGE, domain: DOMAIN});
    assert(r.verified === false && /credential\[0\]: Invalid signature/.test(
      r.error), JSON.stringify(r));
  });

await check('verify.mjs: a VP without the challenge is a bad request', () => {
  const r = run('verify.mjs', {kind: 'presentation', document: signedVp,
    contexts});
  assert(r.status === 2, `exit ${r.status}`);
});

// --- other proof shapes, built in process -----------------------------

await check('did:web-style issuer from "didDocuments" verifies', async () => {
  const did = 'did:web:issuer.nhs.example';
  const keyPair = await Ed25519Multikey.generate({
    seed: Uint8Array.from(Buffer.from('33'.repeat(32), 'hex')),
    id: `${did}#key-1`, controller: did
  });
  const didDocument = {
    '@context': ['https://www.w3.org/ns/did/v1',
      'https://w3id.org/security/multikey/v1'],
    id: did,
    verificationMethod: [{
      id: '#key-1', // relative ids must work too
      type: 'Multikey',
      controller: did,
      publicKeyMultibase: keyPair.publicKeyMultibase
    }],
    assertionMethod: [`${did}#key-1`]
  };
  const credential = {...clone(unsignedVc), issuer: did};
  const signed = await vc.issue({credential, suite: signingSuite(keyPair),
    documentLoader: makeDocumentLoader({contexts})});
  const r = verify({kind: 'credential', document: signed,
    didDocuments: {[did]: didDocument}});
  assert(r.verified === true, JSON.stringify(r));
  const missing = verify({kind: 'credential', document: signed});
  assert(missing.verified === false && /refusing to load/.test(missing.error),
    JSON.stringify(missing));
});

await check('eddsa-jcs-2022 credential verifies', async () => {
  const keyPair = await Ed25519Multikey.generate({
    seed: Uint8Array.from(Buffer.from('44'.repeat(32), 'hex'))
  });
  const did = `did:key:${keyPair.publicKeyMultibase}`;
  keyPair.controller = did;
  keyPair.id = `${did}#${keyPair.publicKeyMultibase}`;
  const suite = new DataIntegrityProof({
    signer: keyPair.signer(), cryptosuite: createJcsSignCryptosuite()
  });
  const signed = await vc.issue({
    credential: {...clone(unsignedVc), issuer: did}, suite,
    documentLoader: makeDocumentLoader({contexts})
  });
  assert(signed.proof.cryptosuite === 'eddsa-jcs-2022', 'not jcs');
  const r = verify({kind: 'credential', document: signed});
  assert(r.verified === true, JSON.stringify(r));
  const doc = clone(signed);
  doc.credentialSubject.name = 'Mallory';
  const bad = verify({kind: 'credential', document: doc});
  assert(bad.verified === false, JSON.stringify(bad));
});

// --- bench and request errors ---------------------------------------------

await check('bench-verify.mjs times credentials', () => {
  const r = ok('bench-verify.mjs', {
    documents: [signedVc, vector], iterations: 3, warmup: 1, contexts
  });
  assert(r.node === process.version && r.perDocument.length === 2,
    JSON.stringify(r));
  const [a, b] = r.perDocument;
  assert(a.type === 'ExampleCredential' && a.verified === true &&
    a.meanMicros > 0, JSON.stringify(a));
  // the W3C vector fails issuer binding, which is the default
  assert(b.type === 'AlumniCredential' && b.verified === false,
    JSON.stringify(b));
});

await check('malformed requests exit 2', () => {
  assert(run('verify.mjs', 'not json').status === 2, 'verify: not json');
  assert(run('verify.mjs', {kind: 'thing', document: {}}).status === 2,
    'verify: bad kind');
  assert(run('sign.mjs', {kind: 'keygen', seed: 'abc'}).status === 2,
    'sign: bad seed');
  assert(run('bench-verify.mjs', {documents: [], iterations: 0}).status === 2,
    'bench: zero iterations');
  // a request must not swap in its own copy of a bundled context
  assert(run('verify.mjs', {kind: 'credential', document: vector, contexts: {
    'https://www.w3.org/ns/credentials/v2': {'@context': {}}
  }}).status === 2, 'verify: conflicting bundled context');
});

console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
