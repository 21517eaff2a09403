// verify.mjs: verify one VC or VP with Digital Bazaar's JS stack.
//
// stdin:  {"kind": "credential"|"presentation", "document": {...},
//          "challenge"?: str (required for presentations), "domain"?: str,
//          "issuerBinding"?: bool (default true), "now"?: ISO date-time,
//          "contexts"?: {url: context}, "didDocuments"?: {did: DID document}}
// stdout: {"verified": bool, "error": str|null}
// Exit 0 whether or not the document verifies; 2 for a malformed request.
import {main, verifyDocument, verifyOptionsFrom} from './lib.mjs';

await main(async request => verifyDocument({
  ...verifyOptionsFrom(request),
  kind: request.kind,
  document: request.document,
  challenge: request.challenge,
  domain: request.domain
}));
