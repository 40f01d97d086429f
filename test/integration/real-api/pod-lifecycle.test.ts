import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { describeRealKube } from '../../support/real-kube/describe-real-kube.js';
import { RealApiNode } from '../../support/real-kube/real-api-node.js';
import { eventually } from '../e2e-harness.js';
import { closeAll, firstX509, openPodCaller } from '../pod-caller.js';
import type { PodCaller } from '../pod-caller.js';
import { endOf, holdSvidStream, linesWith, startRealApiAgent } from './real-api-agent.js';
import type { HeldStream, RunningAgent } from './real-api-agent.js';

// The agent against a real kube-apiserver + etcd, with its DaemonSet's service account and RBAC
// (kubectl apply -k daemonset/) and a token of that account: pods created, running, replaced,
// deleted and moved as real API objects, and the pod watch through what real servers do:
// restarts, 410 Gone after compaction, bookmarks, long idle streams and rotated tokens.

describeRealKube('the agent against a real API server: pod lifecycle and watch resilience', (suite) => {
  let node: RealApiNode;
  let running: RunningAgent;
  const callers: PodCaller[] = [];
  const held: HeldStream[] = [];

  beforeAll(async () => {
    node = await RealApiNode.start(suite.cluster);
    await node.addAgentPod();
    running = await startRealApiAgent(node);
  }, 180_000);

  afterAll(async () => {
    for (const h of held) h.reader.cancel();
    await closeAll([...callers, ...held.map((h) => h.caller)]);
    await running?.agent.close();
    await node?.close();
  }, 60_000);

  async function hold(pod: Parameters<typeof holdSvidStream>[1]): Promise<HeldStream> {
    const h = await holdSvidStream(node, pod);
    held.push(h);
    return h;
  }

  function spiffeIdOf(h: HeldStream): string | undefined {
    return h.first.svids[0]?.spiffe_id;
  }

  it('serves a pod created in the real API server, after the API cross-check, with Conjur judging the same pod object', async () => {
    const ns = await suite.cluster.createNamespace('lifecycle');
    const injectsBefore = node.conjur.calls.inject;
    const pod = await node.addPod({ namespace: ns, name: 'web' });
    const h = await hold(pod);
    expect(spiffeIdOf(h)).toBe(pod.spiffeId);
    const cert = new X509Certificate(h.first.svids[0]!.x509_svid);
    expect(cert.subjectAltName).toBe(`URI:${pod.spiffeId}`);
    expect(node.conjur.calls.inject).toBe(injectsBefore + 1);
    expect(node.conjur.serverLog.filter((l) => l.includes(ns))).toEqual([]);
  });

  it('turns away a caller while its pod is still Pending, and serves it once the pod runs', async () => {
    const ns = await suite.cluster.createNamespace('lifecycle');
    const pod = await node.addPod({ namespace: ns, name: 'starting', running: false });
    expect(pod.json.status.phase).toBe('Pending');
    const caller = await openPodCaller(node, pod);
    callers.push(caller);
    // The kubelet lists the pod but no running container with the caller's id (after waiting
    // kubelet.newContainerWait for it): no identity yet. SPIFFE clients retry this status.
    expect(await firstX509(caller)).toMatchObject({ kind: 'status', code: status.PERMISSION_DENIED, details: 'no identity issued' });
    const running = await node.setRunning(pod);
    expect(running.status.phase).toBe('Running');
    const served = await firstX509(caller);
    expect(served.kind === 'message' ? served.message.svids[0]?.spiffe_id : served).toBe(pod.spiffeId);
  });

  it('evicts at once when the pod is deleted: the open stream ends with PermissionDenied', async () => {
    const ns = await suite.cluster.createNamespace('lifecycle');
    const pod = await node.addPod({ namespace: ns, name: 'worker' });
    const h = await hold(pod);
    const sizeBefore = running.agent.cache.size;
    await node.deletePod(pod);
    expect((await endOf(h, 30_000)).code).toBe(status.PERMISSION_DENIED);
    await eventually(() => running.agent.cache.size === sizeBefore - 1, 10_000);
  });

  it('tells a replaced pod (same name, new UID) from its predecessor', async () => {
    const ns = await suite.cluster.createNamespace('lifecycle');
    const first = await node.addPod({ namespace: ns, name: 'db-0' });
    const h = await hold(first);
    await node.deletePod(first);
    const second = await node.addPod({ namespace: ns, name: 'db-0' });
    expect(second.uid).not.toBe(first.uid);
    expect((await endOf(h, 30_000)).code).toBe(status.PERMISSION_DENIED);
    const h2 = await hold(second);
    expect(spiffeIdOf(h2)).toBe(second.spiffeId);
    expect(Buffer.from(h2.first.svids[0]!.x509_svid).equals(Buffer.from(h.first.svids[0]!.x509_svid))).toBe(false);
  });

  it('refuses a pod that moved to another node, even while this node\'s kubelet still lists it', async () => {
    const ns = await suite.cluster.createNamespace('lifecycle');
    const pod = await node.addPod({ namespace: ns, name: 'mover' });
    const h = await hold(pod);
    const stale = pod.json;
    await node.deletePod(pod);
    await node.addPod({ namespace: ns, name: 'mover', nodeName: `${node.nodeName}-other` });
    expect((await endOf(h, 30_000)).code).toBe(status.PERMISSION_DENIED);
    // A lagging kubelet still reports the old pod here; the API server says it is elsewhere now.
    node.kubelet.setPods([...(await currentNodePods()), stale]);
    const caller = await openPodCaller(node, pod);
    callers.push(caller);
    const outcome = await firstX509(caller);
    expect(outcome).toMatchObject({ kind: 'status', code: status.PERMISSION_DENIED });
    await node.syncKubelet();
  });

  async function currentNodePods(): Promise<unknown[]> {
    const list = await suite.cluster.request<{ items: unknown[] }>('GET', `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node.nodeName}`)}`);
    return list.body.items;
  }

  it('keeps watching across an API server restart, and evicts a pod deleted after it', async () => {
    const ns = await suite.cluster.createNamespace('lifecycle');
    const pod = await node.addPod({ namespace: ns, name: 'survivor' });
    const h = await hold(pod);
    const listsBefore = linesWith(running.logs, 'Listed pods on this node').length;
    await suite.cluster.restartApiServer();
    await eventually(() => linesWith(running.logs, 'Pod watch failed').length > 0, 30_000);
    await eventually(() => running.agent.health.readiness().ready, 60_000);
    await node.deletePod(pod);
    expect((await endOf(h, 60_000)).code).toBe(status.PERMISSION_DENIED);
    // A fresh pod after the restart is served too.
    const next = await node.addPod({ namespace: ns, name: 'after-restart' });
    expect(spiffeIdOf(await hold(next))).toBe(next.spiffeId);
    // Resumed (or, when the restarted server's cache starts later, listed once more): never a list storm.
    expect(linesWith(running.logs, 'Listed pods on this node').length - listsBefore).toBeLessThanOrEqual(1);
  }, 180_000);

  it('lists again after 410 Gone (history compacted while it was cut off) and loses no deletion', async () => {
    const ns = await suite.cluster.createNamespace('lifecycle');
    const pod = await node.addPod({ namespace: ns, name: 'compacted' });
    const h = await hold(pod);
    const expiredBefore = linesWith(running.logs, 'Pod watch expired, listing again').length;
    node.proxy.setDown(true);
    await eventually(() => !running.agent.health.readiness().ready, 30_000);
    await node.deletePod(pod);
    for (let i = 0; i < 5; i++) {
      const churn = await node.addPod({ namespace: ns, name: `churn-${i}`, nodeName: `${node.nodeName}-other`, registerHost: false });
      await node.deletePod(churn);
    }
    await suite.cluster.compactEtcd();
    await suite.cluster.restartApiServer();
    node.proxy.setDown(false);
    expect((await endOf(h, 90_000)).code).toBe(status.PERMISSION_DENIED);
    expect(linesWith(running.logs, 'Pod watch expired, listing again').length).toBeGreaterThan(expiredBefore);
    await eventually(() => running.agent.health.readiness().ready, 60_000);
  }, 240_000);

  it('uses the rotated token file at once after the old token is revoked', async () => {
    const ns = await suite.cluster.createNamespace('lifecycle');
    const pod = await node.addPod({ namespace: ns, name: 'rotated' });
    const h = await hold(pod);
    await node.rotateAgentToken();
    await node.revokePreviousAgentToken();
    // Cut the agent's connections: everything it asks from now on must carry the new token.
    node.proxy.setDown(true);
    node.proxy.setDown(false);
    await node.deletePod(pod);
    expect((await endOf(h, 30_000)).code).toBe(status.PERMISSION_DENIED);
    const next = await node.addPod({ namespace: ns, name: 'rotated-2' });
    expect(spiffeIdOf(await hold(next))).toBe(next.spiffeId);
    const refused = running.logs.filter((r) => /\b401\b/.test(JSON.stringify(r.fields)));
    expect(refused).toEqual([]);
  }, 120_000);

  it('keeps a long idle watch open with bookmarks, and still sees the next deletion at once', async () => {
    const ns = await suite.cluster.createNamespace('lifecycle');
    const pod = await node.addPod({ namespace: ns, name: 'idle' });
    const h = await hold(pod);
    await eventually(() => running.agent.health.readiness().ready, 60_000);
    const failuresBefore = running.logs.filter((r) => r.level === 'warn').length;
    const bookmarksBefore = linesWith(running.logs, 'Pod watch bookmark').length;
    const listsBefore = linesWith(running.logs, 'Listed pods on this node').length;
    // The API server sends a bookmark about once a minute on an idle watch.
    await eventually(() => linesWith(running.logs, 'Pod watch bookmark').length > bookmarksBefore, 100_000);
    expect(running.logs.filter((r) => r.level === 'warn').length).toBe(failuresBefore);
    expect(linesWith(running.logs, 'Listed pods on this node').length).toBe(listsBefore);
    await node.deletePod(pod);
    expect((await endOf(h, 30_000)).code).toBe(status.PERMISSION_DENIED);
  }, 180_000);
});
