import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { setMaxListeners } from 'node:events';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PodVerifier } from '../../../src/attestation/index.js';
import { ApiServerPodVerifier, KubeError } from '../../../src/kube/index.js';
import type { PodGoneReason } from '../../../src/kube/index.js';
import { startKubeApi } from '../../doubles/kube-api.js';
import type { KubeApiDouble } from '../../doubles/kube-api.js';
import { buildPod } from '../../support/pod-builder.js';
import type { PodJson } from '../../support/pod-builder.js';
import { createTestCa } from '../../support/test-ca.js';
import type { TestCa } from '../../support/test-ca.js';

const NODE = 'node-a';
const TOKEN = 'api-token';
// One signal shared by concurrent callers below (each adds a listener while it waits).
const signal = new AbortController().signal;
setMaxListeners(100, signal);

let ca: TestCa;
let api: KubeApiDouble;
let verifier: ApiServerPodVerifier;
let stopWatch: (() => Promise<void>) | undefined;
let gone: { uid: string; reason: PodGoneReason }[];

beforeAll(async () => {
  ca = await createTestCa();
});

async function start(options: { requestTimeoutMs?: number; watch?: boolean } = {}): Promise<void> {
  api = await startKubeApi({ ca, token: TOKEN });
  verifier = new ApiServerPodVerifier({
    nodeName: NODE,
    kubeConfig: { kind: 'token', server: api.url, caPem: ca.certPem, token: TOKEN },
    requestTimeoutMs: options.requestTimeoutMs ?? 2000,
    backoff: { initialMs: 20, maxMs: 100 },
  });
  gone = [];
  verifier.onPodGone((uid, reason) => gone.push({ uid, reason }));
  if (options.watch === false) return;
  const controller = new AbortController();
  const running = verifier.run(controller.signal);
  stopWatch = async () => {
    controller.abort();
    await running;
  };
  await until(() => verifier.isSynced);
}

afterEach(async () => {
  await stopWatch?.();
  stopWatch = undefined;
  await api.close();
});

function pod(name: string, extra: { uid?: string; nodeName?: string } = {}): PodJson {
  return buildPod({ namespace: 'apps', name, nodeName: NODE, serviceAccount: 'app', containers: [{ name: 'app', image: 'app:1' }], ...extra });
}

/** Pod lists (not watches) of this node, i.e. full re-syncs. */
function podLists(): number {
  return api.requests.filter((r) => r.path === '/api/v1/pods' && !r.query.includes('watch=')).length;
}

/** Watch requests of this node's pods (each retry counts). */
function podWatches(): number {
  return api.requests.filter((r) => r.path === '/api/v1/pods' && r.query.includes('watch=')).length;
}

/** GETs of one pod by name, i.e. requests the local view did not save. */
function podGets(name: string): number {
  return api.requests.filter((r) => r.path === `/api/v1/namespaces/apps/pods/${name}`).length;
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('ApiServerPodVerifier', () => {
  it('gets a pod from the API server when no watch runs', async () => {
    await start({ watch: false });
    const web = api.upsertPod(pod('web'));
    const port: PodVerifier = verifier; // attestation's port, satisfied structurally
    expect(await port.getPod('apps', 'web', signal)).toMatchObject({ uid: web.metadata.uid, nodeName: NODE, serviceAccount: 'app' });
    expect(await port.getPod('apps', 'missing', signal)).toBeUndefined();
  });

  it('answers from the watched view without a request once synced', async () => {
    await start();
    const web = api.upsertPod(pod('web'));
    await until(() => verifier.stats.viewPods === 1);
    expect((await verifier.getPod('apps', 'web', signal))?.uid).toBe(web.metadata.uid);
    expect(podGets('web')).toBe(0);
  });

  it('asks the API server for a pod on another node, which the watch does not cover', async () => {
    await start();
    api.upsertPod(pod('elsewhere', { nodeName: 'node-b' }));
    expect((await verifier.getPod('apps', 'elsewhere', signal))?.nodeName).toBe('node-b');
    expect(podGets('elsewhere')).toBe(1);
  });

  it('reports a deleted pod as gone', async () => {
    await start();
    const web = api.upsertPod(pod('web'));
    await until(() => verifier.stats.viewPods === 1);
    api.deletePod('apps', 'web');
    await until(() => gone.length > 0);
    expect(gone).toEqual([{ uid: web.metadata.uid, reason: 'deleted' }]);
  });

  it('shows a terminating pod with its deletion timestamp before reporting it gone', async () => {
    await start();
    const web = api.upsertPod(pod('web'));
    api.deletePod('apps', 'web', { graceful: true });
    await until(async () => (await verifier.getPod('apps', 'web', signal))?.deletionTimestamp !== undefined);
    expect((await verifier.getPod('apps', 'web', signal))?.uid).toBe(web.metadata.uid);
    expect(gone).toEqual([]);
    api.deletePod('apps', 'web');
    await until(() => gone.length > 0);
    expect(gone).toEqual([{ uid: web.metadata.uid, reason: 'deleted' }]);
  });

  it('re-lists after the watch history expired and reports a pod replaced meanwhile', async () => {
    await start();
    const old = api.upsertPod(pod('db-0'));
    await until(() => verifier.stats.viewPods === 1);
    // All in one tick: the agent cannot resume before the history it would need is gone.
    api.dropWatches();
    api.deletePod('apps', 'db-0');
    const replacement = api.upsertPod(pod('db-0'));
    api.compactHistory();
    await until(() => gone.length > 0);
    expect(gone).toEqual([{ uid: old.metadata.uid, reason: 'replaced' }]);
    expect(podLists()).toBe(2);
    await until(() => verifier.isSynced);
    expect((await verifier.getPod('apps', 'db-0', signal))?.uid).toBe(replacement.metadata.uid);
  });

  it('resumes after the watch stream drops, catching up on what changed meanwhile', async () => {
    await start();
    const web = api.upsertPod(pod('web'));
    await until(() => verifier.stats.viewPods === 1);
    api.dropWatches();
    api.deletePod('apps', 'web');
    const next = api.upsertPod(pod('web-2'));
    await until(() => gone.length > 0 && verifier.stats.viewPods === 1 && verifier.isSynced);
    expect(gone).toEqual([{ uid: web.metadata.uid, reason: 'deleted' }]);
    expect((await verifier.getPod('apps', 'web-2', signal))?.uid).toBe(next.metadata.uid);
    expect(podGets('web-2')).toBe(0);
    expect(podLists()).toBe(1);
    expect(api.openWatches).toBe(1);
  });

  it('recovers when the API server comes back after being down', async () => {
    await start();
    api.setDown(true);
    await until(() => !verifier.isSynced);
    const web = api.upsertPod(pod('web'));
    api.setDown(false);
    await until(() => verifier.isSynced && verifier.stats.viewPods === 1);
    expect((await verifier.getPod('apps', 'web', signal))?.uid).toBe(web.metadata.uid);
    // It resumed the watch from where it was, catching up from the history: no second list.
    expect(podLists()).toBe(1);
  });
});

describe('ApiServerPodVerifier configuration', () => {
  it('loads a kubeconfig file for development', async () => {
    await start({ watch: false });
    const dir = await mkdtemp(join(tmpdir(), 'kubeconfig-'));
    const path = join(dir, 'config');
    const caData = Buffer.from(ca.certPem).toString('base64');
    await writeFile(
      path,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: dev\n  cluster:\n    server: ${api.url}\n    certificate-authority-data: ${caData}\n` +
        `users:\n- name: dev\n  user:\n    token: ${TOKEN}\ncontexts:\n- name: dev\n  context:\n    cluster: dev\n    user: dev\ncurrent-context: dev\n`,
    );
    try {
      const fromFile = new ApiServerPodVerifier({ nodeName: NODE, kubeConfig: { kind: 'kubeconfig', path } });
      const web = api.upsertPod(pod('web'));
      expect((await fromFile.getPod('apps', 'web', signal))?.uid).toBe(web.metadata.uid);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('uses the in-cluster server, CA file and token file it is given, and a rotated token at once', async () => {
    await start({ watch: false });
    const dir = await mkdtemp(join(tmpdir(), 'serviceaccount-'));
    const tokenFile = join(dir, 'token');
    const caFile = join(dir, 'ca.crt');
    await writeFile(tokenFile, TOKEN);
    await writeFile(caFile, ca.certPem);
    try {
      const inCluster = new ApiServerPodVerifier({ nodeName: NODE, kubeConfig: { kind: 'in-cluster', server: api.url, tokenFile, caFile } });
      const web = api.upsertPod(pod('web'));
      expect((await inCluster.getPod('apps', 'web', signal))?.uid).toBe(web.metadata.uid);
      // The kubelet swaps the projected file atomically; the API server accepts only the new token.
      await writeFile(`${tokenFile}.new`, 'rotated-token');
      await rename(`${tokenFile}.new`, tokenFile);
      api.setToken('rotated-token');
      const api2 = api.upsertPod(pod('api'));
      expect((await inCluster.getPod('apps', 'api', signal))?.uid).toBe(api2.metadata.uid);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a kubeconfig file that does not exist', () => {
    expect(() => new ApiServerPodVerifier({ nodeName: NODE, kubeConfig: { kind: 'kubeconfig', path: '/nonexistent/kubeconfig' } })).toThrow(
      expect.objectContaining({ code: 'invalid-config' }),
    );
  });
});

describe('ApiServerPodVerifier failures', () => {
  it('reports the API server down as unavailable', async () => {
    await start({ watch: false });
    api.setDown(true);
    const error = await verifier.getPod('apps', 'web', signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeError);
    expect(error).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/^api server request for pod apps\/web failed: /) });
  });

  it('reports an error status as unavailable, not as a missing pod', async () => {
    await start({ watch: false });
    api.failNext(403);
    await expect(verifier.getPod('apps', 'web', signal)).rejects.toMatchObject({ code: 'unavailable', message: 'api server returned 403 for pod apps/web' });
  });

  it('gives up on a slow API server after the request timeout', async () => {
    await start({ watch: false, requestTimeoutMs: 100 });
    api.setDelayMs(2000);
    await expect(verifier.getPod('apps', 'web', signal)).rejects.toMatchObject({ code: 'unavailable', message: 'api server request for pod apps/web timed out after 100 ms' });
  });

  it('gives up on a watch the API server never answers, retries the watch (not the list), and keeps answering by GET', async () => {
    await start({ watch: false, requestTimeoutMs: 200 });
    api.setDelayMs(60_000, /watch=true/);
    const controller = new AbortController();
    const running = verifier.run(controller.signal);
    stopWatch = async () => {
      controller.abort();
      await running;
    };
    await until(() => podWatches() >= 2);
    expect(podLists()).toBe(1);
    expect(verifier.isSynced).toBe(false);
    api.upsertPod(pod('web'));
    expect((await verifier.getPod('apps', 'web', signal))?.name).toBe('web');
    expect(podGets('web')).toBe(1);
  });

  it('shares one request between concurrent callers of the same pod', async () => {
    await start({ watch: false });
    api.upsertPod(pod('web'));
    const results = await Promise.all(Array.from({ length: 20 }, () => verifier.getPod('apps', 'web', signal)));
    expect(new Set(results.map((p) => p?.name))).toEqual(new Set(['web']));
    expect(podGets('web')).toBe(1);
  });
});
