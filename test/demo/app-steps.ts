import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentLogLine, AgentProcess } from './agent-process.js';
import type { DemoApp, DemoCluster } from './demo-cluster.js';
import type { Narrator } from './narrator.js';
import { duration, expectThat, shortId, utcTime } from './plain-words.js';
import { WorkloadProcess } from './workload-process.js';
import type { WorkloadReport } from './workloads/reporting.js';
import { sha256Of } from './workloads/reporting.js';

// The steps about applications: each one starts or watches sample workloads, waits for what they
// report and for the agent's matching log lines, checks both against what the cluster was set up
// with, and only then says it in plain words.

export interface StepContext {
  readonly say: Narrator;
  readonly signal: AbortSignal;
  readonly cluster: DemoCluster;
  readonly agent: AgentProcess;
}

type Report<E extends WorkloadReport['event']> = Extract<WorkloadReport, { event: E }>;

/** Starts `app` in its pod and narrates attestation and SVID issuance. */
export async function startApp(ctx: StepContext, app: DemoApp, peer: DemoApp, extraEnv: Record<string, string> = {}): Promise<WorkloadProcess> {
  const { say, signal, cluster, agent } = ctx;
  const { node } = cluster;
  say.step(`Start the ${app.name} application inside pod shop/${app.name}`);
  const workload = WorkloadProcess.start(node, app.name, app.name, app.pod, {
    CONJUR_APPLIANCE_URL: node.conjur.url,
    CONJUR_ACCOUNT: node.conjur.account,
    CONJUR_CERT_FILE: node.dirs.conjurCaFile,
    SECRET_ID: app.secretId,
    OTHER_SECRET_ID: peer.secretId,
    PEER_SPIFFE_ID: peer.pod.spiffeId,
    ...extraEnv,
  });
  const pid = workload.pid;
  say.say(`Process ${pid} gets only SPIFFE_ENDPOINT_SOCKET=unix://${node.socketPath} and Conjur's address: no password, no API key`);
  const svid = await workload.next('svid', signal);
  const attested = await agentLine(agent, 'Attested workload', (l) => l['pid'] === pid, signal);
  const issued = await agentLine(agent, 'Issued X509-SVID', (l) => l['component'] === 'conjur-issuer' && l['spiffeId'] === app.pod.spiffeId, signal);
  checkSvid(cluster, app, svid);
  say.say(
    `The agent attested process ${pid}: kernel says the caller is pid ${pid} → cgroup says container ${shortId(String(attested['containerId']))} → ` +
      `kubelet says pod ${String(attested['namespace'])}/${String(attested['podName'])} → API server confirms it runs on ${node.options.nodeName}`,
  );
  say.say(
    `The agent had Conjur issue a certificate for host/${app.hostId}: it made a key and a signing request, Conjur wrote the ` +
      `certificate into the pod's /etc/conjur/ssl, and the agent checked it there (${String(issued['elapsedMs'])} ms)`,
  );
  say.say(`${app.name} got its SVID (X.509 certificate with a SPIFFE ID): ${svid.spiffeId}`);
  say.detail(`issued by  ${svid.issuer}, the CA of Conjur's authenticator ${node.conjur.serviceId}`);
  say.detail(`valid      ${utcTime(svid.notBefore)} to ${utcTime(svid.notAfter)} (${duration(Date.parse(svid.notAfter) - Date.parse(svid.notBefore))}); the agent renews it before then`);
  say.why('the application proved nothing itself and holds no credential: the agent found out who it is from the kernel and Kubernetes.');
  return workload;
}

/** Narrates the app's Conjur token, its own secret and the other app's secret being refused. */
export async function showSecrets(ctx: StepContext, app: DemoApp, peer: DemoApp, workload: WorkloadProcess): Promise<void> {
  const { say, signal } = ctx;
  say.step(`${app.name} gets a Conjur access token and reads its secret`);
  const token = await workload.next('token', signal);
  const secret = await workload.next('secret', signal);
  const refused = await workload.next('secret-refused', signal);
  expectThat(token.login === app.pod.login, `${app.name} got a token for ${token.login}, expected ${app.pod.login}`);
  expectThat(secret.id === app.secretId && secret.sha256 === sha256Of(app.secretValue), `${app.name} read a wrong value for ${app.secretId}`);
  const left = Date.parse(token.expiresAt) - Date.now();
  say.say(`${app.name} got a Conjur access token for ${token.login}, valid for ${duration(left)}: the agent logged in to Conjur for it with its SVID, over mutual TLS`);
  say.say(`${app.name} read secret ${secret.id} with that token: ${secret.masked} (masked here; it matches the value stored in Conjur)`);
  say.say(`${app.name} also asked for ${refused.id}: Conjur answered ${refused.status}, because host/${app.hostId} may not read it (only host/${peer.hostId} may)`);
  say.why("Conjur's own policy still decides which secret each application may read; the agent only proves who is asking.");
}

/** Narrates the mutual-TLS exchange between orders (client) and payments (server). */
export async function showMutualTls(ctx: StepContext, payments: WorkloadProcess, orders: WorkloadProcess, listening: Report<'listening'>): Promise<void> {
  const { say, signal, cluster } = ctx;
  say.step('orders calls payments over HTTPS with mutual TLS');
  const response = await orders.next('response', signal);
  const request = await payments.next('request', signal);
  expectThat(response.peerId === cluster.payments.pod.spiffeId, `orders verified ${response.peerId} instead of payments`);
  expectThat(request.peerId === cluster.orders.pod.spiffeId, `payments verified ${request.peerId} instead of orders`);
  expectThat(response.status === 200, `payments answered HTTP ${response.status}`);
  say.say(`payments serves https://127.0.0.1:${listening.port} with its SVID and accepts only ${listening.accepts}`);
  say.say(`orders presented its own SVID and accepted the server after checking its certificate: trust bundle OK, SPIFFE ID ${response.peerId}`);
  say.say(`payments verified the client's certificate the same way: trust bundle OK, SPIFFE ID ${request.peerId}`);
  say.say(`orders sent:       "${request.message}"`);
  say.say(`payments answered: "${response.message}" (HTTP ${response.status})`);
  say.why('the services trust each other by SPIFFE ID, with certificates they never had to request, store or renew themselves.');
}

/** A process on the host (no pod) asks for an SVID and is refused. */
export async function showHostProcess(ctx: StepContext): Promise<WorkloadProcess> {
  const { say, signal, cluster, agent } = ctx;
  const nodeName = cluster.node.options.nodeName;
  say.step('A process on the node itself, outside any pod, asks the agent for an identity');
  const workload = WorkloadProcess.start(cluster.node, 'host process', 'host-process', undefined, {});
  const pid = workload.pid;
  say.say(`Process ${pid} runs directly on ${nodeName} and connects to the same socket with the same client library`);
  const refused = await workload.next('refused', signal);
  await agentLine(agent, 'Caller is not a workload', (l) => l['pid'] === pid, signal);
  expectThat(refused.code === 'permission-denied', `the host process got "${refused.code}" instead of permission-denied: ${refused.message}`);
  say.say(`The agent attested process ${pid}: kernel says the caller is pid ${pid} → cgroup says ${cgroupOf(cluster, pid)}, which is no pod's container`);
  say.say(`It was refused: PermissionDenied "${detailsOf(refused.message)}"; no certificate, no token`);
  say.why('reaching the socket is not enough: identity comes from where a process runs, as the kernel and Kubernetes report it.');
  return workload;
}

function checkSvid(cluster: DemoCluster, app: DemoApp, svid: Report<'svid'>): void {
  const conjurCa = new X509Certificate(cluster.node.conjur.caCertPem);
  expectThat(svid.spiffeId === app.pod.spiffeId, `${app.name} got ${svid.spiffeId}, expected ${app.pod.spiffeId}`);
  expectThat(svid.issuerFingerprint === conjurCa.fingerprint256, `${app.name}'s SVID was not issued by Conjur's authn-k8s CA`);
}

/** What the (simulated) /proc/<pid>/cgroup says: the path after `0::`. */
function cgroupOf(cluster: DemoCluster, pid: number): string {
  const text = readFileSync(join(cluster.node.dirs.procRoot, String(pid), 'cgroup'), 'utf8');
  return text.trim().replace(/^0::/, '');
}

function agentLine(agent: AgentProcess, message: string, match: (line: AgentLogLine) => boolean, signal: AbortSignal): Promise<AgentLogLine> {
  return agent.log.waitFor((l) => l.msg === message && match(l), `the agent's "${message}" log line`, signal);
}

/** "FetchX509SVID to unix:///… failed: PERMISSION_DENIED: no identity issued" → "no identity issued" */
function detailsOf(message: string): string {
  return /PERMISSION_DENIED: (.*)$/.exec(message)?.[1] ?? message;
}
