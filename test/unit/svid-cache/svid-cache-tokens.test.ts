import { describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../../src/log/index.js';
import { IssuanceError, SvidCache } from '../../../src/svid-cache/index.js';
import { settle } from '../../fakes/fake-clock.js';
import { MINUTE_MS, cacheSetup } from './cache-setup.js';
import { podIdentity } from './identities.js';
import { StreamReader } from './stream-reader.js';

describe('SvidCache tokens', () => {
  it('issues the SVID first, then fetches one token with it for many subscribers', async () => {
    const { cache, issuer, tokens } = cacheSetup();
    tokens.gate.close();
    const readers = Array.from({ length: 10 }, () => new StreamReader((s) => cache.subscribeToken(podIdentity(1), s)));
    await settle();
    tokens.gate.open();
    await settle();
    expect(issuer.calls).toBe(1);
    expect(tokens.calls).toBe(1);
    expect(readers.every((r) => r.values.length === 1 && r.last?.login === 'host/apps/pod-1')).toBe(true);
    expect(tokens.svidsUsed[0]?.id.toString()).toBe('spiffe://example.org/ns/apps/pod/pod-1');
    cache.close();
  });

  it('refreshes two minutes before expiry only while someone subscribes', async () => {
    const { cache, tokens, clock } = cacheSetup();
    const reader = new StreamReader((s) => cache.subscribeToken(podIdentity(1), s));
    await settle();
    await clock.advance(6 * MINUTE_MS - 1);
    expect(tokens.calls).toBe(1);
    await clock.advance(1);
    expect(tokens.calls).toBe(2);
    expect(reader.values).toHaveLength(2);
    await reader.stop();
    await clock.advance(30 * MINUTE_MS);
    expect(tokens.calls).toBe(2);
    cache.close();
  });

  it('serves a cached token that is not due for refresh without fetching', async () => {
    const { cache, tokens, clock } = cacheSetup();
    const first = new StreamReader((s) => cache.subscribeToken(podIdentity(1), s));
    await settle();
    await first.stop();
    await clock.advance(MINUTE_MS);
    const second = new StreamReader((s) => cache.subscribeToken(podIdentity(1), s));
    await settle();
    expect(tokens.calls).toBe(1);
    expect(second.last).toBe(first.last);
    cache.close();
  });

  it('keeps a still-valid token when a refresh fails, and ends the stream with unavailable once it has expired', async () => {
    const { cache, tokens, clock } = cacheSetup();
    const reader = new StreamReader((s) => cache.subscribeToken(podIdentity(1), s));
    const x509 = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    tokens.failAlways(new IssuanceError('unavailable', 'conjur is down'));
    await clock.advance(7 * MINUTE_MS);
    expect(reader.done).toBe(false);
    expect(reader.values).toHaveLength(1);
    await clock.advance(MINUTE_MS);
    expect(reader.errorCode).toBe('unavailable');
    expect(x509.done).toBe(false);
    tokens.recover();
    // While the backoff runs a reconnect gets the failure at once; after it, a fresh token.
    const early = new StreamReader((s) => cache.subscribeToken(podIdentity(1), s));
    await settle();
    expect((early.error as Error).message).toMatch(/^access token: conjur is down; next attempt in \d+ s/);
    await clock.advance(3.2 * MINUTE_MS);
    const again = new StreamReader((s) => cache.subscribeToken(podIdentity(1), s));
    await settle();
    expect(again.values).toHaveLength(1);
    cache.close();
  });

  it('keeps a still-valid token when a refresh is refused, and a token refusal never ends the X.509 stream', async () => {
    const { cache, tokens, clock } = cacheSetup();
    const reader = new StreamReader((s) => cache.subscribeToken(podIdentity(1), s));
    const x509 = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    tokens.failAlways(new IssuanceError('denied', 'conjur answered 403 to authenticate', { status: 403 }));
    await clock.advance(7 * MINUTE_MS);
    expect(reader.done).toBe(false);
    expect(reader.values).toHaveLength(1);
    await clock.advance(MINUTE_MS);
    expect(reader.errorCode).toBe('denied');
    expect((reader.error as Error).message).toMatch(/^access token: conjur answered 403 to authenticate; next attempt/);
    expect(x509.done).toBe(false);
    cache.close();
  });

  it('shares the failed SVID issuance with token subscribers: a token reconnect gets the failure at once', async () => {
    const { cache, issuer, tokens } = cacheSetup();
    issuer.failNext(new IssuanceError('unavailable', 'conjur answered 500 to inject_client_cert'));
    const x509 = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    const token = new StreamReader((s) => cache.subscribeToken(podIdentity(1), s));
    await settle();
    const reconnect = new StreamReader((s) => cache.subscribeToken(podIdentity(1), s));
    await settle();
    expect([x509.errorCode, token.errorCode, reconnect.errorCode]).toEqual(['unavailable', 'unavailable', 'unavailable']);
    expect((reconnect.error as Error).message).toMatch(/^x509-svid: conjur answered 500 to inject_client_cert; next attempt/);
    expect(issuer.calls).toBe(1);
    expect(tokens.calls).toBe(0);
    cache.close();
  });

  it('ends the token stream with denied when Conjur refuses the token', async () => {
    const { cache, tokens } = cacheSetup();
    tokens.failNext(new IssuanceError('denied', 'authenticate returned 401'));
    const reader = new StreamReader((s) => cache.subscribeToken(podIdentity(1), s));
    await settle();
    expect(reader.errorCode).toBe('denied');
    cache.close();
  });

  it('ends the token stream with the issuance error when no SVID can be issued', async () => {
    const { cache, issuer, tokens } = cacheSetup();
    issuer.failNext(new IssuanceError('confirm-failed', 'wrong key'));
    const reader = new StreamReader((s) => cache.subscribeToken(podIdentity(1), s));
    await settle();
    expect(reader.errorCode).toBe('confirm-failed');
    expect(tokens.calls).toBe(0);
    cache.close();
  });

  it('refuses tokens when no token issuer is configured', async () => {
    const { issuer, bundles, clock } = cacheSetup();
    const cache = new SvidCache({ issuer, bundles, clock, logger: silentLogger });
    const reader = new StreamReader((s) => cache.subscribeToken(podIdentity(1), s));
    await settle();
    expect(reader.errorCode).toBe('denied');
    cache.close();
  });
});
