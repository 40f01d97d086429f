import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { FakeSvidSubscriptions } from '../fakes/fake-svid-subscriptions.js';
import { spawnCaller, spawnHandOffCaller } from '../support/child-caller.js';
import type { ChildCaller, HandOffCaller } from '../support/child-caller.js';
import { eventually, startTestEndpoint } from '../support/workload-endpoint-fixture.js';
import type { TestEndpoint } from '../support/workload-endpoint-fixture.js';

// The Workload Endpoint with real caller processes: peer credentials come from the kernel, so
// each test spawns separate processes (one as uid nobody) and checks whom the agent saw.

const NOBODY = 65534;

describe('Workload Endpoint with real caller processes', () => {
  let svids: FakeSvidSubscriptions;
  let t: TestEndpoint;
  let callers: ChildCaller[];
  let handOffs: HandOffCaller[];

  beforeAll(async () => {
    svids = await FakeSvidSubscriptions.create();
  });
  beforeEach(async () => {
    callers = [];
    handOffs = [];
    t = await startTestEndpoint(svids);
  });
  afterEach(async () => {
    await Promise.all([...callers, ...handOffs].map((c) => c.kill()));
    await t.close();
    expect(svids.active).toBe(0);
  });

  const caller = (options: Parameters<typeof spawnCaller>[1] = {}) => {
    const c = spawnCaller(t.socketPath, options);
    callers.push(c);
    return c;
  };

  it('attests a caller by its own pid and serves it its SVID', async () => {
    const c = caller();
    const report = await c.report;
    expect(report.spiffeId).toBe(`spiffe://example.org/uid/${process.getuid!()}`);
    expect(t.attestor.attested.map((p) => p.pid)).toEqual([c.pid]);
  });

  it('attests a caller running as nobody with uid 65534', async () => {
    const c = caller({ uid: NOBODY, gid: NOBODY });
    const report = await c.report;
    expect(report.uid).toBe(NOBODY);
    expect(report.spiffeId).toBe(`spiffe://example.org/uid/${NOBODY}`);
    expect(t.attestor.attested).toEqual([{ pid: c.pid, uid: NOBODY, gid: NOBODY }]);
  });

  // Regression guard for the connection → call seam (socket.remoteAddress → call.getPeer()),
  // which relies on grpc-js internals: if an upgrade breaks it, calls get the wrong peer or none.
  it('gives each of two concurrent connections from different processes its own peer', async () => {
    t.identities.by = 'pid';
    const [a, b] = [caller({ mode: 'hold' }), caller({ mode: 'hold', uid: NOBODY, gid: NOBODY })];
    const [reportA, reportB] = await Promise.all([a.report, b.report]);
    expect(reportA.spiffeId).toBe(`spiffe://example.org/pid/${a.pid}`);
    expect(reportB.spiffeId).toBe(`spiffe://example.org/pid/${b.pid}`);
    expect(t.endpoint.connectionCount).toBe(2);
    expect(t.endpoint.openStreamCount).toBe(2);
    a.release();
    b.release();
    await Promise.all([a.exited, b.exited]);
    await eventually(() => t.endpoint.connectionCount === 0 && svids.active === 0);
  });

  it('never serves a caller that exits while it is being attested', async () => {
    const resume = t.attestor.pause();
    const c = caller();
    await t.attestor.attestedPid(c.pid);
    const subscribedBefore = svids.subscribeCalls;
    await c.kill(); // its pid is gone (and could be reused) before attestation ends
    resume();
    await eventually(() => t.endpoint.connectionCount === 0 && t.endpoint.openStreamCount === 0);
    expect(svids.subscribeCalls).toBe(subscribedBefore);
  });

  it('answers Unavailable when the connecting process is gone but its connection lives on', async () => {
    const resume = t.attestor.pause();
    const c = spawnHandOffCaller(t.socketPath);
    handOffs.push(c);
    await t.attestor.attestedPid(c.pid);
    await c.exited; // the pid the kernel recorded is gone; a grandchild holds the connection
    const subscribedBefore = svids.subscribeCalls;
    resume();
    expect(await c.outcome).toEqual({ code: status.UNAVAILABLE, details: 'workload attestation failed' });
    expect(svids.subscribeCalls).toBe(subscribedBefore);
    expect(t.logs.some((l) => l.message === 'Caller exited during attestation' && l.fields['pid'] === c.pid)).toBe(true);
  });

  it('releases the subscription of a caller killed mid-stream', async () => {
    const c = caller({ mode: 'hold' });
    await c.report;
    expect(svids.active).toBe(1);
    await c.kill();
    await eventually(() => svids.active === 0 && t.endpoint.openStreamCount === 0 && t.endpoint.connectionCount === 0);
  });
});
