import { sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import { AlgorithmIdentifier, AltName, Attribute, CertificationRequest, Extension, Extensions, GeneralName, PublicKeyInfo, RelativeDistinguishedNames } from 'pkijs';
import { createCsr, generateKeyPair, toPem } from '../../src/x509/index.js';
import type { KeyPair } from '../../src/x509/index.js';
import { startConjur } from '../doubles/conjur.js';
import type { ConjurDouble, ConjurOptions } from '../doubles/conjur.js';
import { attachExec } from '../doubles/kube-exec.js';
import type { KubeExecDouble } from '../doubles/kube-exec.js';
import { startKubeApi } from '../doubles/kube-api.js';
import type { KubeApiDouble } from '../doubles/kube-api.js';
import { buildPod } from '../support/pod-builder.js';
import type { PodInput } from '../support/pod-builder.js';
import { createTestCa } from '../support/test-ca.js';
import type { TestCa } from '../support/test-ca.js';

// A simulated node for the Conjur double's tests: test CA, Kubernetes API double with exec,
// a kubelet pods directory, the Conjur double (account myorg, service dev, a fake clock), and
// the agent's pod `agents/agent-x` whose `authenticator` container mounts an emptyDir at
// /etc/conjur/ssl. Plus plain node:https requests and CSR builders.

export const ACCOUNT = 'myorg';
export const SERVICE = 'dev';
export const HOST_ID = 'conjur/authn-k8s/dev/apps/agents/service_account/cert-agent';
export const LOGIN = `host/${HOST_ID}`;
export const PREFIX = 'host.conjur.authn-k8s.dev.apps';
export const SUFFIX = 'agents.service_account.cert-agent';
export const SPIFFE_ID = 'spiffe://cluster.local/namespace/agents/podname/agent-x';
export const AUTHENTICATE_PATH = `/authn-k8s/dev/myorg/${encodeURIComponent(LOGIN)}/authenticate`;

export interface Harness {
  readonly ca: TestCa;
  readonly kubeApi: KubeApiDouble;
  readonly exec: KubeExecDouble;
  readonly conjur: ConjurDouble;
  readonly podsDir: string;
  /** The fake clock the double runs on (starts 2025-06-01T12:00Z), unless `options.clock` replaced it. */
  readonly clock: { now(): number; set(ms: number): void };
  readonly agentPodUid: string;
  /** The agent pod's emptyDir behind /etc/conjur/ssl on the node. */
  readonly sslDir: string;
  close(): Promise<void>;
}

export function agentPod(overrides: Partial<PodInput> = {}): PodInput {
  return {
    namespace: 'agents',
    name: 'agent-x',
    nodeName: 'node-1',
    serviceAccount: 'cert-agent',
    containers: [
      { name: 'authenticator', image: 'agent:1', mounts: [{ volume: 'conjur-ssl', mountPath: '/etc/conjur/ssl' }] },
      { name: 'app', image: 'app:1' },
    ],
    volumes: [{ name: 'conjur-ssl', kind: 'memory' }],
    ...overrides,
  };
}

export async function startHarness(options: Partial<ConjurOptions> = {}): Promise<Harness> {
  const ca = await createTestCa();
  const token = 'conjur-service-account-token';
  const kubeApi = await startKubeApi({ ca, token });
  const podsDir = mkdtempSync(join(tmpdir(), 'kubelet-pods-'));
  const exec = attachExec(kubeApi, { kubeletPodsDir: podsDir, token });
  let now = Date.parse('2025-06-01T12:00:00Z');
  const clock = { now: () => now, set: (ms: number) => void (now = ms) };
  const conjur = await startConjur({ ca, account: ACCOUNT, serviceId: SERVICE, kubeApi: { url: kubeApi.url, token, caPem: ca.certPem }, kubeletPodsDir: podsDir, clock, ...options });
  conjur.addHost(HOST_ID);
  const agentPodUid = kubeApi.upsertPod(buildPod(agentPod())).metadata.uid;
  return {
    ca,
    kubeApi,
    exec,
    conjur,
    podsDir,
    clock,
    agentPodUid,
    sslDir: join(podsDir, agentPodUid, 'volumes', 'kubernetes.io~empty-dir', 'conjur-ssl'),
    async close() {
      await conjur.close();
      await exec.close();
      await kubeApi.close();
      rmSync(podsDir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One request on a fresh TLS connection (never reused), optionally with a client certificate. */
export function send(
  url: string,
  ca: TestCa,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer; cert?: string; key?: string },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${options.path}`, { method: options.method ?? 'GET', headers: options.headers, ca: ca.certPem, cert: options.cert, key: options.key, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The reference client's inject: CSR PEM as text/plain with Host-Id-Prefix. */
export function inject(h: Harness, csrPem: string, prefix: string | undefined = PREFIX, extra: Record<string, string> = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'text/plain', ...(prefix === undefined ? {} : { 'host-id-prefix': prefix }), ...extra };
  return send(h.conjur.url, h.ca, { method: 'POST', path: `/authn-k8s/${SERVICE}/inject_client_cert`, headers, body: csrPem });
}

export async function agentCsr(keys: KeyPair, commonName = SUFFIX, uriSan = SPIFFE_ID): Promise<string> {
  return toPem(await createCsr({ ...keys, commonName, uriSan }), 'CERTIFICATE REQUEST');
}

export const newKeys = (): KeyPair => generateKeyPair('ec-p256');

/** A CSR shaped as a test needs: no CN, no extReq, an extReq without SAN, several SANs. */
export function oddCsr(keys: KeyPair, shape: { commonName?: string; extReq?: 'none' | 'no-san'; uris?: string[]; dnsNames?: string[] }): string {
  const names = [...(shape.uris ?? []).map((value) => new GeneralName({ type: 6, value })), ...(shape.dnsNames ?? []).map((value) => new GeneralName({ type: 2, value }))];
  const extension =
    shape.extReq === 'no-san'
      ? new Extension({ extnID: '2.5.29.15', critical: true, extnValue: new asn1js.BitString({ valueHex: Uint8Array.of(0x80), unusedBits: 7 }).toBER(false) })
      : new Extension({ extnID: '2.5.29.17', critical: false, extnValue: new AltName({ altNames: names }).toSchema().toBER(false) });
  const cn = shape.commonName === undefined ? [] : [new asn1js.Set({ value: [new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: '2.5.4.3' }), new asn1js.Utf8String({ value: shape.commonName })] })] })];
  const csr = new CertificationRequest({
    version: 0,
    subject: RelativeDistinguishedNames.fromBER(new asn1js.Sequence({ value: cn }).toBER(false)),
    subjectPublicKeyInfo: PublicKeyInfo.fromBER(keys.publicKey.export({ type: 'spki', format: 'der' })),
    attributes: shape.extReq === 'none' ? [] : [new Attribute({ type: '1.2.840.113549.1.9.14', values: [new Extensions({ extensions: [extension] }).toSchema()] })],
  });
  csr.signatureAlgorithm = new AlgorithmIdentifier({ algorithmId: '1.2.840.10045.4.3.2' });
  const tbs = csr.toSchema(true).valueBlock.value[0]!.toBER(false);
  csr.signatureValue = new asn1js.BitString({ valueHex: sign('sha256', new Uint8Array(tbs), keys.privateKey as KeyObject) });
  return toPem(Buffer.from(csr.toSchema(true).toBER(false)), 'CERTIFICATE REQUEST');
}

/** Inject for the agent pod, wait for the exec's shell, and return the certificate file's text. */
export async function obtainCertificate(h: Harness, keys: KeyPair, commonName = SUFFIX, prefix = PREFIX): Promise<{ reply: Reply; pem: string | undefined }> {
  const reply = await inject(h, await agentCsr(keys, commonName), prefix);
  await h.exec.whenIdle();
  let pem: string | undefined;
  try {
    pem = readFileSync(join(h.sslDir, 'client.pem'), 'utf8');
    rmSync(join(h.sslDir, 'client.pem'));
  } catch {
    pem = undefined;
  }
  return { reply, pem };
}

export function authenticate(h: Harness, cert: { certPem: string; keyPem: string } | undefined, path = AUTHENTICATE_PATH, headers: Record<string, string> = {}): Promise<Reply> {
  return send(h.conjur.url, h.ca, { method: 'POST', path, headers: { 'content-type': 'text/plain', ...headers }, cert: cert?.certPem, key: cert?.keyPem });
}

export function keyPem(keys: KeyPair): string {
  return keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}
