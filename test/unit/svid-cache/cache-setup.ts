import { silentLogger } from '../../../src/log/index.js';
import { SvidCache } from '../../../src/svid-cache/index.js';
import type { SvidCacheOptions } from '../../../src/svid-cache/index.js';
import { FakeBundleSource } from '../../fakes/fake-bundle-source.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { FakeIssuer } from '../../fakes/fake-issuer.js';
import { FakeTokenIssuer } from '../../fakes/fake-token-issuer.js';

export const HOUR_MS = 60 * 60 * 1000;
export const MINUTE_MS = 60 * 1000;

/** A cache over fakes: SVIDs live an hour, tokens 8 minutes; random() is 0.5 (no jitter). */
export function cacheSetup(options: Partial<SvidCacheOptions> = {}) {
  const clock = new FakeClock();
  const issuer = new FakeIssuer(clock, { ttlMs: HOUR_MS });
  const tokens = new FakeTokenIssuer(clock);
  const bundles = FakeBundleSource.of('example.org', issuer.ca.certDer);
  const cache = new SvidCache({
    issuer,
    bundles,
    tokens,
    clock,
    logger: silentLogger,
    random: () => 0.5,
    options: { retryBackoff: { initialMs: 1000, maxMs: 10_000 }, ...options },
  });
  return { clock, issuer, tokens, bundles, cache };
}
