import { X509Certificate } from 'node:crypto';
import { LatestValue } from '../../src/async/index.js';
import { bundleSetOf, TrustDomain } from '../../src/spiffe/index.js';
import type { BundleSet, SpiffeId, X509Bundle, X509Context, X509Svid } from '../../src/spiffe/index.js';
import type { SvidSubscriptions } from '../../src/workload-api/index.js';
import type { WorkloadIdentity } from '../../src/identity/index.js';
import { createTestCa } from '../support/test-ca.js';
import type { TestCa } from '../support/test-ca.js';

/** A real X509-SVID (leaf signed by the test CA, PKCS#8 key) for `id`. */
export async function issueTestSvid(ca: TestCa, id: SpiffeId, hint = ''): Promise<X509Svid> {
  const issued = await ca.issueClientCert({ commonName: hint || 'svid', uriSans: [id.toString()] });
  const cert = new X509Certificate(issued.certDer);
  return { id, certChain: [issued.certDer], privateKey: issued.keyDer, hint, notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo) };
}

/**
 * SvidSubscriptions over real certificates from a test CA, one LatestValue per identity key.
 * The first subscribe for an identity issues its SVID. Knobs: `rotate`, `setBundles`/`federate`,
 * `setSvids` (e.g. none), `failWith` (subscribe throws), `fail(key, error)` (ends open streams).
 * `active` counts open subscriptions, so tests can assert none leaked.
 */
export class FakeSvidSubscriptions implements SvidSubscriptions {
  readonly trustDomain: TrustDomain;
  private readonly contexts = new Map<string, Promise<LatestValue<X509Context>>>();
  private readonly bundles: LatestValue<BundleSet>;
  private failure: Error | undefined;
  active = 0;
  subscribeCalls = 0;

  private constructor(
    readonly ca: TestCa,
    trustDomain: string,
  ) {
    this.trustDomain = TrustDomain.parse(trustDomain);
    this.bundles = new LatestValue(bundleSetOf(this.ownBundle()));
  }

  static async create(trustDomain = 'example.org'): Promise<FakeSvidSubscriptions> {
    return new FakeSvidSubscriptions(await createTestCa(), trustDomain);
  }

  ownBundle(): X509Bundle {
    return { trustDomain: this.trustDomain, authorities: [this.ca.certDer] };
  }

  async *subscribe(identity: WorkloadIdentity, signal: AbortSignal): AsyncGenerator<X509Context> {
    yield* this.track(async () => (await this.contextOf(identity)).subscribe(signal));
  }

  async *subscribeBundles(signal: AbortSignal): AsyncGenerator<BundleSet> {
    yield* this.track(async () => this.bundles.subscribe(signal));
  }

  /** A new SVID for the identity; open streams receive a new full context. */
  async rotate(identity: WorkloadIdentity): Promise<X509Svid> {
    const value = await this.contextOf(identity);
    const svid = await issueTestSvid(this.ca, identity.spiffeId, identity.hint);
    value.set({ svids: [svid], bundles: this.bundles.get()! });
    return svid;
  }

  async setSvids(identity: WorkloadIdentity, svids: X509Svid[]): Promise<void> {
    (await this.contextOf(identity)).set({ svids, bundles: this.bundles.get()! });
  }

  /** Replaces the bundle set (also in every context, as a real cache would). */
  async setBundles(bundles: BundleSet): Promise<void> {
    this.bundles.set(bundles);
    for (const pending of this.contexts.values()) {
      const value = await pending;
      value.set({ svids: value.get()!.svids, bundles });
    }
  }

  /** Adds a federated trust domain's bundle to the current set. */
  async federate(trustDomain: string, authorities: Buffer[]): Promise<void> {
    const next = new Map(this.bundles.get()!);
    next.set(trustDomain, { trustDomain: TrustDomain.parse(trustDomain), authorities });
    await this.setBundles(next);
  }

  failWith(error: Error | undefined): void {
    this.failure = error;
  }

  /** Ends the identity's open (and future) subscriptions with `error`. */
  async fail(identity: WorkloadIdentity, error: Error): Promise<void> {
    (await this.contextOf(identity)).fail(error);
  }

  private async *track<T>(open: () => Promise<AsyncIterable<T>>): AsyncGenerator<T> {
    this.subscribeCalls += 1;
    this.active += 1;
    try {
      if (this.failure) throw this.failure;
      yield* await open();
    } finally {
      this.active -= 1;
    }
  }

  private contextOf(identity: WorkloadIdentity): Promise<LatestValue<X509Context>> {
    let pending = this.contexts.get(identity.key);
    if (!pending) {
      pending = issueTestSvid(this.ca, identity.spiffeId, identity.hint).then(
        (svid) => new LatestValue<X509Context>({ svids: [svid], bundles: this.bundles.get()! }),
      );
      this.contexts.set(identity.key, pending);
    }
    return pending;
  }
}
