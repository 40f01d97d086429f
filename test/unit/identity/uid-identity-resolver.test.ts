import { describe, expect, it } from '@jest/globals';
import type { PodFacts, UnixFacts } from '../../../src/attestation/index.js';
import { UidIdentityResolver } from '../../../src/identity/index.js';
import { TrustDomain } from '../../../src/spiffe/index.js';

const resolver = new UidIdentityResolver({ trustDomain: TrustDomain.parse('dev.local') });

describe('UidIdentityResolver', () => {
  const cases: { name: string; uid: number; id: string }[] = [
    { name: 'gives a user process spiffe://<td>/uid/<uid>', uid: 1000, id: 'spiffe://dev.local/uid/1000' },
    { name: 'gives root uid 0 its own ID', uid: 0, id: 'spiffe://dev.local/uid/0' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const facts: UnixFacts = { kind: 'unix', process: { pid: 7, uid: c.uid, gid: 7, exePath: '/bin/app' } };
      const identity = resolver.resolve(facts);
      expect(identity?.spiffeId.toString()).toBe(c.id);
      expect(identity).toMatchObject({ key: `uid:${c.uid}`, hint: `uid/${c.uid}`, facts });
      expect(identity?.conjurLogin).toBeUndefined();
    });
  }

  it('shares one identity key between processes of the same uid', () => {
    const a = resolver.resolve({ kind: 'unix', process: { pid: 1, uid: 5, gid: 5 } });
    const b = resolver.resolve({ kind: 'unix', process: { pid: 2, uid: 5, gid: 9 } });
    expect(a?.key).toBe(b?.key);
  });

  it('gives pod facts no identity', () => {
    const pod = { kind: 'kubernetes', process: { pid: 1, uid: 0, gid: 0 } } as unknown as PodFacts;
    expect(resolver.resolve(pod)).toBeUndefined();
  });
});
