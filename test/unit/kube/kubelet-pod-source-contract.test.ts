import { beforeAll } from '@jest/globals';
import { buildPod } from '../../support/pod-builder.js';
import { createTestCa } from '../../support/test-ca.js';
import type { TestCa } from '../../support/test-ca.js';
import { podSourceContract } from '../attestation/pod-source-contract.js';
import { startKubeletSetup } from './kubelet-setup.js';

// The PodSource contract (the one FakePodSource also passes) against the real adapter talking
// HTTPS, with a bearer token, to the kubelet double.
let ca: TestCa;
beforeAll(async () => {
  ca = await createTestCa();
});

podSourceContract('KubeletPodSource', async (initial) => {
  const setup = await startKubeletSetup(ca, initial.map(buildPod), { minRequestIntervalMs: 20, newContainerWaitMs: 400 });
  return {
    source: setup.source,
    setPods: (pods) => setup.kubelet.setPods(pods.map(buildPod)),
    close: () => setup.close(),
  };
});
