import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { ConjurAgentIdentity, ConjurBundleSource, ConjurClient, ConjurIssuer } from '../../src/conjur/index.js';
import type { WorkloadIdentity } from '../../src/identity/index.js';
import type { Logger } from '../../src/log/index.js';
import { SpiffeId, TrustDomain } from '../../src/spiffe/index.js';
import { certificateFacts } from '../../src/x509/index.js';
import { buildPod } from '../support/pod-builder.js';
import type { PodJson } from '../support/pod-builder.js';
import { x509IssuerContract } from '../unit/svid-cache/x509-issuer-contract.js';
import { HOST_ID, LOGIN, startHarness } from './conjur-double-harness.js';
import type { Harness } from './conjur-double-harness.js';

// ConjurIssuer end to end against the Conjur double: real HTTPS and mutual TLS, the real check
// order, injection by WebSocket exec through the Kubernetes API double into a temporary kubelet
// pods directory, and the agent's own identity reading the authn-k8s CA as the trust bundle.

const NODE = 'node-1';
const TD = TrustDomain.parse('cluster.local');
const WORKLOAD_HOST = 'apps/app';

interface LogLine {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

let h: Harness;
let client: ConjurClient;
let agent: ConjurAgentIdentity;
let bundles: ConjurBundleSource;
let issuer: ConjurIssuer;
const lines: LogLine[] = [];
const running = new AbortController();
let background: Promise<unknown>;
let podCount = 0;

const logger: Logger = {
  debug: (message, fields = {}) => void lines.push({ level: 'debug', message, fields }),
  info: (message, fields = {}) => void lines.push({ level: 'info', message, fields }),
  warn: (message, fields = {}) => void lines.push({ level: 'warn', message, fields }),
  error: (message, fields = {}) => void lines.push({ level: 'error', message, fields }),
  child: () => logger,
};

beforeAll(async () => {
  h = await startHarness({ clock: { now: () => Date.now() } });
  h.conjur.addHost(WORKLOAD_HOST, { annotations: { 'authn-k8s/namespace': 'apps' } });
  h.conjur.permit(`conjur/authn-k8s/${h.conjur.serviceId}/ca/cert`, [HOST_ID]);
  h.conjur.setVariable('apps/db/password', 's3cr3t', { permitted: [WORKLOAD_HOST] });
  client = new ConjurClient({
    applianceUrl: h.conjur.url,
    authnUrl: `${h.conjur.url}/authn-k8s/${h.conjur.serviceId}`,
    account: h.conjur.account,
    sslCertificatePem: h.ca.certPem,
    requestTimeoutMs: 5_000,
    retry: { initialMs: 20, maxMs: 100, maxAttempts: 3 },
  });
  agent = new ConjurAgentIdentity({ client, login: LOGIN, podName: 'agent-x', podNamespace: 'agents', trustDomain: TD, certDir: h.sslDir, logger });
  bundles = new ConjurBundleSource({ secrets: agent, serviceId: h.conjur.serviceId, trustDomain: TD, logger });
  issuer = new ConjurIssuer({ client, nodeName: NODE, kubeletPodsDir: h.podsDir, trustBundle: bundles, confirmTimeoutMs: 1_000, logger });
  background = Promise.all([agent.run(running.signal), bundles.run(running.signal)]);
  for await (const _ of bundles.subscribe(running.signal)) break;
});

afterAll(async () => {
  running.abort();
  await background;
  client.close();
  await h.close();
});

/** A new workload pod on this node (app + authenticator sharing an emptyDir at /etc/conjur/ssl). */
function newWorkload(nodeName = NODE): { identity: WorkloadIdentity; pod: PodJson } {
  const name = `app-${++podCount}`;
  const pod = buildPod({
    namespace: 'apps',
    name,
    nodeName,
    serviceAccount: 'app',
    containers: [
      { name: 'app', image: 'app:1', mounts: [{ volume: 'conjur-ssl', mountPath: '/etc/conjur/ssl' }] },
      { name: 'authenticator', image: 'sidecar:1', mounts: [{ volume: 'conjur-ssl', mountPath: '/etc/conjur/ssl' }] },
    ],
    volumes: [{ name: 'conjur-ssl', kind: 'memory' }],
  });
  h.kubeApi.upsertPod(pod);
  const identity: WorkloadIdentity = {
    key: pod.metadata.uid,
    spiffeId: SpiffeId.fromSegments(TD, 'namespace', 'apps', 'podname', name),
    hint: `host/${WORKLOAD_HOST}`,
    conjurLogin: `host/${WORKLOAD_HOST}`,
    facts: {
      kind: 'kubernetes',
      process: { pid: 1000 + podCount, uid: 1000, gid: 1000 },
      namespace: 'apps',
      podName: name,
      podUid: pod.metadata.uid,
      serviceAccount: 'app',
      nodeName,
      containerName: 'app',
      containerId: 'c'.repeat(64),
      image: 'app:1',
      labels: {},
      annotations: {},
      ownerReferences: [],
      mounts: ['app', 'authenticator'].map((containerName) => ({ containerName, volumeName: 'conjur-ssl', mountPath: '/etc/conjur/ssl' })),
      volumes: [{ name: 'conjur-ssl', kind: 'emptyDir' }],
    },
  };
  return { identity, pod };
}

const signal = () => new AbortController().signal;

x509IssuerContract('ConjurIssuer with the Conjur double', async () => ({
  issuer,
  identity: newWorkload().identity,
  now: () => Date.now(),
  trustAnchors: [new X509Certificate(h.conjur.caCertPem).raw],
}));

describe('ConjurIssuer against the Conjur double', () => {
  it('issues a Conjur-signed SVID, authenticates with it, and reads a secret with the pod\'s token', async () => {
    const { identity } = newWorkload();
    const svid = await issuer.issue(identity, signal());
    const facts = certificateFacts(svid.certChain[0]!);
    expect(facts.subjectCommonName).toBe('host.apps.app');
    expect(facts.uriSans).toEqual([identity.spiffeId.toString()]);
    expect(new X509Certificate(svid.certChain[0]!).verify(new X509Certificate(h.conjur.caCertPem).publicKey)).toBe(true);

    const token = await issuer.fetchToken(identity, svid, signal());
    expect(token.login).toBe('host/apps/app');
    expect(token.expiresAt - token.issuedAt).toBe(480_000);
    expect((await client.fetchSecret('apps/db/password', token, signal())).toString()).toBe('s3cr3t');
  });

  it('serves the authn-k8s CA, read by the agent as itself, as the trust bundle', () => {
    const authorities = bundles.current()?.get('cluster.local')?.authorities ?? [];
    expect(authorities.map((der) => new X509Certificate(der).fingerprint256)).toEqual([new X509Certificate(h.conjur.caCertPem).fingerprint256]);
    expect(agent.state.kind).toBe('ready');
  });

  it('never sends a CSR for a pod on another node', async () => {
    const before = h.conjur.calls.inject;
    const { identity } = newWorkload('node-2');
    await expect(issuer.issue(identity, signal())).rejects.toMatchObject({ code: 'denied' });
    expect(h.conjur.calls.inject).toBe(before);
  });

  const confirmFailures = [
    { mode: 'wrong-key', check: 'public-key' },
    { mode: 'wrong-san', check: 'spiffe-id' },
    { mode: 'wrong-cn', check: 'common-name' },
    { mode: 'other-ca', check: 'issuer' },
    { mode: 'expired', check: 'validity' },
  ] as const;
  for (const c of confirmFailures) {
    it(`fails closed on an injected certificate with ${c.mode}, logging the ${c.check} check`, async () => {
      const { identity } = newWorkload();
      h.conjur.injection.mode = c.mode;
      try {
        await expect(issuer.issue(identity, signal())).rejects.toMatchObject({ code: 'confirm-failed', check: c.check });
      } finally {
        h.conjur.injection.mode = 'normal';
      }
      expect(failureLine(identity)).toMatchObject({ level: 'error', fields: { reason: c.check } });
    });
  }

  it('reports a certificate that never arrives as unavailable after the confirm timeout', async () => {
    const { identity } = newWorkload();
    h.conjur.injection.mode = 'never';
    try {
      await expect(issuer.issue(identity, signal())).rejects.toMatchObject({ code: 'unavailable', message: 'injected certificate did not arrive within 1000 ms' });
    } finally {
      h.conjur.injection.mode = 'normal';
    }
    expect(failureLine(identity)).toMatchObject({ level: 'warn', fields: { reason: 'unavailable' } });
  });

  for (const status of [401, 403]) {
    it(`maps Conjur's ${status} on inject to denied without retrying`, async () => {
      const { identity } = newWorkload();
      const before = h.conjur.calls.inject;
      h.conjur.failNext('inject', status);
      await expect(issuer.issue(identity, signal())).rejects.toMatchObject({ code: 'denied', status });
      expect(h.conjur.calls.inject).toBe(before + 1);
      expect(failureLine(identity)).toMatchObject({ level: 'warn', fields: { status } });
    });
  }

  it('is denied (403) for a host without authenticate permission', async () => {
    const { identity } = newWorkload();
    h.conjur.addHost('apps/no-permission', { annotations: { 'authn-k8s/namespace': 'apps' }, canAuthenticate: false });
    const denied = { ...identity, conjurLogin: 'host/apps/no-permission' };
    await expect(issuer.issue(denied, signal())).rejects.toMatchObject({ code: 'denied', status: 403 });
  });

  it('serves nothing when the pod is deleted between inject and confirm', async () => {
    const { identity, pod } = newWorkload();
    // Conjur answers 202 and execs 200 ms later; the pod is deleted as soon as the 202 is in.
    const deletingClient = {
      injectClientCert: async (csrPem: string, prefix: string, s: AbortSignal) => {
        await client.injectClientCert(csrPem, prefix, s);
        h.kubeApi.deletePod('apps', pod.metadata.name);
      },
      authenticate: client.authenticate.bind(client),
    };
    const racing = new ConjurIssuer({ client: deletingClient, nodeName: NODE, kubeletPodsDir: h.podsDir, trustBundle: bundles, confirmTimeoutMs: 1_000, logger });
    h.conjur.injection.delayMs = 200;
    try {
      await expect(racing.issue(identity, signal())).rejects.toMatchObject({ code: 'unavailable' });
    } finally {
      h.conjur.injection.delayMs = 0;
    }
    expect(failureLine(identity)).toMatchObject({ level: 'warn', fields: { reason: 'unavailable' } });
  });

  it('gets no token for an SVID whose pod was deleted', async () => {
    const { identity, pod } = newWorkload();
    const svid = await issuer.issue(identity, signal());
    h.kubeApi.deletePod('apps', pod.metadata.name);
    await expect(issuer.fetchToken(identity, svid, signal())).rejects.toMatchObject({ code: 'denied', status: 401 });
  });

  it('never logs key or token material', () => {
    expect(JSON.stringify(lines)).not.toMatch(/BEGIN|PRIVATE|"raw"|protected|payload/);
  });
});

function failureLine(identity: WorkloadIdentity): LogLine | undefined {
  return lines.find((l) => l.message === 'X509-SVID issuance failed' && l.fields['spiffeId'] === identity.spiffeId.toString());
}
