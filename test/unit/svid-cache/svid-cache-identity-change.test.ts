import { describe, expect, it } from '@jest/globals';
import { settle } from '../../fakes/fake-clock.js';
import { cacheSetup } from './cache-setup.js';
import { podIdentity } from './identities.js';
import { StreamReader } from './stream-reader.js';

// Callers resolve their identity on every call; the cache must not keep serving credentials
// issued for a Conjur login the pod no longer names (issue 10: a changed conjur.org/authn-login).

const relogged = (login: string) => ({ ...podIdentity(1), hint: login, conjurLogin: login });

describe('SvidCache when a key comes back with another identity', () => {
  it('drops the entry issued for the old login, ends its streams evicted, and issues for the new one', async () => {
    const { cache, issuer } = cacheSetup();
    const old = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    expect(old.last?.svids[0]?.hint).toBe('host/apps/pod-1');

    const renamed = new StreamReader((s) => cache.subscribe(relogged('host/apps/pod-1-v2'), s));
    await settle();
    expect(issuer.calls).toBe(2);
    expect(renamed.last?.svids[0]?.hint).toBe('host/apps/pod-1-v2');
    expect({ done: old.done, code: old.errorCode }).toEqual({ done: true, code: 'evicted' });
    expect(cache.size).toBe(1);
    await renamed.stop();
    cache.close();
  });

  it('keeps the entry, and issues nothing, for the same identity asked again', async () => {
    const { cache, issuer } = cacheSetup();
    const first = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    const again = new StreamReader((s) => cache.subscribe(podIdentity(1), s));
    await settle();
    expect(issuer.calls).toBe(1);
    expect(first.done).toBe(false);
    await Promise.all([first.stop(), again.stop()]);
    cache.close();
  });
});
