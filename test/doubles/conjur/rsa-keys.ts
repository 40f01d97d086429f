import { generateKeyPair } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

// RSA-2048 keys cost ~150 ms each, and every Conjur double needs two (authn-k8s CA, token
// signing). They are made off the main thread and shared within a test process by purpose
// (`ca:<account>:<svc>`, `signing:<account>`, `other-ca`): two doubles for the same account then
// trust each other's tokens, as two Conjur servers of one cluster would.

const keys = new Map<string, Promise<KeyObject>>();

export function rsaKey(purpose: string, fresh = false): Promise<KeyObject> {
  const cached = fresh ? undefined : keys.get(purpose);
  if (cached) return cached;
  const key = new Promise<KeyObject>((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 2048 }, (error, _publicKey, privateKey) => (error ? reject(error) : resolve(privateKey)));
  });
  if (!fresh) keys.set(purpose, key);
  return key;
}
