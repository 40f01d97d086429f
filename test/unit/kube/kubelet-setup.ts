import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeletPodSource } from '../../../src/kube/index.js';
import type { KubeletPodSourceOptions, KubeletTls } from '../../../src/kube/index.js';
import { startKubelet } from '../../doubles/kubelet.js';
import type { KubeletDouble } from '../../doubles/kubelet.js';
import { buildPod, containerIdOf } from '../../support/pod-builder.js';
import type { PodInput, PodJson } from '../../support/pod-builder.js';
import type { TestCa } from '../../support/test-ca.js';

// A KubeletPodSource wired to a kubelet double over HTTPS, with a real token file, and short
// intervals so tests stay fast on real time. `close()` releases everything.

export const NODE = 'node-a';

export interface KubeletSetup {
  kubelet: KubeletDouble;
  source: KubeletPodSource;
  tokenFile: string;
  /** Atomically replaces the token file, as the kubelet's projected volume does. */
  rotateToken(token: string): Promise<void>;
  close(): Promise<void>;
}

export async function startKubeletSetup(
  ca: TestCa,
  pods: unknown[],
  options: Partial<Omit<KubeletPodSourceOptions, 'endpoint'>> = {},
  tls: { kubeletCa?: TestCa; tls?: KubeletTls } = {},
): Promise<KubeletSetup> {
  const dir = await mkdtemp(join(tmpdir(), 'kubelet-pod-source-'));
  const tokenFile = join(dir, 'token');
  await writeFile(tokenFile, 'token-1\n');
  const kubelet = await startKubelet({ ca: tls.kubeletCa ?? ca, token: 'token-1', pods });
  const source = new KubeletPodSource({
    endpoint: { kind: 'secure', url: kubelet.url, tokenFile, tls: tls.tls ?? { caPem: ca.certPem } },
    minRequestIntervalMs: 20,
    newContainerWaitMs: 300,
    requestTimeoutMs: 2000,
    ...options,
  });
  let rotations = 0;
  return {
    kubelet,
    source,
    tokenFile,
    async rotateToken(token) {
      const next = join(dir, `token.${++rotations}`);
      await writeFile(next, `${token}\n`);
      await rename(next, tokenFile);
    },
    async close() {
      source.close();
      await kubelet.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A running pod on NODE with one started container named `app`. */
export function appPod(name: string, extra: Partial<PodInput> = {}): PodJson {
  return buildPod({ namespace: 'apps', name, nodeName: NODE, serviceAccount: 'app', containers: [{ name: 'app', image: 'registry.example/app:1.2' }], ...extra });
}

export function queryFor(pod: PodJson, containerName = 'app'): { podUid: string; containerId: string } {
  const containerId = containerIdOf(pod, containerName);
  if (!containerId) throw new Error(`container ${containerName} has no id`);
  return { podUid: pod.metadata.uid, containerId };
}
