import { describe, expect, it } from '@jest/globals';
import { LatestValue } from '../../../src/async/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { TrustDomain, bundleSetOf } from '../../../src/spiffe/index.js';
import type { BundleSet } from '../../../src/spiffe/index.js';
import { SvidCache } from '../../../src/svid-cache/index.js';
import type { BundleSource } from '../../../src/svid-cache/index.js';
import type { SvidSubscriptions, TokenSubscriptions } from '../../../src/workload-api/ports.js';
import { createCertificateAuthority } from '../../../src/x509/index.js';
import { settle } from '../../fakes/fake-clock.js';
import { HOUR_MS, MINUTE_MS, cacheSetup } from './cache-setup.js';
import { podIdentity } from './identities.js';
import { StreamReader } from './stream-reader.js';

describe('SvidCache lifecycle', () => {
  it('serves as the Workload API SVID and token subscriptions', () => {
    const { cache } = cacheSetup();
    const ports: SvidSubscriptions & TokenSubscriptions = cache;
    expect(typeof ports.subscribeToken).toBe('function');
    cache.close();
  });

  it('follows a bundle source again after it fails, keeping the last bundles meanwhile', async () => {
    const { clock, issuer } = cacheSetup();
    const bundles = bundleSetOf({ trustDomain: TrustDomain.parse('example.org'), authorities: [issuer.ca.certDer] });
    let value = new LatestValue<BundleSet>(bundles);
    let subscriptions = 0;
    const flaky: BundleSource = {
      subscribe(signal) {
        subscriptions++;
        if (subscriptions === 2) throw new Error('bundle file vanished');
        return value.subscribe(signal);
      },
    };
    const cache = new SvidCache({ issuer, bundles: flaky, clock, logger: silentLogger, random: () => 0.5 });
    const reader = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    const ended = value;
    value = new LatestValue<BundleSet>(bundles);
    ended.fail(new Error('watch ended'));
    await settle();
    await clock.advance(10_000);
    expect(subscriptions).toBe(3);
    expect(reader.done).toBe(false);
    expect(reader.values).toHaveLength(1);
    cache.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it('evicts key, certificate and token at once, ending the streams with evicted', async () => {
    const { cache, clock } = cacheSetup();
    const x509 = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    const token = new StreamReader((s) => cache.subscribeToken(podIdentity(1), s));
    const other = new StreamReader((s) => cache.subscribe(podIdentity(2), s));
    await settle();
    expect(token.values).toHaveLength(1);
    expect(cache.evict('pod-1', 'deleted')).toBe(true);
    await settle();
    expect(x509.errorCode).toBe('evicted');
    expect(token.errorCode).toBe('evicted');
    expect(other.done).toBe(false);
    expect(cache.size).toBe(1);
    expect(cache.evict('pod-1', 'deleted')).toBe(false);
    await other.stop();
    cache.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it('aborts an issuance in flight when its key is evicted and never serves its result', async () => {
    const { cache, issuer } = cacheSetup();
    issuer.gate.close();
    const reader = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    cache.evict('pod-1', 'replaced');
    await settle();
    expect(reader.errorCode).toBe('evicted');
    expect(issuer.inFlight).toBe(0);
    issuer.gate.open();
    const again = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    expect(again.values).toHaveLength(1);
    expect(issuer.calls).toBe(2);
    cache.close();
  });

  // The bound on Conjur requests lives in the Conjur client (a confirm wait holds no slot), so
  // one identity's slow issuance never queues another identity's behind it in the cache.
  it('issues for 20 identities at once without queueing one behind another, then serves them all', async () => {
    const { cache, issuer } = cacheSetup();
    issuer.gate.close();
    const readers = Array.from({ length: 20 }, (_, i) => new StreamReader((s) => cache.subscribe(podIdentity(i), s)));
    await settle();
    expect(issuer.inFlight).toBe(20);
    issuer.gate.open();
    await settle(20);
    expect(issuer.maxInFlight).toBe(20);
    expect(issuer.calls).toBe(20);
    expect(readers.every((r) => r.values.length === 1)).toBe(true);
    cache.close();
  });

  it('pushes a changed bundle to every X.509 subscriber and every bundle subscriber', async () => {
    const { cache, bundles } = cacheSetup();
    const x509 = [1, 2, 3].map((n) => new StreamReader((s) => cache.subscribe(podIdentity(n), s)));
    const bundleReaders = [1, 2].map(() => new StreamReader((s) => cache.subscribeBundles(s)));
    await settle();
    const next = createCertificateAuthority({ commonName: 'next root', validForMs: HOUR_MS }).certDer;
    bundles.set(bundleSetOf({ trustDomain: TrustDomain.parse('example.org'), authorities: [next] }));
    await settle();
    for (const r of x509) {
      expect(r.values).toHaveLength(2);
      expect(r.last?.bundles.get('example.org')?.authorities).toEqual([next]);
      expect(r.last?.svids[0]).toBe(r.values[0]?.svids[0]);
    }
    for (const r of bundleReaders) expect(r.last?.get('example.org')?.authorities).toEqual([next]);
    cache.close();
  });

  it('does not push anything when the bundle source repeats the same bundles', async () => {
    const { cache, bundles, issuer } = cacheSetup();
    const reader = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    bundles.set(bundleSetOf({ trustDomain: TrustDomain.parse('example.org'), authorities: [Buffer.from(issuer.ca.certDer)] }));
    await settle();
    expect(reader.values).toHaveLength(1);
    cache.close();
  });

  it('leaves no timers, subscribers or identities after close and ends every stream', async () => {
    const { cache, clock, issuer } = cacheSetup();
    const readers = [
      new StreamReader((s) => cache.subscribe(podIdentity(1), s)),
      new StreamReader((s) => cache.subscribeToken(podIdentity(1), s)),
      new StreamReader((s) => cache.subscribeBundles(s)),
    ];
    await settle();
    issuer.gate.close();
    const waiting = new StreamReader((s) => cache.subscribe(podIdentity(2), s));
    await settle();
    expect(clock.pendingTimers).toBeGreaterThan(0);
    cache.close();
    await settle();
    expect([...readers, waiting].map((r) => r.errorCode)).toEqual(['unavailable', 'unavailable', 'unavailable', 'unavailable']);
    expect(clock.pendingTimers).toBe(0);
    expect(cache.subscriberCount).toBe(0);
    expect(cache.size).toBe(0);
    expect(issuer.inFlight).toBe(0);
    const late = new StreamReader((s) => cache.subscribe(podIdentity(3), s));
    await settle();
    expect(late.errorCode).toBe('unavailable');
  });

  it('keeps an identity with no subscribers until the idle timeout, then drops it with its timers', async () => {
    const { cache, clock, issuer } = cacheSetup({ idleTimeoutMs: 10 * MINUTE_MS });
    const reader = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    await reader.stop();
    await clock.advance(9 * MINUTE_MS);
    const back = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    expect(back.values).toHaveLength(1);
    expect(issuer.calls).toBe(1);
    await back.stop();
    await clock.advance(10 * MINUTE_MS);
    expect(cache.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    cache.close();
  });
});
