import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestCa } from '../test-ca.js';
import { findOrBuildRealKubeBinaries } from './binaries.js';
import type { RealKubeBinaries } from './binaries.js';
import { GuardedProcess } from './guarded-process.js';
import { expectOk, kubeRequest } from './kube-http.js';
import type { KubeAnswer, KubeMethod } from './kube-http.js';
import { kubeconfigYaml } from '../kubeconfig-yaml.js';

// A real Kubernetes control plane for tests: etcd and kube-apiserver (built from the pinned Go
// module, see binaries.ts) on free loopback ports, with a self-made CA, RBAC on, a
// service-account signing key and issuer, an admin (group system:masters) token and kubeconfig,
// and kubectl. No kubelet, scheduler or controller-manager runs: tests set pod status through the
// status subresource, delete with grace period 0, create the service accounts their pods use
// (nothing makes `default` in a new namespace), and use unique namespaces. Everything lives in one
// temporary directory; close() stops both processes and removes it, and the processes die by
// themselves if the test process goes away (guarded-process.ts).

export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface RealKubeClusterOptions {
  /** Default: found in the cache or built (minutes, once per machine). */
  readonly binaries?: RealKubeBinaries;
  /** How long to wait for /readyz after each start. Default 120 s (a loaded 2-core machine). */
  readonly readyTimeoutMs?: number;
  /** Extra kube-apiserver flags (`--flag=value`), e.g. admission settings. */
  readonly apiServerFlags?: readonly string[];
}

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface TokenOptions {
  /** At least 600 (the API server's minimum). Default 3600. */
  readonly expirationSeconds?: number;
  /** Bind the token to an object: it stops being valid when that object is deleted (as kubelet-projected tokens are bound to their pod). */
  readonly boundObject?: { readonly kind: 'Pod' | 'Secret'; readonly name: string; readonly uid: string };
  readonly audiences?: readonly string[];
}

interface Ports {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly apiServer: number;
}

export class RealKubeCluster {
  private apiServer: GuardedProcess | undefined;
  private closed = false;

  private constructor(
    readonly binaries: RealKubeBinaries,
    readonly dir: string,
    private readonly ports: Ports,
    readonly caPem: string,
    readonly adminToken: string,
    private readonly etcd: GuardedProcess,
    private readonly options: RealKubeClusterOptions,
  ) {}

  static async start(options: RealKubeClusterOptions = {}): Promise<RealKubeCluster> {
    const binaries = options.binaries ?? (await findOrBuildRealKubeBinaries());
    const dir = mkdtempSync(join(tmpdir(), 'real-kube-'));
    try {
      const ports = { etcdClient: await freePort(), etcdPeer: await freePort(), apiServer: await freePort() };
      const adminToken = randomBytes(24).toString('hex');
      const ca = await writeCredentials(dir, adminToken);
      const etcd = startEtcd(binaries, dir, ports);
      const cluster = new RealKubeCluster(binaries, dir, ports, ca, adminToken, etcd, options);
      try {
        await waitForEtcd(ports.etcdClient, etcd, join(dir, 'etcd.log'));
        await cluster.startApiServer();
        writeFileSync(cluster.adminKubeconfig, kubeconfigYaml(cluster.url, ca, adminToken, { cluster: 'real-kube', user: 'admin', context: 'admin' }));
      } catch (error) {
        await cluster.close();
        throw error;
      }
      return cluster;
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** `https://127.0.0.1:<port>` */
  get url(): string {
    return `https://127.0.0.1:${this.ports.apiServer}`;
  }

  /** The cluster CA as a file (what a pod finds at .../serviceaccount/ca.crt). */
  get caFile(): string {
    return join(this.dir, 'pki', 'ca.crt');
  }

  /** A kubeconfig for the admin user (group system:masters). */
  get adminKubeconfig(): string {
    return join(this.dir, 'admin.kubeconfig');
  }

  /** etcd's client URL (plain HTTP on loopback). */
  get etcdUrl(): string {
    return `http://127.0.0.1:${this.ports.etcdClient}`;
  }

  get isApiServerRunning(): boolean {
    return this.apiServer?.isRunning ?? false;
  }

  /** One request as admin. */
  request<T = Record<string, unknown>>(method: KubeMethod, path: string, body?: unknown, contentType?: string): Promise<KubeAnswer<T>> {
    return kubeRequest<T>({ url: this.url, caPem: this.caPem }, this.adminToken, method, path, body, contentType ? { contentType } : {});
  }

  /** One request with another bearer token (a service account's). */
  requestAs<T = Record<string, unknown>>(token: string, method: KubeMethod, path: string, body?: unknown): Promise<KubeAnswer<T>> {
    return kubeRequest<T>({ url: this.url, caPem: this.caPem }, token, method, path, body);
  }

  /** kubectl with the admin kubeconfig (or `--token` in `args` to act as someone else). */
  kubectl(args: readonly string[], options: { input?: string; cwd?: string } = {}): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.binaries.kubectl, ['--kubeconfig', this.adminKubeconfig, ...args], {
        cwd: options.cwd,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: this.dir },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
      child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      child.stdin.end(options.input ?? '');
    });
  }

  /** Like kubectl(), but throws with kubectl's stderr unless it exits 0. */
  async kubectlOk(args: readonly string[], options: { input?: string; cwd?: string } = {}): Promise<string> {
    const result = await this.kubectl(args, options);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
    return result.stdout;
  }

  /** A service-account token from the TokenRequest API, as the kubelet gets for a projected volume. */
  async requestToken(namespace: string, serviceAccount: string, options: TokenOptions = {}): Promise<string> {
    const spec: Record<string, unknown> = { expirationSeconds: options.expirationSeconds ?? 3600 };
    if (options.audiences) spec['audiences'] = options.audiences;
    if (options.boundObject) spec['boundObjectRef'] = { apiVersion: 'v1', ...options.boundObject };
    const body = await expectOk<{ status?: { token?: string } }>(
      this.request('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec }),
      `token for ${namespace}/${serviceAccount}`,
    );
    const token = body.status?.token;
    if (!token) throw new Error(`token request for ${namespace}/${serviceAccount} returned no token`);
    return token;
  }

  /** A new namespace named `<prefix>-<random>` with a service account `default` (no controller makes one). */
  async createNamespace(prefix: string, labels: Record<string, string> = {}): Promise<string> {
    const name = `${prefix}-${randomBytes(3).toString('hex')}`;
    await expectOk(this.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } }), `namespace ${name}`);
    await this.createServiceAccount(name, 'default');
    return name;
  }

  async createServiceAccount(namespace: string, name: string): Promise<void> {
    const answer = await this.request('POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } });
    if (answer.status !== 201 && answer.status !== 409) throw new Error(`service account ${namespace}/${name}: api server returned ${answer.status}`);
  }

  /** Stops kube-apiserver (SIGTERM); etcd keeps the data. */
  async stopApiServer(): Promise<void> {
    await this.apiServer?.stop(10_000);
    this.apiServer = undefined;
  }

  /** Starts kube-apiserver on the same port, CA and keys, and waits until /readyz answers 200. */
  async startApiServer(): Promise<void> {
    if (this.isApiServerRunning) return;
    const logFile = join(this.dir, 'kube-apiserver.log');
    this.apiServer = new GuardedProcess('kube-apiserver', this.binaries.kubeApiserver, apiServerArgs(this.dir, this.ports, this.options.apiServerFlags ?? []), logFile);
    await this.waitReady(this.apiServer, logFile);
  }

  /** The API server restarted as an operator (or an upgrade) would: stop, then start. */
  async restartApiServer(): Promise<void> {
    await this.stopApiServer();
    await this.startApiServer();
  }

  /**
   * Compacts etcd's history up to its current revision (as kube-apiserver does every 5 minutes):
   * a watch or list from any older resourceVersion then gets 410 Gone. Returns the revision.
   */
  async compactEtcd(): Promise<number> {
    const range = await etcdPost(this.ports.etcdClient, '/v3/kv/range', { key: Buffer.from('/').toString('base64') });
    const revision = Number((range as { header?: { revision?: string } }).header?.revision);
    if (!Number.isFinite(revision) || revision <= 0) throw new Error(`etcd returned no revision: ${JSON.stringify(range)}`);
    await etcdPost(this.ports.etcdClient, '/v3/kv/compaction', { revision: String(revision), physical: true });
    return revision;
  }

  /** The last lines of a component's log, for failure messages. */
  logTail(component: 'etcd' | 'kube-apiserver', lines = 30): string {
    const file = join(this.dir, `${component}.log`);
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n') : '';
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stopApiServer();
    await this.etcd.stop(5000);
    if (process.env['REAL_KUBE_KEEP'] === '1') return void console.warn(`real-kube: kept ${this.dir}`);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async waitReady(proc: GuardedProcess, logFile: string): Promise<void> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 120_000);
    while (Date.now() < deadline) {
      if (!proc.isRunning) throw new Error(`kube-apiserver exited during start:\n${tail(logFile)}`);
      const ready = await this.request('GET', '/readyz').catch(() => undefined);
      if (ready?.status === 200) return;
      await delay(200);
    }
    throw new Error(`kube-apiserver was not ready within ${this.options.readyTimeoutMs ?? 120_000} ms:\n${tail(logFile)}`);
  }
}

async function writeCredentials(dir: string, adminToken: string): Promise<string> {
  const pki = join(dir, 'pki');
  mkdirSync(pki, { recursive: true });
  const ca = await createTestCa({ commonName: 'real-kube test cluster CA' });
  const serving = await ca.issueServerCert({
    dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    ipAddresses: ['127.0.0.1'],
  });
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(join(pki, 'ca.crt'), ca.certPem);
  writeFileSync(join(pki, 'apiserver.crt'), serving.certPem);
  writeFileSync(join(pki, 'apiserver.key'), serving.keyPem, { mode: 0o600 });
  writeFileSync(join(pki, 'sa.key'), privateKey.export({ type: 'sec1', format: 'pem' }), { mode: 0o600 });
  writeFileSync(join(pki, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  // Static token file: token,user,uid,"groups"
  writeFileSync(join(pki, 'tokens.csv'), `${adminToken},admin,admin-uid,"system:masters"\n`, { mode: 0o600 });
  return ca.certPem;
}

function startEtcd(binaries: RealKubeBinaries, dir: string, ports: Ports): GuardedProcess {
  const client = `http://127.0.0.1:${ports.etcdClient}`;
  const peer = `http://127.0.0.1:${ports.etcdPeer}`;
  return new GuardedProcess(
    'etcd',
    binaries.etcd,
    [
      '--name=default',
      `--data-dir=${join(dir, 'etcd-data')}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=default=${peer}`,
      '--log-level=warn',
      // A test cluster's data is thrown away: skipping fsync keeps a loaded machine's disk out of the timings.
      '--unsafe-no-fsync=true',
    ],
    join(dir, 'etcd.log'),
  );
}

function apiServerArgs(dir: string, ports: Ports, extra: readonly string[]): string[] {
  const pki = join(dir, 'pki');
  return [
    `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${ports.apiServer}`,
    `--tls-cert-file=${join(pki, 'apiserver.crt')}`,
    `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
    `--client-ca-file=${join(pki, 'ca.crt')}`,
    `--token-auth-file=${join(pki, 'tokens.csv')}`,
    '--authorization-mode=Node,RBAC',
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${join(pki, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
    // Only the built-in `kubernetes` Service gets an address from it; nothing routes there.
    '--service-cluster-ip-range=10.96.0.0/24',
    '--allow-privileged=true',
    '--profiling=false',
    '--v=1',
    ...extra,
  ];
}

async function waitForEtcd(port: number, etcd: GuardedProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (!etcd.isRunning) throw new Error(`etcd exited during start:\n${tail(logFile)}`);
    const healthy = await etcdGet(port, '/health').catch(() => undefined);
    if (healthy && /"health":\s*"true"/.test(healthy)) return;
    await delay(100);
  }
  throw new Error(`etcd was not healthy within 60 s:\n${tail(logFile)}`);
}

function etcdGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET', agent: false, timeout: 2000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (t: string) => (text += t));
      res.on('end', () => resolve(text));
    });
    req.on('timeout', () => req.destroy(new Error('etcd timed out')));
    req.on('error', reject);
    req.end();
  });
}

function etcdPost(port: number, path: string, body: unknown): Promise<unknown> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': payload.length } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (t: string) => (text += t));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`etcd ${path} returned ${res.statusCode}: ${text}`));
          resolve(JSON.parse(text) as unknown);
        });
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`etcd ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function tail(file: string, lines = 30): string {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n') : '(no log)';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
