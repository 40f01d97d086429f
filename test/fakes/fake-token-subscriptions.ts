import { LatestValue } from '../../src/async/index.js';
import type { AccessToken } from '../../src/svid-cache/index.js';
import type { TokenSubscriptions } from '../../src/workload-api/index.js';
import type { WorkloadIdentity } from '../../src/identity/index.js';

/** Conjur-shaped access tokens per identity key; `refresh(identity)` pushes a new one. */
export class FakeTokenSubscriptions implements TokenSubscriptions {
  private readonly tokens = new Map<string, LatestValue<AccessToken>>();
  private serial = 0;
  active = 0;

  async *subscribeToken(identity: WorkloadIdentity, signal: AbortSignal): AsyncGenerator<AccessToken> {
    this.active += 1;
    try {
      yield* this.valueOf(identity).subscribe(signal);
    } finally {
      this.active -= 1;
    }
  }

  refresh(identity: WorkloadIdentity): AccessToken {
    const token = this.mint(identity);
    this.valueOf(identity).set(token);
    return token;
  }

  private valueOf(identity: WorkloadIdentity): LatestValue<AccessToken> {
    let value = this.tokens.get(identity.key);
    if (!value) {
      value = new LatestValue(this.mint(identity));
      this.tokens.set(identity.key, value);
    }
    return value;
  }

  private mint(identity: WorkloadIdentity): AccessToken {
    this.serial += 1;
    const login = identity.conjurLogin ?? 'host/unknown';
    const issuedAt = 1_700_000_000_000 + this.serial * 1000;
    const expiresAt = issuedAt + 8 * 60 * 1000;
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const raw = Buffer.from(JSON.stringify({ protected: part({ alg: 'conjur.org/slosilo/v2' }), payload: part({ sub: login, exp: expiresAt / 1000, serial: this.serial }), signature: 'c2ln' }));
    return { raw, login, issuedAt, expiresAt };
  }
}
