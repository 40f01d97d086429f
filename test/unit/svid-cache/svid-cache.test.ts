import { describe, expect, it } from '@jest/globals';
import { IssuanceError } from '../../../src/svid-cache/index.js';
import type { X509Context } from '../../../src/spiffe/index.js';
import { settle } from '../../fakes/fake-clock.js';
import { HOUR_MS, MINUTE_MS, cacheSetup } from './cache-setup.js';
import { podIdentity } from './identities.js';
import { StreamReader } from './stream-reader.js';

const leafOf = (context: X509Context | undefined) => context?.svids[0]?.certChain[0];

describe('SvidCache issuance', () => {
  it('issues once for 50 subscribers of one identity and gives them all the same SVID', async () => {
    const { cache, issuer } = cacheSetup();
    issuer.gate.close();
    const readers = Array.from({ length: 50 }, () => new StreamReader((s) => cache.subscribe(podIdentity(1), s)));
    await settle();
    expect(issuer.gate.waiting).toBe(1);
    issuer.gate.open();
    await settle();
    expect(issuer.calls).toBe(1);
    expect(readers.every((r) => r.values.length === 1 && leafOf(r.last)?.equals(leafOf(readers[0]!.last)!))).toBe(true);
    expect(readers[0]!.last?.bundles.get('example.org')?.authorities).toEqual([issuer.ca.certDer]);
    expect(cache.subscriberCount).toBe(50);
    await Promise.all(readers.map((r) => r.stop()));
    expect(cache.subscriberCount).toBe(0);
    cache.close();
  });

  it('gives a later subscriber the cached SVID at once without issuing again', async () => {
    const { cache, issuer } = cacheSetup();
    const first = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    await first.stop();
    const second = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    expect(issuer.calls).toBe(1);
    expect(leafOf(second.last)).toEqual(leafOf(first.last));
    cache.close();
  });

  it('renews at half the lifetime and pushes the new SVID to every subscriber', async () => {
    const { cache, issuer, clock } = cacheSetup();
    const readers = [1, 2].map(() => new StreamReader((s) => cache.subscribe(podIdentity(1), s)));
    await settle();
    await clock.advance(HOUR_MS / 2 - 1000);
    expect(issuer.calls).toBe(1);
    await clock.advance(1000);
    expect(issuer.calls).toBe(2);
    for (const r of readers) {
      expect(r.values).toHaveLength(2);
      expect(leafOf(r.values[1])).not.toEqual(leafOf(r.values[0]));
    }
    cache.close();
  });

  it('keeps serving the current SVID until the renewal is issued', async () => {
    const { cache, issuer, clock } = cacheSetup();
    const reader = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    issuer.gate.close();
    await clock.advance(HOUR_MS / 2 + MINUTE_MS);
    expect(issuer.gate.waiting).toBe(1);
    const late = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    expect(reader.values).toHaveLength(1);
    expect(leafOf(late.last)).toEqual(leafOf(reader.last));
    issuer.gate.open();
    await settle();
    expect(reader.values).toHaveLength(2);
    expect(late.values).toHaveLength(2);
    cache.close();
  });

  it('keeps serving a valid SVID while the issuer is down, retrying with backoff, and rotates once it is back', async () => {
    const { cache, issuer, clock } = cacheSetup();
    const reader = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    issuer.failAlways(new IssuanceError('unavailable', 'conjur is down'));
    await clock.advance(HOUR_MS / 2 + 20 * MINUTE_MS);
    expect(reader.done).toBe(false);
    expect(reader.values).toHaveLength(1);
    expect(issuer.calls).toBeGreaterThan(5);
    expect(issuer.calls).toBeLessThan(200);
    const late = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    expect(leafOf(late.last)).toEqual(leafOf(reader.last));
    issuer.recover();
    await clock.advance(10_000);
    expect(reader.values).toHaveLength(2);
    cache.close();
  });

  it('ends the stream with unavailable when the SVID expires while the issuer is still down', async () => {
    const { cache, issuer, clock } = cacheSetup();
    const reader = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    issuer.failAlways(new IssuanceError('unavailable', 'conjur is down'));
    await clock.advance(HOUR_MS + 1000);
    expect(reader.errorCode).toBe('unavailable');
    expect(cache.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    cache.close();
  });

  for (const code of ['unavailable', 'confirm-failed', 'denied'] as const) {
    it(`ends waiting subscribers with '${code}' when the first issuance fails that way, and tries again for the next`, async () => {
      const { cache, issuer } = cacheSetup();
      issuer.failNext(new IssuanceError(code, 'no'));
      const readers = [1, 2].map(() => new StreamReader((s) => cache.subscribe(podIdentity(1), s)));
      await settle();
      expect(readers.map((r) => r.errorCode)).toEqual([code, code]);
      const retry = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
      await settle();
      expect(retry.values).toHaveLength(1);
      expect(issuer.calls).toBe(2);
      cache.close();
    });
  }

  it('ends open streams with denied when a renewal is denied', async () => {
    const { cache, issuer, clock } = cacheSetup();
    const reader = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    issuer.failNext(new IssuanceError('denied', 'host was removed from the policy'));
    await clock.advance(HOUR_MS / 2);
    expect(reader.errorCode).toBe('denied');
    expect(cache.size).toBe(0);
    cache.close();
  });

  it('treats an issuer error of another kind as unavailable', async () => {
    const { cache, issuer } = cacheSetup();
    issuer.failNext(new Error('socket hang up'));
    const reader = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    expect(reader.error).toBeInstanceOf(IssuanceError);
    expect(reader.errorCode).toBe('unavailable');
    cache.close();
  });

  it('reports the earliest notAfter of the SVIDs it holds', async () => {
    const { cache, clock } = cacheSetup();
    expect(cache.earliestNotAfter).toBeUndefined();
    const a = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    await clock.advance(MINUTE_MS);
    const b = new StreamReader((s) => cache.subscribe(podIdentity(2), s));
    await settle();
    expect(cache.earliestNotAfter).toEqual(a.last?.svids[0]?.notAfter);
    expect(cache.earliestNotAfter).not.toEqual(b.last?.svids[0]?.notAfter);
    cache.close();
  });
});
