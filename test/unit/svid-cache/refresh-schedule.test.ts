import { describe, expect, it } from '@jest/globals';
import { refreshAt, tokenRefreshAt } from '../../../src/svid-cache/index.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const DAY_MS = 24 * 60 * 60 * 1000;
const conjurCert = { notBefore: new Date(T0), notAfter: new Date(T0 + 3 * DAY_MS) };
const options = { renewAtFraction: 0.5, renewJitterFraction: 0.1 };

describe('refreshAt', () => {
  const cases = [
    { name: 'renews a 3-day certificate at half-life when the jitter draw is in the middle', random: 0.5, expect: T0 + 1.5 * DAY_MS },
    { name: 'renews up to 10 % of the lifetime earlier', random: 0, expect: T0 + 1.2 * DAY_MS },
    { name: 'renews up to 10 % of the lifetime later', random: 1, expect: T0 + 1.8 * DAY_MS },
  ];
  for (const c of cases) it(c.name, () => expect(refreshAt(conjurCert, options, () => c.random)).toBeCloseTo(c.expect, -1));

  it('never schedules past notAfter or before notBefore, whatever the options', () => {
    expect(refreshAt(conjurCert, { renewAtFraction: 1, renewJitterFraction: 0.5 }, () => 1)).toBe(conjurCert.notAfter.getTime());
    expect(refreshAt(conjurCert, { renewAtFraction: 0, renewJitterFraction: 0.5 }, () => 0)).toBe(T0);
  });
});

describe('tokenRefreshAt', () => {
  it('refreshes an 8-minute Conjur token after 6 minutes with a 2-minute margin', () => {
    expect(tokenRefreshAt({ raw: Buffer.alloc(0), login: 'x', issuedAt: T0, expiresAt: T0 + 8 * 60_000 }, 120_000)).toBe(T0 + 6 * 60_000);
  });

  it('waits at least half the lifetime of a token shorter than the margin', () => {
    expect(tokenRefreshAt({ raw: Buffer.alloc(0), login: 'x', issuedAt: T0, expiresAt: T0 + 60_000 }, 120_000)).toBe(T0 + 30_000);
  });
});
