import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import type { Agent } from '../../src/agent.js';
import type { X509SVIDResponse__Output } from '../../src/gen/X509SVIDResponse.js';
import type { FetchConjurTokenResponse__Output } from '../../src/gen/conjur/spiffe/v1/FetchConjurTokenResponse.js';
import { SimulatedNode } from '../support/simulated-node.js';
import type { SimulatedPod } from '../support/simulated-node.js';
import { runWorkload } from '../support/pod-workload.js';
import type { WorkloadReport } from '../support/pod-workload.js';
import { StreamReader } from '../support/workload-client.js';
import { expectClosedCleanly, linesOf, splitDerCertificates, startRecordedAgent } from './e2e-harness.js';
import type { LogRecord } from './e2e-harness.js';
import { closeAll, describeOutcome, firstX509, openPodCaller, openPodCallers } from './pod-caller.js';
import type { PodCaller } from './pod-caller.js';

// Issue 4 end to end: every pod gets an X509-SVID signed by Conjur's authn-k8s CA through
// inject-and-confirm, and a Conjur access token for its own host, served over the agent's socket
// to real processes in the pod; what one pod gets never reaches another; a pod that goes away
// loses its credentials at once.

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('Conjur-signed SVIDs and Conjur tokens over the Workload API socket', () => {
  let node: SimulatedNode;
  let agent: Agent;
  let logs: LogRecord[];
  let payments: SimulatedPod;
  let orders: SimulatedPod;
  let callers: PodCaller[] = [];
  const reports = new Map<SimulatedPod, WorkloadReport[]>();

  const caller = async (pod: SimulatedPod) => {
    const c = await openPodCaller(node, pod);
    callers.push(c);
    return c;
  };

  beforeAll(async () => {
    node = await SimulatedNode.start();
    payments = node.addPod({ namespace: 'shop', name: 'payments-6c9f7' });
    orders = node.addPod({ namespace: 'shop', name: 'orders-5d8b4' });
    node.conjur.setVariable('shop/payments/db-password', 'payments-s3cr3t', { permitted: ['apps/shop/payments-6c9f7'] });
    node.conjur.setVariable('shop/orders/db-password', 'orders-s3cr3t', { permitted: ['apps/shop/orders-5d8b4'] });
    ({ agent, logs } = await startRecordedAgent(node, { overrides: { 'kubelet.newContainerWait': '500ms' } }));
    // Each pod's workload fetches its SVID and token and reads its own secret, at the same time.
    const [a, b] = await Promise.all([
      runWorkload(node, payments, 'token-secret', { SECRET_ID: 'shop/payments/db-password' }),
      runWorkload(node, orders, 'token-secret', { SECRET_ID: 'shop/orders/db-password' }),
    ]);
    reports.set(payments, a).set(orders, b);
  });
  afterEach(async () => {
    await closeAll(callers);
    callers = [];
  });
  afterAll(async () => {
    await agent?.close(500);
    if (agent) expectClosedCleanly(agent);
    await node?.close();
  });

  it('gives each pod a Conjur-signed SVID naming the pod, a bundle that verifies it, and a token that reads its own secret', async () => {
    const [a, b] = [reports.get(payments)!, reports.get(orders)!];
    const conjurCa = new X509Certificate(node.conjur.caCertPem);
    for (const [pod, got, secret] of [[payments, a, 'payments-s3cr3t'], [orders, b, 'orders-s3cr3t']] as const) {
      expect(got.map((r) => r.event)).toEqual(['svid', 'token', 'secret']);
      const [svid, token, read] = got as [WorkloadReport, WorkloadReport, WorkloadReport];
      expect(svid).toMatchObject({ spiffeId: pod.spiffeId, hint: pod.login });
      const [leaf, ...rest] = splitDerCertificates(Buffer.from(svid.certDer!, 'base64'));
      expect(rest).toHaveLength(0);
      expect(leaf!.subjectAltName).toBe(`URI:${pod.spiffeId}`);
      expect(leaf!.subject).toBe(`CN=${pod.login.replaceAll('/', '.')}`);
      const bundle = splitDerCertificates(Buffer.from(svid.bundleDer!, 'base64'));
      expect(bundle.map((c) => c.fingerprint256)).toEqual([conjurCa.fingerprint256]);
      expect(leaf!.checkIssued(bundle[0]!) && leaf!.verify(bundle[0]!.publicKey)).toBe(true);
      expect(token).toMatchObject({ login: pod.login, spiffeId: pod.spiffeId });
      expect(token.expiresAt! * 1000).toBeGreaterThan(Date.now());
      expect(read).toMatchObject({ event: 'secret', value: secret });
    }
  });

  it("never lets one pod see another pod's key, certificate, token or secret", async () => {
    const [a, b] = [reports.get(payments)!, reports.get(orders)!];
    const field = (rs: WorkloadReport[], event: string, key: keyof WorkloadReport) => rs.find((r) => r.event === event)![key];
    expect(field(a, 'svid', 'keySha256')).not.toBe(field(b, 'svid', 'keySha256'));
    expect(field(a, 'svid', 'certDer')).not.toBe(field(b, 'svid', 'certDer'));
    expect(field(a, 'token', 'tokenSha256')).not.toBe(field(b, 'token', 'tokenSha256'));
    // Each pod's token is its own host's: reading the other pod's secret with it is refused.
    const [crossA, crossB] = await Promise.all([
      runWorkload(node, payments, 'token-secret', { SECRET_ID: 'shop/orders/db-password' }),
      runWorkload(node, orders, 'token-secret', { SECRET_ID: 'shop/payments/db-password' }),
    ]);
    for (const cross of [crossA, crossB]) {
      expect(cross.at(-1)).toMatchObject({ event: 'error', step: 'secret', details: expect.stringMatching(/returned 40[34]/) });
    }
    expect(field(crossA, 'svid', 'keySha256')).toBe(field(a, 'svid', 'keySha256'));
    expect(field(crossB, 'svid', 'keySha256')).toBe(field(b, 'svid', 'keySha256'));
  });

  it("serves every process of a pod the same SVID, with the private key of the certificate's public key", async () => {
    const [one, two] = [await caller(payments), await caller(payments)];
    const [first, second] = (await Promise.all([firstX509(one), firstX509(two)])).map((o) => (o.kind === 'message' ? o.message.svids[0]! : undefined));
    expect(first?.x509_svid.equals(second!.x509_svid)).toBe(true);
    const certificateKey = new X509Certificate(first!.x509_svid).publicKey.export({ type: 'spki', format: 'der' });
    const servedKey = createPublicKey(createPrivateKey({ key: first!.x509_svid_key, format: 'der', type: 'pkcs8' })).export({ type: 'spki', format: 'der' });
    expect(servedKey.equals(certificateKey)).toBe(true);
    expect(sha256(first!.x509_svid_key)).toBe(reports.get(payments)!.find((r) => r.event === 'svid')!.keySha256);
  });

  it('asks Conjur for exactly one injection when 50 processes of a new pod call at once', async () => {
    const pod = node.addPod({ namespace: 'shop', name: 'cart-7f6d9' });
    const crowd = await openPodCallers(node, pod, 50);
    callers.push(...crowd);
    const injects = node.conjur.calls.inject;
    const outcomes = await Promise.all(crowd.map(firstX509));
    expect(new Set(outcomes.map(describeOutcome))).toEqual(new Set([pod.spiffeId]));
    const certificates = new Set(outcomes.map((o) => (o.kind === 'message' ? sha256(o.message.svids[0]!.x509_svid) : 'none')));
    expect(certificates.size).toBe(1);
    expect(node.conjur.calls.inject - injects).toBe(1);
  });

  // A live watch sees a recreated pod as DELETED (old UID) then ADDED (new UID), so both cases
  // are logged as 'deleted'; 'replaced' is what a re-list after a broken watch reports.
  const goneCases: { name: string; remove: (pod: SimulatedPod) => void }[] = [
    { name: 'is deleted', remove: (pod) => node.deletePod(pod) },
    {
      name: 'is recreated under the same name (new UID)',
      remove: (pod) => node.kubeApi.upsertPod({ ...pod.json, metadata: { ...pod.json.metadata, uid: randomUUID() } }),
    },
  ];
  for (const c of goneCases) {
    it(`ends the open X509 and token streams of a pod that ${c.name} with PermissionDenied`, async () => {
      const pod = node.addPod({ namespace: 'jobs', name: `report-${goneCases.indexOf(c)}` });
      const process = await caller(pod);
      const x509 = new StreamReader<X509SVIDResponse__Output>(process.client.fetchX509Svid());
      const tokens = new StreamReader<FetchConjurTokenResponse__Output>(process.client.fetchConjurToken());
      expect((await x509.next()).svids[0]?.spiffe_id).toBe(pod.spiffeId);
      expect((await tokens.next()).login).toBe(pod.login);
      const identities = agent.cache.size;
      c.remove(pod);
      expect(await x509.ended).toEqual({ code: status.PERMISSION_DENIED, details: 'identity withdrawn' });
      expect(await tokens.ended).toEqual({ code: status.PERMISSION_DENIED, details: 'identity withdrawn' });
      expect(agent.cache.size).toBe(identities - 1);
      expect(linesOf(logs, 'Evicted credentials of a pod that is gone', { podUid: pod.uid, reason: 'deleted' })).toHaveLength(1);
      // The same process asking again is no longer attested as that pod.
      expect(describeOutcome(await firstX509(process))).toBe(`${status.PERMISSION_DENIED}: no identity issued`);
    });
  }
});
