// status-list.mjs: W3C Bitstring Status List v1.0 with Digital Bazaar's
// @digitalbazaar/vc-bitstring-status-list (which uses @digitalbazaar/bitstring:
// pako GZIP, base64url-universal, index 0 = left-most bit, mask 0x80 >> i%8).
//
// stdin:  {"op": "decode", "encodedList": "u..."}
// stdout: {"length": <bits>, "set": [<indices of 1 bits, ascending>]}
//     or, when Digital Bazaar's decoder refuses the list:
//         {"length": null, "set": null, "error": str}
//
// stdin:  {"op": "encode", "length": <bits, integer >= 1>, "set": [indices]}
// stdout: {"encodedList": "u..."}
//
// stdin:  {"op": "verify", "document": {...signed BitstringStatusListCredential},
//          "issuerBinding"?: bool (default true), "now"?: ISO date-time,
//          "contexts"?: {...}, "didDocuments"?: {...}}
// stdout: {"verified": bool, "error": str|null}
//
// Exit 0 on any of these; 2 for a malformed request.
//
// Neither the library nor this script enforces the REC's minimum of 131,072
// entries: decode reports the length it found (a multiple of 8, since the
// list travels as bytes) and the caller decides. encode accepts any length;
// one that is not a multiple of 8 decodes 1-7 bits longer.
import {
  createList, decodeList
} from '@digitalbazaar/vc-bitstring-status-list';
import {
  RequestError, describeError, isPlainObject, main, verifyDocument,
  verifyOptionsFrom
} from './lib.mjs';

async function decode({encodedList}) {
  if(typeof encodedList !== 'string') {
    throw new RequestError('"encodedList" must be a string');
  }
  let list;
  try {
    list = await decodeList({encodedList});
  } catch(error) {
    return {length: null, set: null, error: describeError(error)};
  }
  // Ask the library for every bit (its getStatus does the bit order), not
  // our own reading of the bytes.
  const set = [];
  for(let i = 0; i < list.length; i++) {
    if(list.getStatus(i)) {
      set.push(i);
    }
  }
  return {length: list.length, set};
}

async function encode({length, set}) {
  if(!Number.isSafeInteger(length) || length < 1) {
    throw new RequestError('"length" must be an integer >= 1');
  }
  if(!Array.isArray(set) ||
    !set.every(i => Number.isSafeInteger(i) && i >= 0)) {
    throw new RequestError(
      '"set" must be an array of integers >= 0 (the indices to set to 1)');
  }
  const list = await createList({length});
  for(const index of set) {
    try {
      list.setStatus(index, true);
    } catch(error) {
      // e.g. 'Position "131072" is out of range "0-131071".'
      throw new RequestError(`"set": ${error.message}`);
    }
  }
  // The library's encode() already adds the multibase prefix 'u'.
  return {encodedList: await list.encode()};
}

// Verifies the proof like verify.mjs does for a credential, then makes the
// checks Digital Bazaar's checkStatus makes on a status list credential it
// has verified: the types, and that encodedList decodes.
async function verify(request) {
  const {document} = request;
  if(!isPlainObject(document)) {
    throw new RequestError('"document" must be a JSON object');
  }
  const result = await verifyDocument({
    ...verifyOptionsFrom(request), kind: 'credential', document
  });
  if(!result.verified) {
    return result;
  }
  const fail = error => ({verified: false, error});
  const types = [].concat(document.type ?? []);
  if(!types.includes('BitstringStatusListCredential')) {
    return fail('type does not include "BitstringStatusListCredential"');
  }
  const subject = document.credentialSubject;
  if(!isPlainObject(subject) || subject.type !== 'BitstringStatusList') {
    return fail('credentialSubject must be one object of type ' +
      '"BitstringStatusList"');
  }
  try {
    await decodeList({encodedList: subject.encodedList});
  } catch(error) {
    return fail(`encodedList: ${describeError(error)}`);
  }
  return {verified: true, error: null};
}

await main(async request => {
  switch(request.op) {
    case 'decode':
      return decode(request);
    case 'encode':
      return encode(request);
    case 'verify':
      return verify(request);
    default:
      throw new RequestError('"op" must be "decode", "encode" or "verify"');
  }
});
