// selftest.mjs: checks the harness itself, without Rust. Runs the scripts as
// child processes (so the stdin/stdout contract is what is tested), plus a
// few in-process checks. Exits 1 if any check fails. `npm test` runs it.
import {spawnSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {deflateSync, gunzipSync, gzipSync} from 'node:zlib';
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

// --- status-list.mjs (Bitstring Status List v1.0) ---------------------------

const MIN_ENTRIES = 131072;
const statusList = request => ok('status-list.mjs', request);
const decodeStatus = encodedList => statusList({op: 'decode', encodedList});
// multibase base64url, no padding, over some bytes (our own, for test input)
const u = bytes => 'u' + Buffer.from(bytes).toString('base64url');

let encoded;
await check('status-list.mjs encode/decode round-trips 0, 7, 8, 131071',
  () => {
    const set = [0, 7, 8, MIN_ENTRIES - 1];
    ({encodedList: encoded} = statusList(
      {op: 'encode', length: MIN_ENTRIES, set: [131071, 8, 0, 7, 8]}));
    const r = decodeStatus(encoded);
    assert(r.length === MIN_ENTRIES &&
      JSON.stringify(r.set) === JSON.stringify(set), JSON.stringify(r));
    const empty = decodeStatus(statusList(
      {op: 'encode', length: MIN_ENTRIES, set: []}).encodedList);
    assert(empty.length === MIN_ENTRIES && empty.set.length === 0,
      JSON.stringify(empty));
  });

await check('encodedList is "u" + unpadded base64url of GZIP', () => {
  assert(typeof encoded === 'string' && /^u[A-Za-z0-9_-]+$/.test(encoded) &&
    !encoded.includes('='), encoded);
  const gz = Buffer.from(encoded.slice(1), 'base64url');
  assert(gz[0] === 0x1f && gz[1] === 0x8b && gz[2] === 8,
    `not GZIP: ${gz.subarray(0, 10).toString('hex')}`);
});

await check('bit order: index 0 is the left-most bit (mask 0x80 >> i%8)',
  () => {
    // read DB's output with plain gunzip and check the bytes by hand
    const bytes = gunzipSync(Buffer.from(encoded.slice(1), 'base64url'));
    assert(bytes.length === MIN_ENTRIES / 8 && bytes[0] === 0x81 &&
      bytes[1] === 0x80 && bytes[bytes.length - 1] === 0x01 &&
      bytes.subarray(2, -1).every(b => b === 0),
    `bytes ${bytes.subarray(0, 4).toString('hex')}…` +
      `${bytes.subarray(-2).toString('hex')}`);
  });

await check('decodes a GZIP with flate2-style header (XFL 2, OS 255)', () => {
  const bytes = new Uint8Array(MIN_ENTRIES / 8);
  bytes[0] = 0x40; // index 1
  bytes[2] = 0x01; // index 23
  bytes[bytes.length - 1] = 0x80; // index 131064
  const gz = gzipSync(bytes, {level: 9});
  assert(gz[8] === 2, `zlib's XFL at level 9 is ${gz[8]}`);
  gz[9] = 255; // OS "unknown", as flate2 writes it (not covered by the CRC)
  const r = decodeStatus(u(gz));
  assert(r.length === MIN_ENTRIES &&
    JSON.stringify(r.set) === JSON.stringify([1, 23, 131064]),
  JSON.stringify(r));
});

await check('a list shorter than 131072 bits decodes and reports its length',
  () => {
    // neither DB nor the harness enforces the REC's minimum
    const short = statusList({op: 'encode', length: 16, set: [3]});
    const r = decodeStatus(short.encodedList);
    assert(r.length === 16 && JSON.stringify(r.set) === '[3]',
      JSON.stringify(r));
    // lengths travel as whole bytes: 13 bits come back as 16
    const odd = decodeStatus(
      statusList({op: 'encode', length: 13, set: [12]}).encodedList);
    assert(odd.length === 16 && JSON.stringify(odd.set) === '[12]',
      JSON.stringify(odd));
    // even an empty bitstring
    const empty = decodeStatus(u(gzipSync(new Uint8Array(0))));
    assert(empty.length === 0 && empty.set.length === 0,
      JSON.stringify(empty));
  });

await check('decode refuses a list without "u" or that is not compressed',
  () => {
    const gz = gzipSync(new Uint8Array(MIN_ENTRIES / 8));
    const noPrefix = decodeStatus(Buffer.from(gz).toString('base64url'));
    assert(noPrefix.length === null && noPrefix.set === null &&
      /must start with the character "u"/.test(noPrefix.error),
    JSON.stringify(noPrefix));
    const plain = decodeStatus(u(new Uint8Array(64)));
    assert(plain.length === null && /Could not decode/.test(plain.error),
      JSON.stringify(plain));
  });

await check('decode is lenient: zlib (not GZIP) and "=" padding accepted',
  () => {
    // Worth knowing when a Rust list passes here: a strict GZIP /
    // URL_SAFE_NO_PAD decoder would refuse these two.
    const bytes = new Uint8Array(MIN_ENTRIES / 8);
    bytes[0] = 0x80;
    const zlibbed = decodeStatus(u(deflateSync(bytes)));
    assert(zlibbed.length === MIN_ENTRIES &&
      JSON.stringify(zlibbed.set) === '[0]', JSON.stringify(zlibbed));
    let padded;
    for(let n = 1; !padded; n++) {
      const s = u(gzipSync(new Uint8Array(n)));
      if((s.length - 1) % 4 !== 0) {
        padded = {n, s: s + '='.repeat(4 - (s.length - 1) % 4)};
      }
    }
    const r = decodeStatus(padded.s);
    assert(r.length === padded.n * 8, JSON.stringify({padded, r}));
  });

await check('status-list.mjs verify: signed list credential', () => {
  const unsigned = {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    id: 'https://status.nhs.example/lists/1',
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    validFrom: '2025-01-01T00:00:00Z',
    credentialSubject: {
      id: 'https://status.nhs.example/lists/1#list',
      type: 'BitstringStatusList',
      statusPurpose: 'revocation',
      ttl: 300000,
      encodedList: encoded
    }
  };
  const {signed} = ok('sign.mjs',
    {kind: 'credential', document: unsigned, seed: ISSUER_SEED});
  assert(signed, 'sign.mjs refused the status list credential');
  const r = statusList({op: 'verify', document: signed});
  assert(r.verified === true && r.error === null, JSON.stringify(r));

  const tampered = clone(signed);
  tampered.credentialSubject.encodedList = statusList(
    {op: 'encode', length: MIN_ENTRIES, set: [42]}).encodedList;
  const bad = statusList({op: 'verify', document: tampered});
  assert(bad.verified === false && /Invalid signature/.test(bad.error),
    JSON.stringify(bad));

  // a valid credential that is not a status list
  const other = statusList({op: 'verify', document: signedVc, contexts});
  assert(other.verified === false &&
    /BitstringStatusListCredential/.test(other.error), JSON.stringify(other));
});

await check('status-list.mjs: malformed requests exit 2', () => {
  const bad = [
    {op: 'frobnicate'},
    {op: 'decode'},
    {op: 'decode', encodedList: 42},
    {op: 'encode', length: 0, set: []},
    {op: 'encode', length: MIN_ENTRIES, set: [-1]},
    {op: 'encode', length: MIN_ENTRIES, set: [MIN_ENTRIES]},
    {op: 'encode', length: MIN_ENTRIES},
    {op: 'verify', document: 'x'}
  ];
  for(const request of bad) {
    const r = run('status-list.mjs', request);
    assert(r.status === 2,
      `${JSON.stringify(request)}: exit ${r.status} ${r.stderr}`);
  }
  assert(run('status-list.mjs', 'not json').status === 2, 'not json');
});

// --- SD-JWT VC (sd-jwt-issue.mjs, sd-jwt-verify.mjs) ------------------------

const SD_ISSUER_SEED = '33'.repeat(32);
const SD_HOLDER_SEED = '44'.repeat(32);
const SD_AUD = 'x509_san_dns:verifier.example';
const holderJwk = ok('sd-jwt-issue.mjs', {op: 'keygen', seed: SD_HOLDER_SEED}).jwk;
const issued = ok('sd-jwt-issue.mjs', {
  op: 'issue', seed: SD_ISSUER_SEED, kid: 'https://js-issuer.example#k1',
  payload: {
    iss: 'https://js-issuer.example',
    vct: 'https://staff-passport.nhs.uk/vct/role/v1',
    iat: 1790000000, cnf: {jwk: holderJwk},
    jobRole: {code: 'R8000', name: 'Clinical Practitioner Access Role'},
    activities: [{code: 'B0264', name: 'a'}, {code: 'B0370', name: 'b'}]
  },
  disclosureFrame: {_sd: ['jobRole', 'activities'], activities: {_sd: [0, 1]},
    _sd_decoy: 2}
});
const sdPresent = (frame, nonce = 'n-1') => ok('sd-jwt-issue.mjs', {
  op: 'present', sdJwt: issued.sdJwt, presentationFrame: frame,
  holderSeed: SD_HOLDER_SEED, aud: SD_AUD, nonce, iat: 1790000000
}).presented;
const sdVerify = (sdJwt, extra = {}) => ok('sd-jwt-verify.mjs',
  {sdJwt, issuerJwk: issued.issuerJwk, nonce: 'n-1', aud: SD_AUD, ...extra});

await check('sd-jwt: issued form is dc+sd-jwt, EdDSA, ends with ~', () => {
  const header = JSON.parse(Buffer.from(issued.sdJwt.split('.')[0],
    'base64url'));
  assert(header.typ === 'dc+sd-jwt' && header.alg === 'EdDSA' &&
    issued.sdJwt.endsWith('~'), JSON.stringify(header));
  const r = ok('sd-jwt-verify.mjs',
    {sdJwt: issued.sdJwt, issuerJwk: issued.issuerJwk});
  assert(r.verified === true && r.kb === null, JSON.stringify(r));
});

await check('sd-jwt: a presentation of one activity verifies with KB', () => {
  const r = sdVerify(sdPresent({activities: {1: true}}));
  assert(r.verified === true, JSON.stringify(r));
  assert(JSON.stringify(r.claims.activities) ===
    JSON.stringify([{code: 'B0370', name: 'b'}]), JSON.stringify(r.claims));
  assert(r.claims.jobRole === undefined && r.kb.aud === SD_AUD &&
    typeof r.kb.sd_hash === 'string', JSON.stringify(r));
});

await check('sd-jwt: wrong nonce, wrong aud, missing KB are refused', () => {
  const presented = sdPresent({jobRole: true});
  let r = sdVerify(presented, {nonce: 'n-2'});
  assert(r.verified === false && /Nonce/.test(r.error), JSON.stringify(r));
  r = sdVerify(presented, {aud: 'x509_san_dns:other.example'});
  assert(r.verified === false && /aud/.test(r.error), JSON.stringify(r));
  r = sdVerify(issued.sdJwt);
  assert(r.verified === false && /Key Binding JWT not exist/.test(r.error),
    JSON.stringify(r));
});

await check('sd-jwt: a tampered disclosure or another issuer key fails', () => {
  const presented = sdPresent({jobRole: true});
  const parts = presented.split('~');
  const [salt] = JSON.parse(Buffer.from(parts[1], 'base64url'));
  parts[1] = Buffer.from(JSON.stringify([salt, 'jobRole', 'forged']))
    .toString('base64url');
  let r = sdVerify(parts.join('~'));
  assert(r.verified === false, JSON.stringify(r));
  const otherJwk = ok('sd-jwt-issue.mjs', {op: 'keygen', seed: SD_HOLDER_SEED})
    .jwk;
  r = sdVerify(presented, {issuerJwk: otherJwk});
  assert(r.verified === false && /Signature/.test(r.error), JSON.stringify(r));
});

await check('sd-jwt scripts refuse malformed requests (exit 2)', () => {
  for(const request of [
    {op: 'frobnicate'}, {op: 'keygen', seed: 'xy'},
    {op: 'issue', seed: SD_ISSUER_SEED, kid: 1, payload: {},
      disclosureFrame: {}},
    {op: 'present', sdJwt: issued.sdJwt}
  ]) {
    const r = run('sd-jwt-issue.mjs', request);
    assert(r.status === 2, `${JSON.stringify(request)}: ${r.status}`);
  }
  for(const request of [
    {sdJwt: 1, issuerJwk: issued.issuerJwk},
    {sdJwt: 'x~', issuerJwk: {...issued.issuerJwk, d: 'secret'}},
    {sdJwt: 'x~', issuerJwk: issued.issuerJwk, nonce: 'n'}
  ]) {
    const r = run('sd-jwt-verify.mjs', request);
    assert(r.status === 2, `${JSON.stringify(request)}: ${r.status}`);
  }
});

await check('the vendored NHS.UK frontend is the npm package\'s, byte for byte', () => {
  const vendored = join(here, '../../service-kit/assets/nhsuk-frontend');
  const from = join(here, 'node_modules/nhsuk-frontend/dist/nhsuk');
  const files = ['nhsuk-frontend.min.css', 'nhsuk-frontend.min.js'];
  const css = readFileSync(join(from, 'nhsuk-frontend.min.css'), 'utf8');
  const images = [...css.matchAll(/url\(\/assets\/images\/([^)]*)\)/g)].map(m => m[1]);
  assert(images.length > 0, 'the CSS names its images');
  for(const image of new Set([...images, 'favicon.ico', 'favicon.svg', 'nhsuk-icon-180.png'])) {
    files.push(`images/${image}`);
  }
  for(const file of files) {
    const source = file.startsWith('images/') ?
      join(from, 'assets', file) : join(from, file);
    assert(readFileSync(join(vendored, file)).equals(readFileSync(source)),
      `${file} differs from nhsuk-frontend: run scripts/vendor-nhsuk-frontend`);
  }
});

console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
