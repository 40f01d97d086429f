import { LatestValue } from '../../src/async/index.js';
import { TrustDomain, bundleSetOf } from '../../src/spiffe/index.js';
import type { BundleSet } from '../../src/spiffe/index.js';
import type { BundleSource } from '../../src/svid-cache/index.js';

/** A BundleSource whose bundle set a test changes with `set`; `subscribers` counts open streams. */
export class FakeBundleSource implements BundleSource {
  private readonly value: LatestValue<BundleSet>;
  subscribers = 0;

  constructor(initial?: BundleSet) {
    this.value = new LatestValue(initial);
  }

  /** A bundle set of one trust domain with the given authorities (DER). */
  static of(trustDomain: string, ...authorities: Buffer[]): FakeBundleSource {
    return new FakeBundleSource(bundleSetOf({ trustDomain: TrustDomain.parse(trustDomain), authorities }));
  }

  current(): BundleSet | undefined {
    return this.value.get();
  }

  set(bundles: BundleSet): void {
    this.value.set(bundles);
  }

  async *subscribe(signal: AbortSignal): AsyncGenerator<BundleSet> {
    this.subscribers++;
    try {
      yield* this.value.subscribe(signal);
    } finally {
      this.subscribers--;
    }
  }
}
