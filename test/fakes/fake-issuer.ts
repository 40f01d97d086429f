import type { Clock } from '../../src/async/index.js';
import type { WorkloadIdentity } from '../../src/identity/index.js';
import type { X509Svid } from '../../src/spiffe/index.js';
import type { X509Issuer } from '../../src/svid-cache/index.js';
import { createCertificateAuthority, generateKeyPair, issueCertificate, toPkcs8Der } from '../../src/x509/index.js';
import type { CertificateAuthority } from '../../src/x509/index.js';
import { FailureQueue, Gate } from './gate.js';

/**
 * An X509Issuer that signs real certificates (so the X509Issuer contract holds) with a CA of its
 * own, dated by the given clock. Knobs: `gate` (close to hold calls, open to release),
 * `failNext(error, times)`, `failAlways(error)`, `ttlMs`; counters: `calls`, `callsFor(key)`,
 * `inFlight`, `maxInFlight`.
 */
export class FakeIssuer implements X509Issuer {
  readonly ca: CertificateAuthority;
  readonly gate = new Gate();
  ttlMs: number;
  calls = 0;
  inFlight = 0;
  maxInFlight = 0;
  private readonly failures = new FailureQueue();
  private readonly callsByKey = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    options: { ttlMs?: number } = {},
  ) {
    this.ttlMs = options.ttlMs ?? 60 * 60 * 1000;
    this.ca = createCertificateAuthority({ commonName: 'fake issuer CA', validForMs: 10 * 365 * 24 * 3_600_000, now: new Date(clock.now() - 60_000) });
  }

  failNext(error: Error, times = 1): void {
    this.failures.push(error, times);
  }

  failAlways(error: Error): void {
    this.failures.always(error);
  }

  recover(): void {
    this.failures.clear();
  }

  callsFor(key: string): number {
    return this.callsByKey.get(key) ?? 0;
  }

  async issue(identity: WorkloadIdentity, signal: AbortSignal): Promise<X509Svid> {
    signal.throwIfAborted();
    this.calls++;
    this.callsByKey.set(identity.key, this.callsFor(identity.key) + 1);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.gate.pass(signal);
      const failure = this.failures.take();
      if (failure) throw failure;
      return this.sign(identity);
    } finally {
      this.inFlight--;
    }
  }

  private sign(identity: WorkloadIdentity): X509Svid {
    const now = Math.floor(this.clock.now() / 1000) * 1000;
    const notBefore = new Date(now);
    const notAfter = new Date(now + this.ttlMs);
    const { privateKey, publicKey } = generateKeyPair('ec-p256');
    const leaf = issueCertificate(
      {
        subject: { commonName: identity.key },
        subjectPublicKey: publicKey,
        notBefore,
        notAfter,
        isCa: false,
        keyUsage: ['digitalSignature'],
        extKeyUsage: ['serverAuth', 'clientAuth'],
        uriSans: [identity.spiffeId.toString()],
      },
      this.ca,
    );
    return { id: identity.spiffeId, certChain: [leaf], privateKey: toPkcs8Der(privateKey), hint: identity.hint, notBefore, notAfter };
  }
}
