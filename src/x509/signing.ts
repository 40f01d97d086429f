import { createHash, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { AlgorithmIdentifier, PublicKeyInfo } from 'pkijs';
import { keyTypeOf, toSpkiDer } from './key-pair.js';

// Signing goes through node:crypto rather than pkijs' WebCrypto path: KeyObjects stay KeyObjects
// (Node 20 cannot turn them into CryptoKeys), it is synchronous, and ECDSA signatures come out
// DER-encoded exactly as X.509 and PKCS#10 carry them.

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';

export function signatureAlgorithmFor(privateKey: KeyObject): AlgorithmIdentifier {
  // RFC 5758: ECDSA algorithm identifiers have absent parameters; RFC 4055: RSA has NULL.
  return keyTypeOf(privateKey) === 'ec-p256'
    ? new AlgorithmIdentifier({ algorithmId: ECDSA_WITH_SHA256 })
    : new AlgorithmIdentifier({ algorithmId: SHA256_WITH_RSA, algorithmParams: new asn1js.Null() });
}

export function signBytes(privateKey: KeyObject, tbs: Uint8Array): asn1js.BitString {
  return new asn1js.BitString({ valueHex: sign('sha256', tbs, privateKey) });
}

export function publicKeyInfoOf(publicKey: KeyObject): PublicKeyInfo {
  return PublicKeyInfo.fromBER(toSpkiDer(publicKey));
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bit string. */
export function keyIdentifierOf(publicKey: KeyObject): Buffer {
  const bits = publicKeyInfoOf(publicKey).subjectPublicKey.valueBlock.valueHexView;
  return createHash('sha1').update(bits).digest();
}
