import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LatestValue, systemClock } from '../../../src/async/index.js';
import type { Clock } from '../../../src/async/index.js';
import { ConjurIssuer } from '../../../src/conjur/index.js';
import type { Logger } from '../../../src/log/index.js';
import { TrustDomain, bundleSetOf } from '../../../src/spiffe/index.js';
import type { BundleSet } from '../../../src/spiffe/index.js';
import { certificateFacts } from '../../../src/x509/index.js';
import { createTestCa } from '../../support/test-ca.js';
import type { TestCa } from '../../support/test-ca.js';
import { x509IssuerContract } from '../svid-cache/x509-issuer-contract.js';
import { FakeConjurClient } from './fake-conjur-client.js';
import { podIdentity, sslDirOf } from './pod-identity.js';
import { FakeBundleSource } from '../../fakes/fake-bundle-source.js';

let ca: TestCa;
let podsDir: string;

beforeAll(async () => {
  ca = await createTestCa({ keyType: 'rsa-2048', commonName: 'conjur.authn-k8s.dev' });
  podsDir = await mkdtemp(join(tmpdir(), 'kubelet-pods-'));
});
afterAll(async () => {
  await rm(podsDir, { recursive: true, force: true });
});

function recordingLogger(lines: { level: string; message: string; fields: Record<string, unknown> }[]): Logger {
  const at = (level: string) => (message: string, fields: Record<string, unknown> = {}) => void lines.push({ level, message, fields });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

function setup(identity = podIdentity(), logger?: Logger) {
  const conjur = new FakeConjurClient(ca, systemClock, () => sslDirOf(podsDir, identity));
  const trustBundle = FakeBundleSource.of('cluster.local', ca.certDer);
  const issuer = new ConjurIssuer({ client: conjur, nodeName: 'node-1', kubeletPodsDir: podsDir, trustBundle, confirmTimeoutMs: 300, logger });
  return { conjur, issuer, identity };
}

const signal = () => new AbortController().signal;

x509IssuerContract('ConjurIssuer with a fake Conjur client', async () => {
  const { issuer, identity } = setup(podIdentity({ podUid: `uid-${Math.random().toString(16).slice(2)}` }));
  return { issuer, identity, now: () => Date.now(), trustAnchors: [ca.certDer] };
});

describe('ConjurIssuer (unit, fake Conjur client)', () => {
  it('issues into the pod volume on the node and returns leaf, PKCS#8 key and hint', async () => {
    const { issuer, identity, conjur } = setup();
    const svid = await issuer.issue(identity, signal());
    const facts = certificateFacts(svid.certChain[0]!);
    expect(facts.subjectCommonName).toBe('host.conjur.authn-k8s.dev.apps.apps.service_account.app');
    expect(svid.hint).toBe(identity.hint);
    expect(conjur.calls.inject).toBe(1);
    // The workload's volume is read-only to the agent: the file is left where Conjur put it.
    expect(existsSync(join(sslDirOf(podsDir, identity), 'client.pem'))).toBe(true);
  });

  it('never sends a CSR for a pod on another node', async () => {
    const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
    const { issuer, conjur, identity } = setup(podIdentity({ nodeName: 'node-2', podUid: 'uid-other-node' }), recordingLogger(lines));
    await expect(issuer.issue(identity, signal())).rejects.toMatchObject({ code: 'denied', message: 'pod runs on node node-2, not on this node' });
    expect(conjur.calls.inject).toBe(0);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'X509-SVID issuance failed' }));
  });

  it('sends nothing for a pod without an emptyDir at /etc/conjur/ssl', async () => {
    const { issuer, conjur, identity } = setup(podIdentity({ sslVolumeKind: 'other', podUid: 'uid-no-emptydir' }));
    await expect(issuer.issue(identity, signal())).rejects.toMatchObject({ code: 'denied' });
    expect(conjur.calls.inject).toBe(0);
  });

  it('sends nothing while the authn-k8s CA is not known yet', async () => {
    const identity = podIdentity({ podUid: 'uid-no-bundle' });
    const conjur = new FakeConjurClient(ca, systemClock, () => sslDirOf(podsDir, identity));
    const issuer = new ConjurIssuer({ client: conjur, nodeName: 'node-1', kubeletPodsDir: podsDir, trustBundle: new FakeBundleSource(), bundleWaitMs: 50 });
    await expect(issuer.issue(identity, signal())).rejects.toMatchObject({ code: 'unavailable' });
    expect(conjur.calls.inject).toBe(0);
  });

  it('lets a caller that came before the trust bundle go on when the bundle loads (told, not polled: this clock fires no timer)', async () => {
    const identity = podIdentity({ podUid: 'uid-late-bundle' });
    const conjur = new FakeConjurClient(ca, systemClock, () => sslDirOf(podsDir, identity));
    const bundles = new LatestValue<BundleSet>();
    const noTimers: Clock = { now: () => Date.now(), setTimer: () => () => {} };
    const trustBundle = { current: () => bundles.get(), subscribe: (s: AbortSignal) => bundles.subscribe(s) };
    const issuer = new ConjurIssuer({ client: conjur, nodeName: 'node-1', kubeletPodsDir: podsDir, trustBundle, confirmTimeoutMs: 300, clock: noTimers });
    const issuing = issuer.issue(identity, signal());
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(conjur.calls.inject).toBe(0);
    bundles.set(bundleSetOf({ trustDomain: TrustDomain.parse('cluster.local'), authorities: [ca.certDer] }));
    const svid = await issuing;
    expect(svid.id.equals(identity.spiffeId)).toBe(true);
    expect(conjur.calls.inject).toBe(1);
  });

  it('logs the failed confirm check at error level and serves nothing', async () => {
    const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
    const { issuer, conjur, identity } = setup(podIdentity({ podUid: 'uid-wrong-key' }), recordingLogger(lines));
    conjur.injection = 'wrong-key';
    await expect(issuer.issue(identity, signal())).rejects.toMatchObject({ code: 'confirm-failed', check: 'public-key' });
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', fields: expect.objectContaining({ reason: 'public-key' }) }));
    expect(JSON.stringify(lines)).not.toMatch(/PRIVATE KEY|BEGIN/);
  });

  it('fetches a token over mutual TLS credentials built from the SVID', async () => {
    const { issuer, identity } = setup(podIdentity({ podUid: 'uid-token' }));
    const svid = await issuer.issue(identity, signal());
    const token = await issuer.fetchToken(identity, svid, signal());
    expect(token.login).toBe(identity.conjurLogin);
  });
});
