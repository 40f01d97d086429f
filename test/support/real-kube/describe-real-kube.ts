import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { INSTALL_HINT, findOrBuildRealKubeBinaries, lookupRealKubeBinaries } from './binaries.js';
import { RealKubeCluster } from './real-kube-cluster.js';
import type { RealKubeClusterOptions } from './real-kube-cluster.js';

// `describe` for a suite that needs the real control plane: one cluster per suite, started in
// beforeAll (after building the binaries if this machine has none yet) and stopped in afterAll.
// Without Go the suite is skipped, with one skipped test saying how to install it.

/** Building from nothing takes minutes on a loaded 2-core machine; starting from the cache, seconds. */
const BUILD_TIMEOUT_MS = 40 * 60_000;
const START_TIMEOUT_MS = 3 * 60_000;

export interface RealKubeSuite {
  /** The running cluster (valid inside tests and hooks of the suite). */
  readonly cluster: RealKubeCluster;
}

export function describeRealKube(title: string, body: (suite: RealKubeSuite) => void, options: RealKubeClusterOptions = {}): void {
  const lookup = lookupRealKubeBinaries();
  if (lookup.kind === 'no-go') {
    const message = `${lookup.reason}; ${INSTALL_HINT}`;
    console.warn(`skipping the real API server suite "${title}": ${message}`);
    describe(title, () => {
      it.skip(`is skipped: ${message}`, () => undefined);
    });
    return;
  }
  let current: RealKubeCluster | undefined;
  const suite: RealKubeSuite = {
    get cluster(): RealKubeCluster {
      if (!current) throw new Error('the real API server is not running (beforeAll failed?)');
      return current;
    },
  };
  describe(title, () => {
    beforeAll(
      async () => {
        const binaries = await findOrBuildRealKubeBinaries((line) => console.warn(line));
        current = await RealKubeCluster.start({ ...options, binaries });
      },
      lookup.kind === 'found' ? START_TIMEOUT_MS : BUILD_TIMEOUT_MS + START_TIMEOUT_MS,
    );
    afterAll(async () => {
      await current?.close();
      current = undefined;
    }, 60_000);
    body(suite);
  });
}
