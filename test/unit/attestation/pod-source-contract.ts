import { afterEach, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import type { PodSource } from '../../../src/attestation/index.js';
import type { PodInput } from '../../support/pod-builder.js';

/**
 * The PodSource contract, run against FakePodSource here and against KubeletPodSource with the
 * kubelet double in test/unit/kube/, so the fake cannot drift from the real thing.
 *
 * The factory builds a source over a node running `initial` (pods described as for buildPod,
 * with explicit container ids). Its bounded wait for an unknown container must be between
 * 300 ms and 2 s, and it must notice `setPods` during that wait.
 */
export interface PodSourceHarness {
  readonly source: PodSource;
  /** Replaces the node's pods (what the kubelet lists from now on). */
  setPods(pods: readonly PodInput[]): void | Promise<void>;
  close(): Promise<void>;
}

export type PodSourceFactory = (initial: readonly PodInput[]) => Promise<PodSourceHarness>;

export const CONTRACT_NODE = 'contract-node';

export function contractPod(name: string, overrides: Partial<PodInput> = {}): PodInput & { containerId: string; uid: string } {
  const containerId = randomBytes(32).toString('hex');
  const uid = randomUUID();
  return {
    namespace: 'contract',
    name,
    uid,
    nodeName: CONTRACT_NODE,
    serviceAccount: 'contract-sa',
    containers: [{ name: 'app', image: 'registry.example/app:1.0', containerId }],
    containerId,
    ...overrides,
  };
}

export function podSourceContract(name: string, factory: PodSourceFactory): void {
  describe(`${name} (PodSource contract)`, () => {
    let harness: PodSourceHarness | undefined;
    const signal = new AbortController().signal;

    afterEach(async () => {
      await harness?.close();
      harness = undefined;
    });

    it('finds a running pod by container id alone and by container id with pod uid', async () => {
      const pod = contractPod('web');
      harness = await factory([contractPod('other'), pod]);
      const byContainer = await harness.source.findPod({ containerId: pod.containerId }, signal);
      const byBoth = await harness.source.findPod({ podUid: pod.uid, containerId: pod.containerId }, signal);
      for (const found of [byContainer, byBoth]) {
        expect(found).toMatchObject({ uid: pod.uid, namespace: 'contract', name: 'web', nodeName: CONTRACT_NODE, serviceAccount: 'contract-sa' });
        expect(found?.containers.map((c) => c.containerId)).toContain(pod.containerId);
      }
    });

    it('reports container ids bare, without the runtime prefix', async () => {
      const pod = contractPod('web');
      harness = await factory([pod]);
      const found = await harness.source.findPod({ containerId: pod.containerId }, signal);
      expect(found?.containers[0]?.containerId).toBe(pod.containerId);
    });

    it('finds a pod by the id of one of its init containers', async () => {
      const initId = randomBytes(32).toString('hex');
      const pod = contractPod('with-init', { initContainers: [{ name: 'fetch-secrets', image: 'registry.example/init:1', containerId: initId }] });
      harness = await factory([pod]);
      expect((await harness.source.findPod({ containerId: initId }, signal))?.uid).toBe(pod.uid);
    });

    it('answers undefined when the pod uid does not match the container', async () => {
      const pod = contractPod('web');
      harness = await factory([pod]);
      expect(await harness.source.findPod({ podUid: randomUUID(), containerId: pod.containerId }, signal)).toBeUndefined();
    });

    it('answers undefined for an unknown container once the bounded wait is over', async () => {
      harness = await factory([contractPod('web')]);
      const started = Date.now();
      expect(await harness.source.findPod({ containerId: randomBytes(32).toString('hex') }, signal)).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('finds a container that starts while the caller waits', async () => {
      const late = contractPod('late');
      harness = await factory([contractPod('web')]);
      const pending = harness.source.findPod({ podUid: late.uid, containerId: late.containerId }, signal);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await harness.setPods([contractPod('web'), late]);
      expect((await pending)?.uid).toBe(late.uid);
    });

    it('ignores pods that have finished', async () => {
      const done = contractPod('done', { phase: 'Succeeded' });
      const failed = contractPod('failed', { phase: 'Failed' });
      harness = await factory([done, failed]);
      expect(await harness.source.findPod({ containerId: done.containerId }, signal)).toBeUndefined();
      expect(await harness.source.findPod({ podUid: failed.uid, containerId: failed.containerId }, signal)).toBeUndefined();
    });

    it('stops waiting when the caller goes away', async () => {
      harness = await factory([]);
      const controller = new AbortController();
      const pending = harness.source.findPod({ containerId: randomBytes(32).toString('hex') }, controller.signal);
      setTimeout(() => controller.abort(new Error('caller went away')), 20);
      const started = Date.now();
      await expect(pending).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(250);
    });
  });
}
