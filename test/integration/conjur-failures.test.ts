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
import { closeAll, describeOutcome, firstX509, openPodCaller } from './pod-caller.js';
import type { PodCaller } from './pod-caller.js';
import { nextAttemptAt, pass, reconnectUntil, RECONNECT_DELAYS_MS } from './reconnecting-workload.js';

// Issue 11: when Conjur fails or refuses, a pod's workloads reconnecting as SPIFFE clients do
// cost Conjur a bounded number of requests (the agent keeps one failure state per identity, shared
// by its SVID and token streams), see why and when the agent asks again, keep any SVID or token
// that is still valid, and recover within one backoff step once the fault is cleared. Each fault is
// scoped to one pod in the Conjur double, which records every request per pod; the agent runs on
// a JumpClock shared with the double, so 35 s of reconnects take a few seconds.

const BUDGET_FIRST_35_S = 8;
const WINDOW_MS = 35_000;
const MAX_RECONNECT_DELAY_MS = RECONNECT_DELAYS_MS.at(-1)!;

interface FaultCase {
  readonly name: string;
  /** Turns the fault on for `pod`; returns what clears it. */
  readonly apply: (node: SimulatedNode, pod: SimulatedPod) => () => void;
  /** What the workload is told, first and (for refusals) after several attempts. */
  readonly first: RegExp;
  readonly later?: RegExp;
}

const refusal = /^14: x509-svid: conjur answered 401 \(a refusal, or an exec or kubernetes error inside conjur\) to inject_client_cert; next attempt in \d+ s \(at .+Z\)$/;
const refusedOften = /^7: x509-svid: conjur answered 401 .* to inject_client_cert \(\d+ times in a row\); next attempt in \d+ s/;

const FAULTS: readonly FaultCase[] = [
  {
    name: "the exec into the pod fails (Conjur's empty 401, CONJ00072E)",
    apply: (node, pod) => {
      node.conjur.fault('inject', { kind: 'status', status: 401 }, { pod: `${pod.namespace}/${pod.name}` });
      return () => node.conjur.clearFaults({ pod: `${pod.namespace}/${pod.name}` });
    },
    first: refusal,
    later: refusedOften,
  },
  {
    name: 'the Kubernetes API fails inside Conjur (a 401 again)',
    apply: (node, pod) => {
      node.kubeApi.failNext(500, 1_000, new RegExp(`/namespaces/${pod.namespace}/pods/${pod.name}$`));
      return () => node.kubeApi.clearFailures();
    },
    first: refusal,
    later: refusedOften,
  },
  {
    name: 'Conjur sees the pod not Running (phase Pending) while the kubelet runs it',
    apply: (node, pod) => {
      node.kubeApi.upsertPod({ ...pod.json, status: { ...pod.json.status, phase: 'Pending' } });
      return () => node.kubeApi.upsertPod(pod.json);
    },
    first: refusal,
    later: refusedOften,
  },
  {
    name: 'Conjur answers 500',
    apply: (node, pod) => {
      node.conjur.fault('inject', { kind: 'status', status: 500 }, { pod: `${pod.namespace}/${pod.name}` });
      return () => node.conjur.clearFaults({ pod: `${pod.namespace}/${pod.name}` });
    },
    first: /^14: x509-svid: conjur answered 500 to inject_client_cert; next attempt in \d+ s/,
  },
  {
    name: 'inject hangs until the request times out',
    apply: (node, pod) => {
      node.conjur.fault('inject', { kind: 'hang' }, { pod: `${pod.namespace}/${pod.name}` });
      return () => node.conjur.clearFaults({ pod: `${pod.namespace}/${pod.name}` });
    },
    first: /^14: x509-svid: conjur did not answer within 10000 ms; next attempt in \d+ s/,
  },
  ...(['other-ca', 'expired', 'wrong-san', 'wrong-cn'] as const).map(
    (mode): FaultCase => ({
      name: `the injected certificate fails a check (${mode})`,
      apply: (node, pod) => {
        node.conjur.fault('inject', { kind: 'injection', mode }, { pod: `${pod.namespace}/${pod.name}` });
        return () => node.conjur.clearFaults({ pod: `${pod.namespace}/${pod.name}` });
      },
      first: /^14: x509-svid: injected certificate failed the (issuer|validity|spiffe-id|common-name) check: .+; next attempt in \d+ s/,
    }),
  ),
];

describe('Conjur failures and refusals, with workloads reconnecting as SPIFFE clients do', () => {
  const clock = new JumpClock();
  let node: SimulatedNode;
  let agent: Agent;
  let logs: LogRecord[];
  let callers: PodCaller[] = [];
  let pods = 0;

  const newPod = (name: string) => node.addPod({ namespace: 'faults', name: `${name}-${++pods}` });
  const caller = async (pod: SimulatedPod) => {
    const c = await openPodCaller(node, pod);
    callers.push(c);
    return c;
  };
  const conjurRequests = (pod: SimulatedPod) => node.conjur.requestsFor({ pod: `${pod.namespace}/${pod.name}` }).length;

  beforeAll(async () => {
    node = await SimulatedNode.start({ clock });
    ({ agent, logs } = await startRecordedAgent(node, { clock }));
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

  for (const fault of FAULTS) {
    it(`when ${fault.name}: at most ${BUDGET_FIRST_35_S} Conjur requests in 35 s, the reason and next attempt told at once, recovery within one backoff step`, async () => {
      const pod = newPod('failing');
      const healthy = newPod('healthy');
      const clear = fault.apply(node, pod);
      const workload = await caller(pod);

      const start = clock.now();
      const failing = await reconnectUntil(workload, clock, 'x509', start + WINDOW_MS);
      expect(failing.message).toBeUndefined();
      expect(failing.statuses.length).toBeGreaterThan(conjurRequests(pod)); // the workload kept asking...
      expect(conjurRequests(pod)).toBeLessThanOrEqual(BUDGET_FIRST_35_S); // ...Conjur did not pay for it
      expect(conjurRequests(pod)).toBeGreaterThanOrEqual(2);
      expect(failing.statuses[0]).toMatch(fault.first);
      if (fault.later) expect(failing.statuses.at(-1)).toMatch(fault.later);
      // Another pod's first SVID is not held up by this pod's failures.
      expect(describeOutcome(await firstX509(await caller(healthy)))).toBe(healthy.spiffeId);

      // Cleared: served by the next attempt, at the time the agent names to the first reconnect
      // after the clear (an attempt already under way when it cleared may still have failed).
      clear();
      const clearedAt = clock.now();
      const recovered = await reconnectUntil(workload, clock, 'x509', clearedAt + 5 * 60_000);
      expect(recovered.message).toBeDefined();
      expect((recovered.message as X509SVIDResponse__Output).svids[0]!.spiffe_id).toBe(pod.spiffeId);
      const namedAt = recovered.statuses.length > 0 ? nextAttemptAt(recovered.statuses[0]!) : clearedAt;
      expect(namedAt).toBeDefined();
      expect(recovered.messageAt!).toBeLessThanOrEqual(namedAt! + MAX_RECONNECT_DELAY_MS + 2_000);
    });
  }

  it('when inject is refused with 403 (no authenticate privilege): PermissionDenied at once, and the next attempt only at the cap', async () => {
    const pod = newPod('no-privilege');
    node.conjur.fault('inject', { kind: 'status', status: 403 }, { pod: `${pod.namespace}/${pod.name}` });
    const workload = await caller(pod);
    const failing = await reconnectUntil(workload, clock, 'x509', clock.now() + WINDOW_MS);
    expect(conjurRequests(pod)).toBe(1);
    expect(failing.statuses[0]).toMatch(/^7: x509-svid: conjur answered 403 \(the host lacks the authenticate privilege\) to inject_client_cert; next attempt in 1(8\d|9\d) s/);
    expect(new Set(failing.statuses.map((s) => s.slice(0, 2)))).toEqual(new Set(['7:']));
  });

  it('keeps serving a still-valid token when authenticate is refused during a refresh (Conjur sees the pod gone, the kubelet does not), then ends the token stream only at expiry', async () => {
    const pod = newPod('disagreement');
    const workload = await caller(pod);
    const x509 = new StreamReader<X509SVIDResponse__Output>(workload.client.fetchX509Svid());
    const tokens = new StreamReader<FetchConjurTokenResponse__Output>(workload.client.fetchConjurToken());
    await x509.next();
    const first = await tokens.next();
    const expiresAt = Number(first.expires_at) * 1000;
    const before = node.conjur.requestsFor({ pod: `${pod.namespace}/${pod.name}`, route: 'authenticate' }).length;

    node.conjur.setPodGone(pod.namespace, pod.name, true);
    // Past the refresh point (6 of 8 minutes), well before expiry: the refresh is refused, the token stays.
    clock.jump(expiresAt - 100_000 - clock.now());
    for (let t = 0; t < 30; t++) await pass(clock, 1000);
    const afterRefresh = node.conjur.requestsFor({ pod: `${pod.namespace}/${pod.name}`, route: 'authenticate' });
    expect(afterRefresh.length - before).toBeGreaterThanOrEqual(1);
    expect(afterRefresh.at(-1)!.outcome).toBe(401);
    expect(tokens.received).toBe(1);
    expect(linesOf(logs, 'Access token refresh failed; serving the current one', { spiffeId: pod.spiffeId }).length).toBeGreaterThanOrEqual(1);

    // Until expiry: a few backed-off attempts, not one a second.
    while (clock.now() < expiresAt + 1000) await pass(clock, 1_000);
    const ended = await tokens.ended;
    // Refused several times in a row by now: PermissionDenied, with the same explanation.
    expect([status.UNAVAILABLE, status.PERMISSION_DENIED]).toContain(ended.code);
    expect(ended.details).toMatch(/^access token: conjur answered 401 .* to authenticate( \(\d times in a row\))?; next attempt in \d+ s/);
    const authenticates = node.conjur.requestsFor({ pod: `${pod.namespace}/${pod.name}`, route: 'authenticate' }).length - before;
    expect(authenticates).toBeLessThanOrEqual(8);
    // A token refusal never takes the SVID away.
    expect(x509.received).toBe(1);
    let x509Ended = false;
    void x509.ended.then(() => (x509Ended = true));
    await pass(clock, 10);
    expect(x509Ended).toBe(false);
    node.conjur.setPodGone(pod.namespace, pod.name, false);
  });

  it('keeps serving a still-valid SVID when its renewal is refused, and renews once the refusal is lifted', async () => {
    const pod = newPod('renewal');
    const workload = await caller(pod);
    const x509 = new StreamReader<X509SVIDResponse__Output>(workload.client.fetchX509Svid());
    const first = (await x509.next()).svids[0]!;
    node.conjur.fault('inject', { kind: 'status', status: 401 }, { pod: `${pod.namespace}/${pod.name}` });
    const injects = () => node.conjur.requestsFor({ pod: `${pod.namespace}/${pod.name}`, route: 'inject' }).length;
    clock.jump(1.9 * 24 * 3600_000); // past the latest renewal point (60 % of 3 days)
    for (let t = 0; t < 35; t++) await pass(clock, 1000);
    expect(injects()).toBeGreaterThanOrEqual(2);
    expect(injects()).toBeLessThanOrEqual(1 + BUDGET_FIRST_35_S);
    expect(x509.received).toBe(1);
    // A new process of the pod still gets the valid SVID at once.
    const other = await firstX509(await caller(pod));
    expect(other.kind === 'message' && other.message.svids[0]!.x509_svid.equals(first.x509_svid)).toBe(true);
    node.conjur.clearFaults({ pod: `${pod.namespace}/${pod.name}` });
    for (let t = 0; t < 400 && x509.received < 2; t++) await pass(clock, 1_000);
    expect(x509.received).toBe(2);
  });
});
