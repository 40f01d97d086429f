import type { PodInfo, PodVerifier } from '../../src/attestation/index.js';

/**
 * The API server's pods in memory, by namespace/name. Knobs: `setPods`, `upsertPod`,
 * `deletePod`, `failNext(error, times)` (an API server that is down or answers 500);
 * `requests` counts getPod calls.
 */
export class FakePodVerifier implements PodVerifier {
  requests = 0;
  private readonly pods = new Map<string, PodInfo>();
  private readonly failures: Error[] = [];

  constructor(pods: readonly PodInfo[] = []) {
    this.setPods(pods);
  }

  setPods(pods: readonly PodInfo[]): void {
    this.pods.clear();
    for (const pod of pods) this.upsertPod(pod);
  }

  upsertPod(pod: PodInfo): void {
    this.pods.set(key(pod.namespace, pod.name), pod);
  }

  deletePod(namespace: string, name: string): void {
    this.pods.delete(key(namespace, name));
  }

  failNext(error: Error, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push(error);
  }

  async getPod(namespace: string, name: string, signal: AbortSignal): Promise<PodInfo | undefined> {
    this.requests++;
    signal.throwIfAborted();
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    return this.pods.get(key(namespace, name));
  }
}

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
