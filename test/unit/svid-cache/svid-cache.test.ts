import { describe, expect, it } from '@jest/globals';
import { IssuanceError } from '../../../src/svid-cache/index.js';
import type { X509Context } from '../../../src/spiffe/index.js';
import { settle } from '../../fakes/fake-clock.js';
import { HOUR_MS, MINUTE_MS, cacheSetup } from './cache-setup.js';
import { podIdentity } from './identities.js';
import { StreamReader } from './stream-reader.js';

// The default cap (3 min) plus its upward jitter at random() = 0.5.
const CAP_STEP_MS = 3 * 60 * 1000 * 1.05;
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
    await clock.advance(CAP_STEP_MS); // within one step of the capped backoff
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
    expect((reader.error as Error).message).toMatch(/^x509-svid: conjur is down \(\d+ failures in a row\)|^x509-svid: conjur is down; next attempt in \d+ s/);
    // The failure is remembered while the identity is wanted; an identity nobody asks for is dropped.
    await clock.advance(16 * MINUTE_MS);
    expect(cache.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    cache.close();
  });

  const firstFailures = [
    { code: 'unavailable', given: new IssuanceError('unavailable', 'conjur answered 500 to inject_client_cert'), stepMs: 1000 },
    { code: 'confirm-failed', given: new IssuanceError('confirm-failed', 'injected certificate failed the issuer check'), stepMs: 1000 },
    { code: 'denied', given: new IssuanceError('denied', 'conjur answered 403 to inject_client_cert', { status: 403 }), stepMs: CAP_STEP_MS },
  ] as const;
  for (const c of firstFailures) {
    it(`ends waiting subscribers with '${c.code}', answers reconnects at once without issuing, and issues again after ${c.stepMs} ms`, async () => {
      const { cache, issuer, clock } = cacheSetup();
      issuer.failNext(c.given);
      const readers = [1, 2].map(() => new StreamReader((s) => cache.subscribe(podIdentity(1), s)));
      await settle();
      expect(readers.map((r) => r.errorCode)).toEqual([c.code, c.code]);
      const reconnect = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
      await settle();
      expect(reconnect.errorCode).toBe(c.code);
      expect((reconnect.error as Error).message).toMatch(new RegExp(`^x509-svid: ${c.given.message}; next attempt in \\d+ s \\(at \\d{4}-`));
      expect(issuer.calls).toBe(1);
      await clock.advance(c.stepMs - 10);
      expect(issuer.calls).toBe(1);
      await clock.advance(10); // the retry is made when due, because a workload asked meanwhile
      expect(issuer.calls).toBe(2);
      const retry = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
      await settle();
      expect(retry.values).toHaveLength(1);
      expect(issuer.calls).toBe(2);
      cache.close();
    });
  }

  it('makes no attempt when the backoff ends if no workload asked meanwhile', async () => {
    const { cache, issuer, clock } = cacheSetup();
    issuer.failNext(new IssuanceError('unavailable', 'conjur is down'));
    const reader = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    expect(reader.errorCode).toBe('unavailable');
    await clock.advance(10 * MINUTE_MS);
    expect(issuer.calls).toBe(1);
    cache.close();
  });

  it('answers Unavailable to repeated empty 401s, then PermissionDenied after refusalsBeforeDenied in a row', async () => {
    const { cache, issuer, clock } = cacheSetup();
    issuer.failAlways(new IssuanceError('denied', 'conjur answered 401 to inject_client_cert', { status: 401 }));
    const seen: string[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const reader = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
      await settle();
      seen.push(`${String(reader.errorCode)} ${(reader.error as Error).message.replace(/; next attempt.*/, '')}`);
      await clock.advance(CAP_STEP_MS);
    }
    const refusal = 'x509-svid: conjur answered 401 to inject_client_cert';
    expect(seen).toEqual([
      `unavailable ${refusal}`,
      `unavailable ${refusal} (2 times in a row)`,
      `unavailable ${refusal} (3 times in a row)`,
      `denied ${refusal} (4 times in a row)`,
      `denied ${refusal} (5 times in a row)`,
    ]);
    expect(issuer.calls).toBe(5);
    cache.close();
  });

  it('costs the issuer at most 8 calls in 35 s and one per cap interval after that for an identity that fails forever, whatever the reconnect pace', async () => {
    const { cache, issuer, clock } = cacheSetup({ failureBackoff: { initialMs: 1000, maxMs: 3 * MINUTE_MS, refusalsBeforeDenied: 4 } });
    issuer.failAlways(new IssuanceError('unavailable', 'conjur answered 500 to inject_client_cert'));
    const reconnectUntil = async (until: number) => {
      while (clock.now() < until) {
        const reader = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
        await settle();
        expect(reader.errorCode).toBe('unavailable');
        await clock.advance(100); // a client reconnecting 10 times a second
      }
    };
    const start = clock.now();
    await reconnectUntil(start + 35_000);
    const firstWindow = issuer.calls;
    await reconnectUntil(start + 35_000 + 10 * MINUTE_MS);
    expect(firstWindow).toBeLessThanOrEqual(8);
    expect(firstWindow).toBeGreaterThanOrEqual(4);
    expect(issuer.calls - firstWindow).toBeLessThanOrEqual(Math.ceil((10 * MINUTE_MS) / (3 * MINUTE_MS)) + 1);
    cache.close();
  });

  it('keeps serving a valid SVID when a renewal is refused (403), and renews once the refusal is lifted', async () => {
    const { cache, issuer, clock } = cacheSetup();
    const reader = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    issuer.failNext(new IssuanceError('denied', 'conjur answered 403 to inject_client_cert', { status: 403 }));
    await clock.advance(HOUR_MS / 2);
    expect(reader.done).toBe(false);
    const late = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    expect(leafOf(late.last)).toEqual(leafOf(reader.last));
    await clock.advance(CAP_STEP_MS);
    expect(reader.values).toHaveLength(2);
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

describe('SvidCache failure messages', () => {
  it('tells the workload which file was refused, never where the node keeps pod volumes', async () => {
    const { cache, issuer } = cacheSetup();
    issuer.failNext(new IssuanceError('unavailable', 'injected certificate did not arrive within 3000 ms; /var/lib/kubelet/pods/uid/volumes/kubernetes.io~empty-dir/ssl/client.pem was refused: it is a fifo'));
    const reader = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    expect((reader.error as Error).message).toMatch(/^x509-svid: injected certificate did not arrive within 3000 ms; client\.pem was refused: it is a fifo; next attempt in 1 s/);
    cache.close();
  });

  it('keeps SPIFFE IDs in a message whole', async () => {
    const { cache, issuer } = cacheSetup();
    issuer.failNext(new IssuanceError('confirm-failed', 'certificate URI SANs are [spiffe://example.org/ns/a-impostor], expected spiffe://example.org/ns/a'));
    const reader = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    expect((reader.error as Error).message).toContain('[spiffe://example.org/ns/a-impostor], expected spiffe://example.org/ns/a;');
    cache.close();
  });
});
