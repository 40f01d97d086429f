import { generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { X509Error } from './x509-error.js';

/** The key types the agent issues. P-256 is the default: RSA-2048 costs ~150 ms a key. */
export type KeyType = 'ec-p256' | 'rsa-2048';

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export function generateKeyPair(type: KeyType): KeyPair {
  switch (type) {
    case 'ec-p256':
      return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    case 'rsa-2048':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
  }
}

/** Unencrypted PKCS#8 DER, the encoding the Workload API's `x509_svid_key` requires. */
export function toPkcs8Der(privateKey: KeyObject): Buffer {
  return privateKey.export({ type: 'pkcs8', format: 'der' });
}

/** SubjectPublicKeyInfo DER: the form in which two public keys are compared byte for byte. */
export function toSpkiDer(publicKey: KeyObject): Buffer {
  return publicKey.export({ type: 'spki', format: 'der' });
}

/** The key type of a key we sign with; anything else is refused rather than signed wrongly. */
export function keyTypeOf(key: KeyObject): KeyType {
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ec-p256';
  if (key.asymmetricKeyType === 'rsa') return 'rsa-2048';
  throw new X509Error('unsupported', `key type ${key.asymmetricKeyType ?? 'unknown'} is not supported`);
}
