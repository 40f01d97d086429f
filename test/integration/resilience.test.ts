import { createHash, X509Certificate } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import type { Agent } from '../../src/agent.js';
import type { X509SVIDResponse__Output } from '../../src/gen/X509SVIDResponse.js';
import type { FetchConjurTokenResponse__Output } from '../../src/gen/conjur/spiffe/v1/FetchConjurTokenResponse.js';
import { SimulatedNode } from '../support/simulated-node.js';
import type { SimulatedPod } from '../support/simulated-node.js';
import { StreamReader } from '../support/workload-client.js';
import { expectClosedCleanly, JumpClock, linesOf, startRecordedAgent } from './e2e-harness.js';
import type { LogRecord } from './e2e-harness.js';
import { closeAll, describeOutcome, firstToken, firstX509, openPodCaller, x509WithRetries } from './pod-caller.js';
import type { PodCaller } from './pod-caller.js';

// Issue 4's resilience tests: outages never take away an SVID that is still valid, tokens come
// back when Conjur does, a restart on a full node does not stampede Conjur, and SVIDs renew at
// about half their lifetime without the stream missing a beat.

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const DAY_MS = 24 * 60 * 60 * 1000;

describe('Resilience against Conjur outages and agent restarts', () => {
  let node: SimulatedNode;
  let callers: PodCaller[] = [];
  const agents: Agent[] = [];

  const caller = async (pod: SimulatedPod) => {
    const c = await openPodCaller(node, pod);
    callers.push(c);
    return c;
  };
  const startAgent = async (overrides: Parameters<typeof startRecordedAgent>[1] = {}) => {
    const started = await startRecordedAgent(node, overrides);
    agents.push(started.agent);
    return started;
  };

  beforeAll(async () => {
    // Tokens live 3 s here (Conjur's CONJUR_HOST_AUTHORIZATION_TOKEN_TTL), so an outage can outlive one.
    node = await SimulatedNode.start({ tokenTtlSeconds: 3 });
  });
  afterEach(async () => {
    node.conjur.setDown(false);
    await closeAll(callers);
    callers = [];
    // Newest first: a restarted agent owns the socket path its predecessor left.
    const started = agents.splice(0).reverse();
    for (const agent of started) await agent.close(500);
    for (const agent of started) expectClosedCleanly(agent);
  });
  afterAll(async () => {
    await node?.close();
  });

  // Regression: with tokens shorter than the agent's fixed 30 s "usable" margin, no fresh token was
  // ever usable, so the agent re-authenticated in a tight loop (~70 calls/s) and never loaded the bundle.
  it("becomes ready and renews its own token at a calm pace when Conjur's tokens live only 3 s", async () => {
    const { agent } = await startAgent();
    expect(agent.health.readiness().ready).toBe(true);
    const authenticates = node.conjur.calls.authenticate;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(node.conjur.calls.authenticate - authenticates).toBeLessThanOrEqual(2);
    expect(agent.health.readiness().ready).toBe(true);
  });

  it('keeps serving SVIDs while Conjur is down for longer than a token lifetime, and serves tokens again when it returns', async () => {
    const { logs } = await startAgent({ overrides: { 'conjur.tokenRefreshBeforeExpiry': '1s', 'conjur.requestTimeout': '1s' } });
    const pod = node.addPod({ namespace: 'shop', name: 'checkout-4b2c1' });
    const holder = await caller(pod);
    const x509 = new StreamReader<X509SVIDResponse__Output>(holder.client.fetchX509Svid());
    const tokens = new StreamReader<FetchConjurTokenResponse__Output>(holder.client.fetchConjurToken());
    const svid = (await x509.next()).svids[0]!;
    const original = await tokens.next();
    let x509Ended = false;
    void x509.ended.then(() => (x509Ended = true));

    node.conjur.setDown(true);
    const downAt = Date.now();
    // The token cannot be refreshed; once it has expired its stream says so, and when the agent asks again.
    const ended = await tokens.ended;
    expect(ended.code).toBe(status.UNAVAILABLE);
    expect(ended.details).toMatch(/^access token: conjur request failed: .+; next attempt in \d+ s \(at .+\)$/);
    expect(Date.now()).toBeGreaterThanOrEqual(Number(original.expires_at) * 1000);
    expect(linesOf(logs, 'Access token fetch failed', { spiffeId: pod.spiffeId, reason: 'unavailable' })).toHaveLength(1);
    // The SVID is still valid: the open stream carries on and a new process of the pod gets it.
    const newcomer = await caller(pod);
    const served = await firstX509(newcomer);
    expect(served.kind === 'message' && served.message.svids[0]!.x509_svid.equals(svid.x509_svid)).toBe(true);
    expect(describeOutcome(await firstToken(newcomer))).toMatch(new RegExp(`^${status.UNAVAILABLE}: access token: conjur request failed`));
    expect(Date.now() - downAt).toBeGreaterThan(3_000);
    expect(x509Ended).toBe(false);

    node.conjur.setDown(false);
    // Asked again as a client does; served once the identity's backoff allows the next attempt.
    let recovered = await firstToken(newcomer);
    for (let i = 0; recovered.kind !== 'message' && i < 100; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      recovered = await firstToken(newcomer);
    }
    expect(recovered.kind).toBe('message');
    if (recovered.kind !== 'message') return;
    expect(recovered.message.login).toBe(pod.login);
    expect(sha256(recovered.message.token)).not.toBe(sha256(original.token));
    expect(Number(recovered.message.expires_at) * 1000).toBeGreaterThan(Date.now());
    expect(x509Ended).toBe(false);
    expect(x509.received).toBe(1);
  });

  it('re-issues for every pod after a restart with at most maxConcurrentIssuances injections in flight', async () => {
    const pods = Array.from({ length: 20 }, (_, i) => node.addPod({ namespace: 'fleet', name: `worker-${i}` }));
    const overrides = { 'conjur.maxConcurrentIssuances': 3 };
    const first = await startAgent({ overrides });
    node.conjur.injectsInFlight.peak = 0;
    const before = await Promise.all(pods.map(async (pod) => firstX509(await caller(pod))));
    expect(before.map(describeOutcome)).toEqual(pods.map((p) => p.spiffeId));
    expect(node.conjur.injectsInFlight.peak).toBeLessThanOrEqual(3);
    await first.agent.close(1000);

    // The new agent starts with an empty cache, and every pod's workload reconnects as soon as
    // the socket is back, possibly before the agent has its own token and the bundle: a call
    // that early gets Unavailable and is retried, as SPIFFE clients do.
    const injects = node.conjur.calls.inject;
    node.conjur.injectsInFlight.peak = 0;
    await startAgent({ overrides, untilReady: false });
    const reconnected = await Promise.all(pods.map((pod) => caller(pod)));
    const after = await Promise.all(reconnected.map((c) => x509WithRetries(c)));
    expect(after.map(describeOutcome)).toEqual(pods.map((p) => p.spiffeId));
    expect(node.conjur.calls.inject - injects).toBe(pods.length + 1); // every pod, and the agent's own login
    expect(node.conjur.injectsInFlight.peak).toBeLessThanOrEqual(3);
    expect(node.conjur.injectsInFlight.peak).toBeGreaterThanOrEqual(2);
    // Fresh keys and certificates: nothing survived the restart but the pods themselves.
    const certificate = (o: (typeof before)[number]) => (o.kind === 'message' ? sha256(o.message.svids[0]!.x509_svid) : '');
    expect(after.map(certificate).filter((c, i) => c === certificate(before[i]!))).toEqual([]);
  });
});

describe('SVID renewal at half-life', () => {
  const clock = new JumpClock();
  let node: SimulatedNode;
  let agent: Agent;
  let logs: LogRecord[];
  let callers: PodCaller[] = [];

  beforeAll(async () => {
    node = await SimulatedNode.start({ clock });
    ({ agent, logs } = await startRecordedAgent(node, { clock }));
  });
  afterAll(async () => {
    await closeAll(callers);
    await agent?.close(500);
    if (agent) expectClosedCleanly(agent);
    await node?.close();
  });

  it('pushes a renewed SVID on the open stream once about half the lifetime has passed', async () => {
    const pod = node.addPod({ namespace: 'shop', name: 'ledger-9a8b7' });
    const holder = await openPodCaller(node, pod);
    callers.push(holder);
    const x509 = new StreamReader<X509SVIDResponse__Output>(holder.client.fetchX509Svid());
    const first = new X509Certificate((await x509.next()).svids[0]!.x509_svid);
    const lifetimeMs = Date.parse(first.validTo) - Date.parse(first.validFrom);
    expect(lifetimeMs).toBeGreaterThanOrEqual(3 * DAY_MS - 1000);

    clock.jump(0.35 * lifetimeMs); // before the earliest renewal point (50 % ± 10 %)
    expect(describeOutcome(await firstX509(await openPodCaller(node, pod).then((c) => (callers.push(c), c))))).toBe(pod.spiffeId);
    expect(x509.received).toBe(1);

    clock.jump(0.3 * lifetimeMs); // now at 65 %: past the latest renewal point, well before expiry
    const renewed = (await x509.next()).svids[0]!;
    const second = new X509Certificate(renewed.x509_svid);
    expect(renewed.spiffe_id).toBe(pod.spiffeId);
    expect(second.serialNumber).not.toBe(first.serialNumber);
    expect(second.publicKey.export({ type: 'spki', format: 'der' }).equals(first.publicKey.export({ type: 'spki', format: 'der' }))).toBe(false);
    expect(Date.parse(second.validFrom)).toBeGreaterThan(Date.parse(first.validFrom) + 0.5 * lifetimeMs);
    expect(linesOf(logs, 'Issued X509-SVID', { component: 'svid-cache', spiffeId: pod.spiffeId })).toHaveLength(2);
  });
});
