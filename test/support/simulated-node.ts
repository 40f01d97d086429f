import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startConjur } from '../doubles/conjur.js';
import type { ConjurDouble } from '../doubles/conjur.js';
import { startKubeApi } from '../doubles/kube-api.js';
import type { KubeApiDouble } from '../doubles/kube-api.js';
import { attachExec } from '../doubles/kube-exec.js';
import type { KubeExecDouble } from '../doubles/kube-exec.js';
import { startKubelet } from '../doubles/kubelet.js';
import type { KubeletDouble } from '../doubles/kubelet.js';
import { buildPod, containerIdOf } from './pod-builder.js';
import type { PodJson } from './pod-builder.js';
import { createTestCa } from './test-ca.js';
import type { TestCa } from './test-ca.js';
import { kubeconfigYaml } from './kubeconfig-yaml.js';

// A Kubernetes node made of the doubles, for integration tests, interop tests, benchmarks and
// the demo: an API server (with pods/exec), a kubelet, a Conjur server wired to both, a kubelet
// pods directory and a procfs root where processes are placed in pods by their cgroup file.
// Everything listens on 127.0.0.1 and lives in one temporary directory removed by close().

export const SSL_VOLUME = 'conjur-ssl';
export const SSL_MOUNT = '/etc/conjur/ssl';

export interface SimulatedPod {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly containerName: string;
  readonly containerId: string;
  readonly serviceAccount: string;
  /** The Conjur login of the pod's host (`host/...`). */
  readonly login: string;
  readonly spiffeId: string;
  /** The pod's /etc/conjur/ssl as the node sees it (the emptyDir's directory). */
  readonly sslDir: string;
  readonly json: PodJson;
}

export interface AddPodOptions {
  namespace: string;
  name: string;
  serviceAccount?: string;
  containerName?: string;
  /** Conjur host id without `host/`; default `apps/<namespace>/<name>`. */
  hostId?: string;
  /** Put the pod on another node (for fail-closed tests). */
  nodeName?: string;
  /** Register the host in Conjur (default true). */
  registerHost?: boolean;
  /** Annotate the pod with conjur.org/authn-login (default true). */
  annotateLogin?: boolean;
}

export interface SimulatedNodeOptions {
  nodeName?: string;
  account?: string;
  serviceId?: string;
  trustDomain?: string;
  tokenTtlSeconds?: number;
  clock?: { now(): number };
}

export class SimulatedNode {
  readonly pods = new Map<string, SimulatedPod>();
  private readonly children = new Set<ChildProcess>();

  private constructor(
    readonly options: Required<Omit<SimulatedNodeOptions, 'clock' | 'tokenTtlSeconds'>>,
    readonly ca: TestCa,
    readonly kubeApi: KubeApiDouble,
    readonly exec: KubeExecDouble,
    readonly kubelet: KubeletDouble,
    readonly conjur: ConjurDouble,
    readonly dirs: { root: string; podsDir: string; procRoot: string; socketDir: string; tokenFile: string; caFile: string; kubeconfig: string; conjurCaFile: string },
    readonly apiToken: string,
  ) {}

  static async start(options: SimulatedNodeOptions = {}): Promise<SimulatedNode> {
    const opts = {
      nodeName: options.nodeName ?? 'node-1',
      account: options.account ?? 'demo',
      serviceId: options.serviceId ?? 'dev-cluster',
      trustDomain: options.trustDomain ?? 'cluster.local',
    };
    const root = mkdtempSync(join(tmpdir(), 'simulated-node-'));
    const dirs = {
      root,
      podsDir: join(root, 'kubelet', 'pods'),
      procRoot: join(root, 'proc'),
      socketDir: join(root, 'run'),
      tokenFile: join(root, 'serviceaccount', 'token'),
      caFile: join(root, 'serviceaccount', 'ca.crt'),
      kubeconfig: join(root, 'kubeconfig'),
      conjurCaFile: join(root, 'conjur.pem'),
    };
    for (const dir of [dirs.podsDir, dirs.procRoot, dirs.socketDir, join(root, 'serviceaccount')]) mkdirSync(dir, { recursive: true });
    const ca = await createTestCa({ commonName: 'simulated-cluster-ca' });
    const apiToken = 'agent-service-account-token';
    const kubeApi = await startKubeApi({ ca, token: apiToken });
    const exec = attachExec(kubeApi, { kubeletPodsDir: dirs.podsDir, token: apiToken, tmpRoot: join(root, 'exec-tmp') });
    const kubelet = await startKubelet({ ca, token: apiToken });
    const conjur = await startConjur({
      ca,
      account: opts.account,
      serviceId: opts.serviceId,
      kubeApi: { url: kubeApi.url, token: apiToken, caPem: ca.certPem },
      kubeletPodsDir: dirs.podsDir,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.tokenTtlSeconds ? { tokenTtlSeconds: options.tokenTtlSeconds } : {}),
    });
    writeFileSync(dirs.tokenFile, apiToken);
    writeFileSync(dirs.caFile, ca.certPem);
    writeFileSync(dirs.conjurCaFile, ca.certPem);
    writeFileSync(dirs.kubeconfig, kubeconfigYaml(kubeApi.url, ca.certPem, apiToken, { cluster: 'simulated', user: 'agent' }));
    return new SimulatedNode(opts, ca, kubeApi, exec, kubelet, conjur, dirs, apiToken);
  }

  /**
   * The agent's own pod (the DaemonSet's pod on this node): Conjur injects the agent's certificate
   * into its `authenticator` container, and its host may read the authn-k8s CA variable.
   */
  addAgentPod(): SimulatedPod {
    const pod = this.addPod({
      namespace: 'conjur-spiffe',
      name: 'conjur-spiffe-agent-x7k2q',
      serviceAccount: 'conjur-spiffe-agent',
      containerName: 'authenticator',
      hostId: 'conjur-spiffe/agent',
    });
    this.conjur.permit(`conjur/authn-k8s/${this.options.serviceId}/ca/cert`, ['conjur-spiffe/agent']);
    return pod;
  }

  get socketPath(): string {
    return join(this.dirs.socketDir, 'agent.sock');
  }

  /** A running pod on this node (API server and kubelet), its Conjur host, and its emptyDir on disk. */
  addPod(options: AddPodOptions): SimulatedPod {
    const containerName = options.containerName ?? 'app';
    const serviceAccount = options.serviceAccount ?? options.name;
    const hostId = options.hostId ?? `apps/${options.namespace}/${options.name}`;
    const login = `host/${hostId}`;
    const json = buildPod({
      namespace: options.namespace,
      name: options.name,
      nodeName: options.nodeName ?? this.options.nodeName,
      serviceAccount,
      containers: [{ name: containerName, image: `registry.example/${options.name}:1.0`, mounts: [{ volume: SSL_VOLUME, mountPath: SSL_MOUNT }] }],
      volumes: [{ name: SSL_VOLUME, kind: 'memory' }],
      annotations: options.annotateLogin === false ? {} : { 'conjur.org/authn-login': login },
      labels: { app: options.name },
    });
    const uid = json.metadata.uid;
    const sslDir = join(this.dirs.podsDir, uid, 'volumes', 'kubernetes.io~empty-dir', SSL_VOLUME);
    mkdirSync(sslDir, { recursive: true });
    if (options.registerHost !== false) {
      this.conjur.addHost(hostId, {
        annotations: {
          'authn-k8s/namespace': options.namespace,
          'authn-k8s/service-account': serviceAccount,
          'authn-k8s/authentication-container-name': containerName,
        },
      });
    }
    this.kubeApi.setObject(`/api/v1/namespaces/${options.namespace}/serviceaccounts/${serviceAccount}`, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: serviceAccount, namespace: options.namespace },
    });
    this.kubeApi.upsertPod(json);
    const pod: SimulatedPod = {
      namespace: options.namespace,
      name: options.name,
      uid,
      containerName,
      containerId: containerIdOf(json, containerName)!,
      serviceAccount,
      login,
      spiffeId: `spiffe://${this.options.trustDomain}/namespace/${options.namespace}/podname/${options.name}`,
      sslDir,
      json,
    };
    this.pods.set(`${options.namespace}/${options.name}`, pod);
    this.syncKubelet();
    return pod;
  }

  /** Deletes the pod from the API server and the kubelet (and its volume, as the kubelet would). */
  deletePod(pod: SimulatedPod): void {
    this.pods.delete(`${pod.namespace}/${pod.name}`);
    this.kubeApi.deletePod(pod.namespace, pod.name);
    this.syncKubelet();
  }

  /** Gives `pid` the cgroup file of a process in `pod`'s container (systemd driver, containerd, cgroup v2). */
  placeInPod(pid: number, pod: SimulatedPod): void {
    const dir = join(this.dirs.procRoot, String(pid));
    mkdirSync(dir, { recursive: true });
    const podSlice = `kubepods-besteffort-pod${pod.uid.replace(/-/g, '_')}.slice`;
    writeFileSync(join(dir, 'cgroup'), `0::/kubepods.slice/kubepods-besteffort.slice/${podSlice}/cri-containerd-${pod.containerId}.scope\n`);
    copyStatus(pid, dir);
  }

  /** Gives `pid` the cgroup file of a host process (not in any pod). */
  placeOnHost(pid: number): void {
    const dir = join(this.dirs.procRoot, String(pid));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cgroup'), '0::/user.slice/user-1000.slice/session-2.scope\n');
    copyStatus(pid, dir);
  }

  /**
   * Starts `command` as a real process inside `pod`: a shell waits on stdin until the cgroup
   * file for its pid exists, then execs the command (same pid), so the first call it makes is
   * already attributed to the pod. Killed by close() if still running.
   */
  spawnInPod(pod: SimulatedPod | undefined, command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn('sh', ['-c', 'read _ && exec "$@"', 'sh', command, ...args], {
      ...options,
      stdio: ['pipe', options.stdio === 'inherit' ? 'inherit' : 'pipe', options.stdio === 'inherit' ? 'inherit' : 'pipe'],
      env: { ...process.env, SPIFFE_ENDPOINT_SOCKET: `unix://${this.socketPath}`, ...options.env },
    });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    if (pod) this.placeInPod(child.pid, pod);
    else this.placeOnHost(child.pid);
    child.stdin!.write('\n');
    return child;
  }

  async close(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL');
    await Promise.allSettled([this.conjur.close(), this.exec.close(), this.kubelet.close()]);
    await this.kubeApi.close();
    rmSync(this.dirs.root, { recursive: true, force: true });
  }

  private syncKubelet(): void {
    this.kubelet.setPods([...this.pods.values()].map((p) => p.json));
  }
}

/** The process's real status (uid, gid), which `debug attest` reads when it has only a pid. */
function copyStatus(pid: number, dir: string): void {
  try {
    writeFileSync(join(dir, 'status'), readFileSync(`/proc/${pid}/status`)); // /proc files report size 0: copy by reading
  } catch {
    // The process already exited: attestation will say so.
  }
}

