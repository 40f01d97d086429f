import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { systemClock } from '../../src/async/index.js';
import type { Clock } from '../../src/async/index.js';
import type { ContainerInfo, PodInfo, PodSource } from '../../src/attestation/index.js';
import type { ContainerInput, PodInput } from '../support/pod-builder.js';

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

export interface FakePodSourceOptions {
  readonly pods?: readonly PodInfo[];
  /** The bounded wait for a container that is not listed yet; 0 answers at once. */
  readonly waitMs?: number;
  readonly clock?: Clock;
}

/**
 * The kubelet's pod list in memory, with PodSource's semantics: terminal pods are left out, a
 * query's pod UID must match, and an unknown container is waited for (up to `waitMs`, woken by
 * `setPods`). Knobs: `setPods`, `failNext(error, times)`; `requests` counts findPod calls.
 * Run against the same contract as KubeletPodSource (test/unit/attestation/pod-source-contract.ts).
 */
export class FakePodSource implements PodSource {
  requests = 0;
  private pods: readonly PodInfo[];
  private readonly failures: Error[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly waitMs: number;
  private readonly clock: Clock;

  constructor(options: FakePodSourceOptions = {}) {
    this.pods = options.pods ?? [];
    this.waitMs = options.waitMs ?? 0;
    this.clock = options.clock ?? systemClock;
  }

  setPods(pods: readonly PodInfo[]): void {
    this.pods = [...pods];
    for (const wake of [...this.waiters]) wake();
  }

  /** The next `times` calls throw `error` (as a kubelet that answers 500 or not at all). */
  failNext(error: Error, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push(error);
  }

  /** Calls still waiting for their container: 0 once every test call has ended. */
  get pendingWaits(): number {
    return this.waiters.size;
  }

  async findPod(query: { podUid?: string; containerId: string }, signal: AbortSignal): Promise<PodInfo | undefined> {
    this.requests++;
    signal.throwIfAborted();
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    const found = this.lookup(query);
    if (found !== undefined || this.waitMs <= 0) return found;
    return new Promise((resolve, reject) => {
      const finish = (pod: PodInfo | undefined) => {
        cancelTimer();
        this.waiters.delete(check);
        signal.removeEventListener('abort', onAbort);
        resolve(pod);
      };
      const check = () => {
        const pod = this.lookup(query);
        if (pod !== undefined) finish(pod);
      };
      const onAbort = () => {
        cancelTimer();
        this.waiters.delete(check);
        reject(signal.reason);
      };
      const cancelTimer = this.clock.setTimer(() => finish(undefined), this.waitMs);
      this.waiters.add(check);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private lookup(query: { podUid?: string; containerId: string }): PodInfo | undefined {
    return this.pods.find(
      (pod) =>
        !TERMINAL_PHASES.has(pod.phase) &&
        (query.podUid === undefined || pod.uid === query.podUid) &&
        [...pod.containers, ...pod.initContainers].some((c) => c.containerId !== '' && c.containerId === query.containerId),
    );
  }
}

/**
 * The PodInfo a kubelet adapter would parse from `buildPod(input)`: the same pod described once
 * for the fakes and for the doubles. Container ids default to random (as buildPod's do); the
 * imageID digest is derived from the image so tests can predict it.
 */
export function toPodInfo(input: PodInput): PodInfo {
  return {
    uid: input.uid ?? randomUUID(),
    namespace: input.namespace,
    name: input.name,
    nodeName: input.nodeName,
    serviceAccount: input.serviceAccount ?? 'default',
    phase: input.phase ?? 'Running',
    ...(input.deletionTimestamp === undefined ? {} : { deletionTimestamp: input.deletionTimestamp }),
    labels: { ...input.labels },
    annotations: { ...input.annotations },
    ownerReferences: (input.ownerReferences ?? []).map((ref) => ({ ...ref })),
    containers: input.containers.map(toContainerInfo),
    initContainers: (input.initContainers ?? []).map(toContainerInfo),
    volumes: (input.volumes ?? []).map((v) => ({
      name: v.name,
      kind: v.kind === undefined || v.kind === 'emptyDir' || v.kind === 'memory' ? ('emptyDir' as const) : ('other' as const),
    })),
  };
}

/** The registry digest toPodInfo gives an image. */
export function digestOf(image: string): string {
  return `sha256:${createHash('sha256').update(image).digest('hex')}`;
}

function toContainerInfo(input: ContainerInput): ContainerInfo {
  const started = input.containerId !== null;
  const id = input.containerId ?? randomBytes(32).toString('hex');
  return {
    name: input.name,
    image: input.image,
    imageId: started ? `${input.image.replace(/:[^:/]+$/, '')}@${digestOf(input.image)}` : '',
    containerId: started ? id.replace(/^[a-z-]+:\/\//, '') : '',
    volumeMounts: (input.mounts ?? []).map((m) => ({ name: m.volume, mountPath: m.mountPath })),
  };
}
