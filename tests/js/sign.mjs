// sign.mjs: sign a VC or VP with Digital Bazaar's JS stack (eddsa-rdfc-2022,
// Ed25519 Multikey, did:key), or just tell the did:key for a seed.
//
// stdin:  {"kind": "credential"|"presentation", "document": {...unsigned...},
//          "challenge"?: str (required for presentations), "domain"?: str,
//          "seed"?: 64 hex digits, "contexts"?: {...}, "didDocuments"?: {...}}
//     or  {"kind": "keygen", "seed": 64 hex digits}
// stdout: {"signed": {...}, "did": "did:key:z6Mk...",
//          "verificationMethod": "did:key:z6Mk...#z6Mk..."}
//     or, when the JS stack refuses to sign (e.g. an undefined term):
//          {"signed": null, "did": ..., "verificationMethod": ...,
//           "error": str}
//     for keygen: {"did": ..., "verificationMethod": ...}
// Exit 0 on any of these; 2 for a malformed request.
import * as vc from '@digitalbazaar/vc';
import {
  RequestError, describeError, isPlainObject, main, makeDidKey,
  makeDocumentLoader, signingSuite
} from './lib.mjs';

await main(async request => {
  const {kind, document, challenge, domain, seed} = request;
  if(kind === 'keygen' && seed === undefined) {
    throw new RequestError('keygen needs a "seed"');
  }
  const {keyPair, did, verificationMethod} = await makeDidKey({seed});
  if(kind === 'keygen') {
    return {did, verificationMethod};
  }

  if(!isPlainObject(document)) {
    throw new RequestError('"document" must be a JSON object');
  }
  // work on a copy; the request's document is not ours to change
  const unsigned = structuredClone(document);
  const documentLoader = makeDocumentLoader(request);
  const suite = signingSuite(keyPair);

  let signed;
  try {
    if(kind === 'credential') {
      // The issuer is always the signing key's DID: CredentialIssuancePurpose
      // requires issuer == verification method controller. An issuer object
      // keeps its other properties (e.g. name).
      if(isPlainObject(unsigned.issuer)) {
        unsigned.issuer = {...unsigned.issuer, id: did};
      } else {
        unsigned.issuer = did;
      }
      signed = await vc.issue({credential: unsigned, suite, documentLoader});
    } else if(kind === 'presentation') {
      if(typeof challenge !== 'string') {
        throw new RequestError('a presentation needs a "challenge" string');
      }
      if(domain !== undefined && typeof domain !== 'string') {
        throw new RequestError('"domain" must be a string');
      }
      if(unsigned.holder === undefined) {
        unsigned.holder = did;
      }
      // proofPurpose "authentication" with challenge and domain; the
      // embedded credentials are left untouched
      signed = await vc.signPresentation({
        presentation: unsigned, suite, challenge, domain, documentLoader
      });
    } else {
      throw new RequestError(
        '"kind" must be "credential", "presentation" or "keygen"');
    }
  } catch(error) {
    if(error instanceof RequestError) {
      throw error;
    }
    return {signed: null, did, verificationMethod, error: describeError(error)};
  }
  return {signed, did, verificationMethod};
});
