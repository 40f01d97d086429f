import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/index.js';
import type { AgentConfig, ConfigOverrides } from '../../../src/config/index.js';
import { startConjur } from '../../doubles/conjur.js';
import type { ConjurDouble } from '../../doubles/conjur.js';
import { attachExec } from '../../doubles/kube-exec.js';
import type { KubeExecDouble } from '../../doubles/kube-exec.js';
import { startKubelet } from '../../doubles/kubelet.js';
import type { KubeletDouble } from '../../doubles/kubelet.js';
import { LoopbackListener } from '../../doubles/loopback-listener.js';
import { randomContainerId } from '../pod-builder.js';
import type { PodJson } from '../pod-builder.js';
import { SSL_MOUNT, SSL_VOLUME } from '../simulated-node.js';
import type { SimulatedPod } from '../simulated-node.js';
import { createTestCa } from '../test-ca.js';
import type { TestCa } from '../test-ca.js';
import { REPO_ROOT } from './binaries.js';
import { expectOk } from './kube-http.js';
import type { RealKubeCluster } from './real-kube-cluster.js';
import { TcpProxy } from './tcp-proxy.js';

// One node of a real cluster, for the real-API suite: the agent's Kubernetes objects come from
// `kubectl apply -k daemonset/` on the real API server and the agent authenticates with a token
// of its own service account (bound to its pod, as the kubelet's projected token is), never as
// admin. What a node would run beside the control plane stays the project's doubles, fed from the
// real server's pod objects: the kubelet's /pods (this node's pods, as listed from the API server)
// and the kubelet's exec (through which the Conjur double injects certificates). The Conjur
// double reads pods, service accounts and controllers from the real API server with its own
// service account. The agent reaches the API server through a TcpProxy the test can cut.

export { REPO_ROOT };
export const AGENT_NAMESPACE = 'conjur-spiffe-agent';
export const AGENT_SERVICE_ACCOUNT = 'conjur-spiffe-agent';
const CONJUR_NAMESPACE = 'conjur';
const CONJUR_SERVICE_ACCOUNT = 'conjur-authenticator';
const TRUST_DOMAIN = 'cluster.local';
const STARTED_AT = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export interface RealPodOptions {
  readonly namespace: string;
  readonly name: string;
  readonly serviceAccount?: string;
  readonly containerName?: string;
  /** Conjur host id without `host/`; default `apps/<namespace>/<name>`. */
  readonly hostId?: string;
  /** Another node than this one. */
  readonly nodeName?: string;
  /** Register the host in Conjur (default true). */
  readonly registerHost?: boolean;
  /** false: leave the pod Pending as created (no container started yet); setRunning() later. Default true. */
  readonly running?: boolean;
}

// Conjur's own account as its Helm chart grants it: read pods and their controllers, exec into pods.
const CONJUR_RBAC = `
apiVersion: v1
kind: Namespace
metadata: { name: ${CONJUR_NAMESPACE} }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: ${CONJUR_SERVICE_ACCOUNT}, namespace: ${CONJUR_NAMESPACE} }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: conjur-authenticator }
rules:
  - apiGroups: [""]
    resources: ["pods", "serviceaccounts", "namespaces"]
    verbs: ["get", "list"]
  - apiGroups: ["apps"]
    resources: ["deployments", "statefulsets", "replicasets"]
    verbs: ["get", "list"]
  - apiGroups: [""]
    resources: ["pods/exec"]
    verbs: ["create", "get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: conjur-authenticator }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: conjur-authenticator }
subjects:
  - { kind: ServiceAccount, name: ${CONJUR_SERVICE_ACCOUNT}, namespace: ${CONJUR_NAMESPACE} }
`;

export class RealApiNode {
  readonly pods = new Map<string, SimulatedPod>();
  /** This node's pods as last listed from the API server (what the kubelet double serves). */
  private mirrored = new Map<string, PodJson>();
  /** Container ids chosen for each pod UID at creation (what the kubelet reports once they run). */
  private readonly containers = new Map<string, { name: string; image: string; id: string }[]>();
  private agentTokenBinding: { name: string; token: string } | undefined;

  private constructor(
    readonly cluster: RealKubeCluster,
    readonly nodeName: string,
    readonly ca: TestCa,
    readonly dirs: { root: string; podsDir: string; procRoot: string; socketDir: string; tokenFile: string; caFile: string; kubeletCaFile: string; conjurCaFile: string },
    readonly kubelet: KubeletDouble,
    readonly conjur: ConjurDouble,
    readonly exec: KubeExecDouble,
    private readonly execListener: LoopbackListener,
    readonly proxy: TcpProxy,
    readonly conjurSettings: { account: string; serviceId: string; agentLogin: string },
    private agentPodValue: SimulatedPod | undefined,
  ) {}

  static async start(cluster: RealKubeCluster, options: { nodeName?: string } = {}): Promise<RealApiNode> {
    const nodeName = options.nodeName ?? `node-${randomBytes(3).toString('hex')}`;
    const root = mkdtempSync(join(tmpdir(), 'real-api-node-'));
    const dirs = {
      root,
      podsDir: join(root, 'kubelet', 'pods'),
      procRoot: join(root, 'proc'),
      socketDir: join(root, 'run'),
      tokenFile: join(root, 'serviceaccount', 'token'),
      caFile: join(root, 'serviceaccount', 'ca.crt'),
      kubeletCaFile: join(root, 'kubelet-ca.crt'),
      conjurCaFile: join(root, 'conjur.pem'),
    };
    for (const dir of [dirs.podsDir, dirs.procRoot, dirs.socketDir, join(root, 'serviceaccount')]) mkdirSync(dir, { recursive: true });
    writeFileSync(dirs.caFile, cluster.caPem);

    await cluster.kubectlOk(['apply', '-k', join(REPO_ROOT, 'daemonset')]);
    await cluster.kubectlOk(['apply', '-f', '-'], { input: CONJUR_RBAC });
    const settings = await conjurSettingsOf(cluster);
    const conjurToken = await cluster.requestToken(CONJUR_NAMESPACE, CONJUR_SERVICE_ACCOUNT, { expirationSeconds: 24 * 3600 });

    const ca = await createTestCa({ commonName: 'real-api-node test CA' });
    writeFileSync(dirs.kubeletCaFile, ca.certPem);
    writeFileSync(dirs.conjurCaFile, ca.certPem);
    // The kubelet's exec endpoint as the Conjur double reaches it (on a real node the API server proxies it).
    const execToken = randomBytes(16).toString('hex');
    const execCert = await ca.issueServerCert();
    const execServer = createServer({ cert: execCert.certPem, key: execCert.keyPem }, (_req, res) => res.writeHead(404).end());
    const execListener = new LoopbackListener(execServer);
    const execPort = await execListener.listen();
    let node: RealApiNode | undefined;
    const exec = attachExec({ server: execServer, getPod: (namespace, name) => node?.mirrored.get(`${namespace}/${name}`) as Record<string, unknown> | undefined }, { kubeletPodsDir: dirs.podsDir, token: execToken, tmpRoot: join(root, 'exec-tmp') });
    const conjur = await startConjur({
      ca,
      account: settings.account,
      serviceId: settings.serviceId,
      kubeApi: { url: `https://127.0.0.1:${execPort}`, token: execToken, caPem: ca.certPem },
      podLookup: { url: cluster.url, token: conjurToken, caPem: cluster.caPem },
    });
    const kubelet = await startKubelet({ ca, token: 'no-token-yet' });
    const proxy = await TcpProxy.start(Number(new URL(cluster.url).port));
    node = new RealApiNode(cluster, nodeName, ca, dirs, kubelet, conjur, exec, execListener, proxy, settings, undefined);
    return node;
  }

  get socketPath(): string {
    return join(this.dirs.socketDir, 'agent.sock');
  }

  /** The API server as the agent reaches it (through the proxy). */
  get agentApiServerUrl(): string {
    return `https://127.0.0.1:${this.proxy.port}`;
  }

  get agentPod(): SimulatedPod {
    if (!this.agentPodValue) throw new Error('no agent pod yet: call addAgentPod()');
    return this.agentPodValue;
  }

  /**
   * The DaemonSet's pod on this node, made from the applied DaemonSet's template as its
   * controller would, running; Conjur knows its host; the token file holds a token of its
   * service account bound to it.
   */
  async addAgentPod(): Promise<SimulatedPod> {
    const ds = await expectOk<{ metadata: { name: string; uid: string }; spec: { template: { metadata: Record<string, unknown>; spec: Record<string, unknown> } } }>(
      this.cluster.request('GET', `/apis/apps/v1/namespaces/${AGENT_NAMESPACE}/daemonsets/conjur-spiffe-agent`),
      'the agent DaemonSet',
    );
    const name = `conjur-spiffe-agent-${randomBytes(3).toString('hex').slice(0, 5)}`;
    const body = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...ds.spec.template.metadata,
        name,
        namespace: AGENT_NAMESPACE,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata.name, uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: { ...ds.spec.template.spec, nodeName: this.nodeName },
    };
    const hostId = this.conjurSettings.agentLogin.replace(/^host\//, '');
    const pod = await this.createRunningPod(body, 'authenticator', { hostId, serviceAccount: AGENT_SERVICE_ACCOUNT, namespace: AGENT_NAMESPACE });
    this.conjur.permit(`conjur/authn-k8s/${this.conjurSettings.serviceId}/ca/cert`, [hostId]);
    this.agentPodValue = pod;
    await this.rotateAgentToken();
    return pod;
  }

  /**
   * Writes a fresh token of the agent's service account to the token file the way the kubelet
   * does (a new file swapped in atomically). Each token is bound to its own Secret (as projected
   * tokens are bound to their pod), so `revokePreviousAgentToken()` can make the old one invalid.
   */
  async rotateAgentToken(): Promise<string> {
    const name = `agent-token-${randomBytes(4).toString('hex')}`;
    const secret = await expectOk<{ metadata: { uid: string } }>(
      this.cluster.request('POST', `/api/v1/namespaces/${AGENT_NAMESPACE}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name } }),
      'token binding secret',
    );
    const token = await this.cluster.requestToken(AGENT_NAMESPACE, AGENT_SERVICE_ACCOUNT, { boundObject: { kind: 'Secret', name, uid: secret.metadata.uid } });
    writeFileSync(`${this.dirs.tokenFile}.new`, token, { mode: 0o600 });
    renameSync(`${this.dirs.tokenFile}.new`, this.dirs.tokenFile);
    this.kubelet.setToken(token);
    this.previousBinding = this.agentTokenBinding;
    this.agentTokenBinding = { name, token };
    return token;
  }

  private previousBinding: { name: string; token: string } | undefined;

  /**
   * Deletes the object the previous agent token was bound to, and waits until the API server
   * refuses that token (it caches a token's successful authentication for up to 10 s).
   */
  async revokePreviousAgentToken(): Promise<void> {
    if (!this.previousBinding) throw new Error('no previous agent token');
    const { name, token } = this.previousBinding;
    await expectOk(this.cluster.request('DELETE', `/api/v1/namespaces/${AGENT_NAMESPACE}/secrets/${name}`), 'revoke the previous token');
    this.previousBinding = undefined;
    const review = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };
    const deadline = Date.now() + 30_000;
    while ((await this.cluster.requestAs(token, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', review)).status !== 401) {
      if (Date.now() > deadline) throw new Error('the API server still accepts the revoked token after 30 s');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** The current agent token (what the token file holds). */
  get agentToken(): string {
    return readFileSync(this.dirs.tokenFile, 'utf8');
  }

  /** A workload pod: created in the real API server, its status set Running (as the kubelet would), its emptyDir on disk, its Conjur host registered. */
  async addPod(options: RealPodOptions): Promise<SimulatedPod> {
    const containerName = options.containerName ?? 'app';
    const serviceAccount = options.serviceAccount ?? options.name;
    const hostId = options.hostId ?? `apps/${options.namespace}/${options.name}`;
    await this.cluster.createServiceAccount(options.namespace, serviceAccount);
    const body = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: options.name, namespace: options.namespace, labels: { app: options.name }, annotations: { 'conjur.org/authn-login': `host/${hostId}` } },
      spec: {
        nodeName: options.nodeName ?? this.nodeName,
        serviceAccountName: serviceAccount,
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 30,
        containers: [{ name: containerName, image: `registry.example/${options.name}:1.0`, volumeMounts: [{ name: SSL_VOLUME, mountPath: SSL_MOUNT }] }],
        volumes: [{ name: SSL_VOLUME, emptyDir: { medium: 'Memory' } }],
      },
    };
    return this.createRunningPod(body, containerName, { hostId, serviceAccount, namespace: options.namespace, registerHost: options.registerHost ?? true }, options.running ?? true);
  }

  /**
   * Creates `body` in the API server and (unless `running` is false) reports every container
   * running through the status subresource, as the kubelet would once it started them. The
   * container ids are chosen at creation, so a process can be placed in the pod before it runs.
   */
  async createRunningPod(
    body: { metadata: Record<string, unknown>; spec: Record<string, unknown> },
    containerName: string,
    conjurHost: { hostId: string; serviceAccount: string; namespace: string; registerHost?: boolean },
    running = true,
  ): Promise<SimulatedPod> {
    const namespace = String(body.metadata['namespace']);
    const created = await expectOk<PodJson>(this.cluster.request('POST', `/api/v1/namespaces/${namespace}/pods`, body), `create pod ${namespace}/${String(body.metadata['name'])}`);
    const containers = (created.spec.containers ?? []).map((c) => ({ name: c.name, image: c.image, id: randomContainerId() }));
    this.containers.set(created.metadata.uid, containers);
    const json = running ? await this.patchRunning(created, containers) : created;
    const { uid, name } = json.metadata;
    const sslDir = join(this.dirs.podsDir, uid, 'volumes', 'kubernetes.io~empty-dir', SSL_VOLUME);
    mkdirSync(sslDir, { recursive: true });
    if (conjurHost.registerHost !== false) {
      this.conjur.addHost(conjurHost.hostId, {
        annotations: {
          'authn-k8s/namespace': conjurHost.namespace,
          'authn-k8s/service-account': conjurHost.serviceAccount,
          'authn-k8s/authentication-container-name': containerName,
        },
      });
    }
    const pod: SimulatedPod = {
      namespace,
      name,
      uid,
      containerName,
      containerId: containers.find((c) => c.name === containerName)?.id ?? '',
      serviceAccount: conjurHost.serviceAccount,
      login: `host/${conjurHost.hostId}`,
      spiffeId: `spiffe://${TRUST_DOMAIN}/namespace/${namespace}/podname/${name}`,
      sslDir,
      json,
    };
    this.pods.set(`${namespace}/${name}`, pod);
    await this.syncKubelet();
    return pod;
  }

  /** Reports a pod created with `running: false` running now (status subresource), and feeds the kubelet. */
  async setRunning(pod: SimulatedPod): Promise<PodJson> {
    const json = await this.patchRunning(pod.json, this.containers.get(pod.uid) ?? []);
    await this.syncKubelet();
    return json;
  }

  private patchRunning(pod: PodJson, containers: readonly { name: string; image: string; id: string }[]): Promise<PodJson> {
    const now = STARTED_AT();
    const status = {
      phase: 'Running',
      hostIP: '127.0.0.1',
      podIP: '127.0.0.1',
      startTime: now,
      conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, status: 'True', lastTransitionTime: now })),
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: `${c.image.replace(/:[^:/]+$/, '')}@sha256:${'0'.repeat(64)}`,
        containerID: `containerd://${c.id}`,
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: now } },
      })),
    };
    const { namespace, name } = pod.metadata;
    return expectOk<PodJson>(this.cluster.request('PATCH', `/api/v1/namespaces/${namespace}/pods/${name}/status`, { status }), `status of pod ${namespace}/${name}`);
  }

  /** Deletes the pod at once (grace period 0, as a force delete or a kubelet that finished would). */
  async deletePod(pod: SimulatedPod): Promise<void> {
    const answer = await this.cluster.request('DELETE', `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 });
    if (answer.status !== 200 && answer.status !== 404) throw new Error(`delete pod ${pod.namespace}/${pod.name}: api server returned ${answer.status}`);
    this.pods.delete(`${pod.namespace}/${pod.name}`);
    await this.syncKubelet();
  }

  /** Feeds the kubelet double (and the exec endpoint) this node's pods as the API server lists them now. */
  async syncKubelet(): Promise<void> {
    const list = await expectOk<{ items: PodJson[] }>(this.cluster.request('GET', `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${this.nodeName}`)}`), 'pods of this node');
    this.mirrored = new Map(list.items.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
    this.kubelet.setPods(list.items);
  }

  /** The agent's configuration as the DaemonSet's pod would have it, pointed at this node. */
  agentConfig(overrides: ConfigOverrides = {}): AgentConfig {
    const pod = this.agentPod;
    return loadConfig({
      env: {
        CONJUR_APPLIANCE_URL: this.conjur.url,
        CONJUR_AUTHN_URL: `${this.conjur.url}/authn-k8s/${this.conjurSettings.serviceId}`,
        CONJUR_ACCOUNT: this.conjurSettings.account,
        CONJUR_AUTHN_LOGIN: this.conjurSettings.agentLogin,
        CONJUR_CERT_FILE: this.dirs.conjurCaFile,
        MY_NODE_NAME: this.nodeName,
        MY_POD_NAME: pod.name,
        MY_POD_NAMESPACE: pod.namespace,
      },
      overrides: {
        trustDomain: TRUST_DOMAIN,
        socketPath: this.socketPath,
        procRoot: this.dirs.procRoot,
        kubeletPodsDir: this.dirs.podsDir,
        'kubelet.url': this.kubelet.url,
        'kubelet.tokenFile': this.dirs.tokenFile,
        'kubelet.caFile': this.dirs.kubeletCaFile,
        'kubelet.minRequestInterval': '50ms',
        'kubelet.newContainerWait': '2s',
        'kubernetes.apiServerUrl': this.agentApiServerUrl,
        'kubernetes.tokenFile': this.dirs.tokenFile,
        'kubernetes.caFile': this.dirs.caFile,
        'conjur.agentSslDir': pod.sslDir,
        'metrics.listen': '127.0.0.1:0',
        'health.listen': '127.0.0.1:0',
        shutdownGrace: '1s',
        ...overrides,
      },
    });
  }

  /** Gives `pid` the cgroup file of a process in `pod`'s container (systemd driver, containerd, cgroup v2). */
  placeInPod(pid: number, pod: SimulatedPod): void {
    const dir = join(this.dirs.procRoot, String(pid));
    mkdirSync(dir, { recursive: true });
    const podSlice = `kubepods-besteffort-pod${pod.uid.replace(/-/g, '_')}.slice`;
    writeFileSync(join(dir, 'cgroup'), `0::/kubepods.slice/kubepods-besteffort.slice/${podSlice}/cri-containerd-${pod.containerId}.scope\n`);
  }

  placeOnHost(pid: number): void {
    const dir = join(this.dirs.procRoot, String(pid));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cgroup'), '0::/user.slice/user-1000.slice/session-2.scope\n');
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.conjur.close(), this.exec.close(), this.kubelet.close(), this.proxy.close()]);
    await this.execListener.close();
    rmSync(this.dirs.root, { recursive: true, force: true });
  }
}

/** Account, service id and the agent's login, as the applied ConfigMap says. */
async function conjurSettingsOf(cluster: RealKubeCluster): Promise<{ account: string; serviceId: string; agentLogin: string }> {
  const cm = await expectOk<{ data?: Record<string, string> }>(cluster.request('GET', `/api/v1/namespaces/${AGENT_NAMESPACE}/configmaps/conjur-spiffe-agent`), 'the agent ConfigMap');
  const data = cm.data ?? {};
  const serviceId = (data['CONJUR_AUTHN_URL'] ?? '').split('/').pop() ?? '';
  const account = data['CONJUR_ACCOUNT'] ?? '';
  const agentLogin = data['CONJUR_AUTHN_LOGIN'] ?? '';
  if (!serviceId || !account || !agentLogin) throw new Error('the applied ConfigMap lacks CONJUR_AUTHN_URL, CONJUR_ACCOUNT or CONJUR_AUTHN_LOGIN');
  return { account, serviceId, agentLogin };
}
