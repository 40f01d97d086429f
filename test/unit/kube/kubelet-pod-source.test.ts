import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { setMaxListeners } from 'node:events';
import { KubeError, KubeletPodSource } from '../../../src/kube/index.js';
import { startKubelet } from '../../doubles/kubelet.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { buildPod, randomContainerId } from '../../support/pod-builder.js';
import { createTestCa } from '../../support/test-ca.js';
import type { TestCa } from '../../support/test-ca.js';
import { NODE, appPod, queryFor, startKubeletSetup } from './kubelet-setup.js';
import type { KubeletSetup } from './kubelet-setup.js';

let ca: TestCa;
let setup: KubeletSetup | undefined;
// One signal shared by the many concurrent callers below (each adds a listener while it waits).
const signal = new AbortController().signal;
setMaxListeners(1000, signal);

beforeAll(async () => {
  ca = await createTestCa();
});

afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

describe('KubeletPodSource', () => {
  it('finds a pod by container id and pod uid, with its containers, volumes and service account', async () => {
    const pod = appPod('web-1', { volumes: [{ name: 'conjur-ssl', kind: 'memory' }], annotations: { 'conjur.org/authn-login': 'host/apps/web' } });
    setup = await startKubeletSetup(ca, [appPod('other'), pod]);
    const found = await setup.source.findPod(queryFor(pod), signal);
    expect(found).toMatchObject({ uid: pod.metadata.uid, namespace: 'apps', name: 'web-1', nodeName: NODE, serviceAccount: 'app', phase: 'Running' });
    expect(found?.annotations['conjur.org/authn-login']).toBe('host/apps/web');
    expect(found?.containers[0]).toMatchObject({ name: 'app', image: 'registry.example/app:1.2', containerId: queryFor(pod).containerId });
    expect(found?.volumes).toContainEqual({ name: 'conjur-ssl', kind: 'emptyDir' });
  });

  it('finds a pod by container id alone', async () => {
    const pod = appPod('web-1');
    setup = await startKubeletSetup(ca, [pod]);
    expect((await setup.source.findPod({ containerId: queryFor(pod).containerId }, signal))?.name).toBe('web-1');
  });

  it('lists the pods once on prefetch (at start), and then answers a caller in a running pod with no request of its own', async () => {
    const pods = [appPod('web-a'), appPod('web-b')];
    setup = await startKubeletSetup(ca, pods);
    setup.source.prefetch();
    await until(() => setup!.source.stats.cachedPods === 2);
    expect(setup.kubelet.requests).toBe(1);
    expect((await setup.source.findPod(queryFor(pods[1]!), signal))?.name).toBe('web-b');
    expect(setup.kubelet.requests).toBe(1);
  });

  it('answers 100 simultaneous callers in known pods without another kubelet request', async () => {
    const pods = Array.from({ length: 10 }, (_, i) => appPod(`web-${i}`));
    setup = await startKubeletSetup(ca, pods);
    await setup.source.findPod(queryFor(pods[0]!), signal);
    expect(setup.kubelet.requests).toBe(1);
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => setup!.source.findPod(queryFor(pods[i % 10]!), signal)));
    expect(results.map((p) => p?.name)).toEqual(Array.from({ length: 100 }, (_, i) => `web-${i % 10}`));
    expect(setup.kubelet.requests).toBe(1);
  });

  it('answers 100 simultaneous callers in a new pod with at most two kubelet requests', async () => {
    const known = appPod('known');
    setup = await startKubeletSetup(ca, [known]);
    await setup.source.findPod(queryFor(known), signal);
    const fresh = appPod('fresh');
    setup.kubelet.setPods([known, fresh]);
    const results = await Promise.all(Array.from({ length: 100 }, () => setup!.source.findPod(queryFor(fresh), signal)));
    expect(results.every((p) => p?.uid === fresh.metadata.uid)).toBe(true);
    expect(setup.kubelet.requests - 1).toBeLessThanOrEqual(2);
  });

  it('waits for a container that starts after the caller asked', async () => {
    const pod = appPod('starting', { containers: [{ name: 'app', image: 'app:1', containerId: null }] });
    setup = await startKubeletSetup(ca, [pod], { newContainerWaitMs: 2000 });
    const containerId = randomContainerId();
    const pending = setup.source.findPod({ podUid: pod.metadata.uid, containerId }, signal);
    setTimeout(() => setup?.kubelet.setPods([appPod('starting', { uid: pod.metadata.uid, containers: [{ name: 'app', image: 'app:1', containerId }] })]), 100);
    expect((await pending)?.containers[0]?.containerId).toBe(containerId);
  });

  it('gives up on an unknown container after the bounded wait, with requests spaced by the interval', async () => {
    setup = await startKubeletSetup(ca, [appPod('web')], { newContainerWaitMs: 200, minRequestIntervalMs: 50 });
    const startedAt = Date.now();
    expect(await setup.source.findPod({ containerId: randomContainerId() }, signal)).toBeUndefined();
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(200);
    expect(setup.kubelet.requests).toBeLessThanOrEqual(200 / 50 + 2);
  });

  it('leaves terminal pods out', async () => {
    const done = appPod('job-1', { phase: 'Succeeded' });
    const failed = appPod('job-2', { phase: 'Failed' });
    setup = await startKubeletSetup(ca, [done, failed], { newContainerWaitMs: 0 });
    expect(await setup.source.findPod(queryFor(done), signal)).toBeUndefined();
    expect(await setup.source.findPod(queryFor(failed), signal)).toBeUndefined();
  });

  it('refuses a container the kubelet lists under another pod uid, without waiting', async () => {
    const pod = appPod('web');
    setup = await startKubeletSetup(ca, [pod], { newContainerWaitMs: 5000 });
    await setup.source.findPod(queryFor(pod), signal);
    const startedAt = Date.now();
    expect(await setup.source.findPod({ podUid: 'another-uid', containerId: queryFor(pod).containerId }, signal)).toBeUndefined();
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(setup.kubelet.requests).toBe(1);
  });

  it('keeps kubelet requests the minimum interval apart, on the injected clock', async () => {
    const clock = new FakeClock();
    setup = await startKubeletSetup(ca, [appPod('web')], { clock, minRequestIntervalMs: 500, newContainerWaitMs: 10_000 });
    const caller = new AbortController();
    const pending = setup.source.findPod({ containerId: randomContainerId() }, caller.signal).catch(() => undefined);
    await until(() => setup!.kubelet.requests === 1);
    await clock.advance(499);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(setup.kubelet.requests).toBe(1);
    await clock.advance(1);
    await until(() => setup!.kubelet.requests === 2);
    caller.abort();
    await pending;
  });

  it('picks up a rotated service-account token', async () => {
    const first = appPod('first');
    setup = await startKubeletSetup(ca, [first]);
    await setup.source.findPod(queryFor(first), signal);
    setup.kubelet.setToken('token-2');
    await setup.rotateToken('token-2');
    const second = appPod('second');
    setup.kubelet.setPods([first, second]);
    expect((await setup.source.findPod(queryFor(second), signal))?.name).toBe('second');
  });

  it('stops waiting when the caller aborts', async () => {
    setup = await startKubeletSetup(ca, [], { newContainerWaitMs: 5000 });
    const controller = new AbortController();
    const pending = setup.source.findPod({ containerId: randomContainerId() }, controller.signal);
    setTimeout(() => controller.abort(new Error('caller went away')), 50);
    await expect(pending).rejects.toThrow('caller went away');
  });

  it('reads the read-only port without TLS or a token', async () => {
    const pod = appPod('web');
    const kubelet = await startKubelet({ readOnly: true, pods: [pod] });
    const source = new KubeletPodSource({ endpoint: { kind: 'read-only', url: kubelet.url } });
    try {
      expect((await source.findPod(queryFor(pod), signal))?.name).toBe('web');
    } finally {
      source.close();
      await kubelet.close();
    }
  });

  it('parses a 250-pod list once per request and shares the result with every waiter', async () => {
    const pods = Array.from({ length: 250 }, (_, i) =>
      buildPod({ namespace: `ns-${i % 20}`, name: `pod-${i}`, nodeName: NODE, containers: [{ name: 'main', image: 'app:1' }, { name: 'sidecar', image: 'proxy:2' }] }),
    );
    setup = await startKubeletSetup(ca, pods.slice(0, 249));
    await setup.source.findPod(queryFor(pods[0]!, 'main'), signal);
    setup.kubelet.setPods(pods);
    const results = await Promise.all(Array.from({ length: 100 }, () => setup!.source.findPod(queryFor(pods[249]!, 'sidecar'), signal)));
    // One parse: every waiter holds the very same PodInfo object, not a copy of its own.
    expect(new Set(results).size).toBe(1);
    expect(results[0]?.name).toBe('pod-249');
    expect(setup.source.stats).toMatchObject({ requests: 2, failedRequests: 0, cachedPods: 250 });
  });
});

describe('KubeletPodSource failures', () => {
  const cases: { name: string; given: (s: KubeletSetup) => void; expect: string; options?: { requestTimeoutMs: number } }[] = [
    { name: 'reports a 401', given: (s) => s.kubelet.setToken('someone-else'), expect: 'kubelet returned 401 for /pods' },
    { name: 'reports a 403', given: (s) => s.kubelet.failNext(403), expect: 'kubelet returned 403 for /pods' },
    { name: 'reports a 500', given: (s) => s.kubelet.failNext(500), expect: 'kubelet returned 500 for /pods' },
    { name: 'reports malformed JSON', given: (s) => s.kubelet.setMalformedNext(), expect: 'kubelet returned malformed JSON' },
    { name: 'reports a timeout', given: (s) => s.kubelet.setDelayMs(1000), expect: 'kubelet request timed out after 100 ms', options: { requestTimeoutMs: 100 } },
  ];
  for (const c of cases) {
    it(`${c.name} as unavailable, naming the failure`, async () => {
      setup = await startKubeletSetup(ca, [appPod('web')], c.options);
      c.given(setup);
      const error = await setup.source.findPod({ containerId: randomContainerId() }, signal).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KubeError);
      expect(error).toMatchObject({ code: 'unavailable', message: c.expect });
      expect(setup.source.stats.failedRequests).toBe(1);
    });
  }

  it('refuses a kubelet whose certificate is not from the configured CA', async () => {
    const otherCa = await createTestCa({ commonName: 'other' });
    setup = await startKubeletSetup(ca, [], {}, { kubeletCa: otherCa });
    const error = await setup.source.findPod({ containerId: randomContainerId() }, signal).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/^kubelet request failed: /) });
    expect(setup.kubelet.requests).toBe(0);
  });

  it('accepts any kubelet certificate only when verification is explicitly skipped', async () => {
    const otherCa = await createTestCa({ commonName: 'other' });
    const pod = appPod('web');
    setup = await startKubeletSetup(ca, [pod], {}, { kubeletCa: otherCa, tls: { insecureSkipVerify: true } });
    expect((await setup.source.findPod(queryFor(pod), signal))?.name).toBe('web');
  });

  it('serves a known container from the cache while the kubelet is failing', async () => {
    const pod = appPod('web');
    setup = await startKubeletSetup(ca, [pod]);
    await setup.source.findPod(queryFor(pod), signal);
    setup.kubelet.failNext(500, 10);
    expect((await setup.source.findPod(queryFor(pod), signal))?.name).toBe('web');
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
