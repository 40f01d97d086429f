import type { Clock } from '../../src/async/index.js';
import type { WorkloadIdentity } from '../../src/identity/index.js';
import type { X509Svid } from '../../src/spiffe/index.js';
import type { AccessToken, TokenIssuer } from '../../src/svid-cache/index.js';
import { FailureQueue, Gate } from './gate.js';

/**
 * A TokenIssuer that hands out tokens in Conjur's JSON shape, valid for `ttlMs` (8 minutes, as
 * Conjur's default) from the clock's now. Knobs and counters as FakeIssuer's.
 */
export class FakeTokenIssuer implements TokenIssuer {
  readonly gate = new Gate();
  ttlMs = 8 * 60 * 1000;
  calls = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** The SVID each call authenticated with, in order. */
  readonly svidsUsed: X509Svid[] = [];
  private readonly failures = new FailureQueue();

  constructor(private readonly clock: Clock) {}

  failNext(error: Error, times = 1): void {
    this.failures.push(error, times);
  }

  failAlways(error: Error): void {
    this.failures.always(error);
  }

  recover(): void {
    this.failures.clear();
  }

  async fetchToken(identity: WorkloadIdentity, svid: X509Svid, signal: AbortSignal): Promise<AccessToken> {
    signal.throwIfAborted();
    this.calls++;
    this.svidsUsed.push(svid);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.gate.pass(signal);
      const failure = this.failures.take();
      if (failure) throw failure;
      const issuedAt = this.clock.now();
      const expiresAt = issuedAt + this.ttlMs;
      const login = identity.conjurLogin ?? `host/${identity.key}`;
      const payload = Buffer.from(JSON.stringify({ sub: login, iat: issuedAt / 1000, exp: expiresAt / 1000, n: this.calls })).toString('base64url');
      const raw = Buffer.from(JSON.stringify({ protected: 'e30', payload, signature: 'c2ln' }));
      return { raw, login, issuedAt, expiresAt };
    } finally {
      this.inFlight--;
    }
  }
}
