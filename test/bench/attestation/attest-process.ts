import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { systemClock } from '../../../src/async/index.js';
import { KubernetesAttestor } from '../../../src/attestation/index.js';
import { ApiServerPodVerifier, KubeletPodSource } from '../../../src/kube/index.js';
import type { KubeletEndpoint } from '../../../src/kube/index.js';
import { silentLogger } from '../../../src/log/index.js';
import type { Peer } from '../../../src/peer/index.js';
import { parentIpc } from '../support/children.js';
import { elapsedMs, sleepMs } from '../support/stats.js';

// The Kubernetes attestor in a process of its own (run with --expose-gc), against the simulated
// node's kubelet and API server doubles in run-all's process. Measures memory retained after the
// first /pods answer is loaded (and after the API server view is synced), then attestation time
// for a real child process placed in known pods and in pods created just before the call.

export interface AttestParams {
  readonly kubeletUrl: string;
  readonly tokenFile: string;
  readonly caFile: string;
  readonly kubeconfig: string;
  readonly nodeName: string;
  readonly procRoot: string;
  readonly knownSamples: number;
  readonly newSamples: number;
  /** The kubelet pod source's least interval between requests (its default). */
  readonly minRequestIntervalMs: number;
}

export interface Memory {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
}

export interface AttestResults {
  readonly baseline: Memory;
  readonly afterKubelet: Memory;
  readonly afterApiView: Memory;
  readonly knownMs: number[];
  readonly newMs: number[];
  readonly newKubeletRequests: number;
  readonly newApiGets: number;
}

const ipc = parentIpc();

ipc.handle('run', async (params) => run(params as AttestParams));
ipc.emit('ready', {});

async function run(p: AttestParams): Promise<AttestResults> {
  const caller = spawn('sleep', ['600'], { stdio: 'ignore' });
  const stop = new AbortController();
  try {
    const pid = caller.pid!;
    const peer: Peer = { connectionId: 'bench', credentials: { pid, uid: process.getuid!(), gid: process.getgid!() }, isStillAlive: async () => true };
    const endpoint: KubeletEndpoint = { kind: 'secure', url: p.kubeletUrl, tokenFile: p.tokenFile, tls: { caPem: readFileSync(p.caFile, 'utf8') } };
    const firstPod = await ipc.call<{ uid: string; containerId: string }>('place-known', { pid, index: 0 });
    // Warm up TLS and the JSON paths with a throwaway source, so the deltas below are the cache.
    const warm = new KubeletPodSource({ endpoint, logger: silentLogger });
    await warm.findPod({ podUid: firstPod.uid, containerId: firstPod.containerId }, stop.signal);
    warm.close();

    const baseline = memory();
    const pods = new KubeletPodSource({ endpoint, minRequestIntervalMs: p.minRequestIntervalMs, logger: silentLogger });
    await pods.findPod({ podUid: firstPod.uid, containerId: firstPod.containerId }, stop.signal);
    const afterKubelet = memory();
    const verifier = new ApiServerPodVerifier({ nodeName: p.nodeName, kubeConfig: { kind: 'kubeconfig', path: p.kubeconfig }, logger: silentLogger });
    void verifier.run(stop.signal);
    while (!verifier.isSynced) await sleepMs(10);
    const afterApiView = memory();

    const attestor = new KubernetesAttestor({ procRoot: p.procRoot, nodeName: p.nodeName, pods, verifier, logger: silentLogger, clock: systemClock });
    const knownMs: number[] = [];
    for (let i = 0; i < p.knownSamples; i++) {
      await ipc.call('place-known', { pid, index: i });
      knownMs.push(await timeAttest(attestor, peer, stop.signal));
    }
    const newMs: number[] = [];
    const before = { kubelet: pods.stats.requests, api: verifier.stats.getRequests };
    for (let i = 0; i < p.newSamples; i++) {
      await sleepMs(p.minRequestIntervalMs + 100); // new pods arrive now and then, not in a storm
      await ipc.call('place-new', { pid });
      newMs.push(await timeAttest(attestor, peer, stop.signal));
    }
    pods.close();
    return {
      baseline,
      afterKubelet,
      afterApiView,
      knownMs,
      newMs,
      newKubeletRequests: pods.stats.requests - before.kubelet,
      newApiGets: verifier.stats.getRequests - before.api,
    };
  } finally {
    stop.abort();
    caller.kill('SIGKILL');
  }
}

async function timeAttest(attestor: KubernetesAttestor, peer: Peer, signal: AbortSignal): Promise<number> {
  const started = process.hrtime.bigint();
  await attestor.attest(peer, signal);
  return elapsedMs(started);
}

/** Memory after two full collections: what is retained, not what is garbage yet. */
function memory(): Memory {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rssBytes: rss, heapUsedBytes: heapUsed };
}
