import { randomBytes, randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { KubernetesAttestor } from '../../../src/attestation/index.js';
import type { PodInfo } from '../../../src/attestation/index.js';
import type { Peer } from '../../../src/peer/index.js';
import type { Attestor } from '../../../src/workload-api/index.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { FakePodSource, toPodInfo } from '../../fakes/fake-pod-source.js';
import { FakePodVerifier } from '../../fakes/fake-pod-verifier.js';
import { TempProcRoot, spawnWorkload, stopWorkload } from './temp-proc-root.js';
import { recordingLogger } from '../../fakes/recording-logger.js';
import type { LogRecord } from '../../fakes/recording-logger.js';

export const NODE = 'node-a';

export { recordingLogger };
export type { LogRecord };

/** A pod on this node whose `api` container the workload process runs in. */
export function workloadPod(overrides: Partial<Parameters<typeof toPodInfo>[0]> = {}): PodInfo & { apiContainerId: string } {
  const apiContainerId = randomBytes(32).toString('hex');
  const pod = toPodInfo({
    namespace: 'payments',
    name: 'api-7d9f8b6c5d-x2k4q',
    uid: randomUUID(),
    nodeName: NODE,
    serviceAccount: 'payments-api',
    labels: { app: 'payments-api', 'pod-template-hash': '7d9f8b6c5d' },
    annotations: { 'conjur.org/authn-login': 'host/apps/payments-api' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api-7d9f8b6c5d', uid: randomUUID(), controller: true }],
    containers: [
      { name: 'api', image: 'registry.example/payments/api:2.1', containerId: apiContainerId, mounts: [{ volume: 'conjur-ssl', mountPath: '/etc/conjur/ssl' }] },
      { name: 'authenticator', image: 'registry.example/conjur/authn:1.0', mounts: [{ volume: 'conjur-ssl', mountPath: '/etc/conjur/ssl' }] },
    ],
    volumes: [{ name: 'conjur-ssl', kind: 'memory' }, { name: 'config', kind: 'configMap' }],
    ...overrides,
  });
  return { ...pod, apiContainerId };
}

/** The cgroup v2 + systemd + containerd line of a container of `pod`. */
export function cgroupOf(pod: PodInfo, containerId: string): string {
  const uid = pod.uid.replaceAll('-', '_');
  return `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid}.slice/cri-containerd-${containerId}.scope\n`;
}

/** A real child process, a temp procfs root, fakes for the kubelet and the API server, and the attestor over them. */
export class AttestorSetup {
  readonly logs = recordingLogger();
  readonly pods = new FakePodSource();
  readonly verifier = new FakePodVerifier();
  readonly clock = new FakeClock();
  readonly attestor: KubernetesAttestor;

  private constructor(
    readonly proc: TempProcRoot,
    readonly child: ChildProcess & { pid: number },
  ) {
    this.attestor = new KubernetesAttestor({
      procRoot: proc.root,
      nodeName: NODE,
      pods: this.pods,
      verifier: this.verifier,
      logger: this.logs,
      clock: this.clock,
    }) satisfies Attestor;
  }

  static async start(): Promise<AttestorSetup> {
    return new AttestorSetup(await TempProcRoot.create(), await spawnWorkload());
  }

  get pid(): number {
    return this.child.pid;
  }

  peer(): Peer {
    return { connectionId: 'conn-1', credentials: { pid: this.pid, uid: 1000, gid: 1000 }, isStillAlive: async () => true };
  }

  /** Places the child process in `pod`'s container as both the kubelet and the API server see it. */
  async placeIn(pod: PodInfo & { apiContainerId: string }, views: { kubelet?: PodInfo; api?: PodInfo | null } = {}): Promise<void> {
    await this.proc.write(this.pid, 'cgroup', cgroupOf(pod, pod.apiContainerId));
    this.pods.setPods([views.kubelet ?? pod]);
    this.verifier.setPods(views.api === null ? [] : [views.api ?? pod]);
  }

  async close(): Promise<void> {
    await stopWorkload(this.child);
    await this.proc.remove();
  }
}
