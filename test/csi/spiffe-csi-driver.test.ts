import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Agent } from '../../src/agent.js';
import { InteropNode } from '../interop/interop-node.js';
import { startNodeAgent } from '../support/node-agent.js';
import { runWorkload } from '../support/pod-workload.js';
import type { WorkloadReport } from '../support/pod-workload.js';
import type { SimulatedPod } from '../support/simulated-node.js';
import { CsiDriver, DRIVER_NAME, csiTargetPath, inlineVolumeHandle, lookupBinaries, mountPoints, unmountIfMounted } from './csi-driver-process.js';
import type { CsiBinaries } from './csi-driver-process.js';
import { runContainerWorkload, startInContainer } from './pod-container.js';

// The upstream SPIFFE CSI driver (daemonset/csi-driver/) against the real agent on the simulated
// node. The test plays the kubelet: it calls the driver's CSI API as the kubelet does for a pod
// volume `csi: {driver: csi.spiffe.io, readOnly: true}`, then a workload process in that pod
// fetches its SVID and Conjur token through the socket path the driver published.

/** The pod volume's name, as in daemonset/examples/deployment.yaml. */
const VOLUME = 'agent-socket';
/** Where the example's containers mount it (SPIFFE_ENDPOINT_SOCKET=unix:///run/conjur-spiffe/agent.sock). */
const MOUNT_PATH = '/run/conjur-spiffe';

/** As workloads start after the agent's pod is Ready: /ready answers 200. */
async function untilReady(agent: Agent, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!agent.health.readiness().ready) {
    if (Date.now() > deadline) throw new Error(`the restarted agent is not ready: ${JSON.stringify(agent.health.readiness().components)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function describeCsi(title: string, body: (binaries: CsiBinaries) => void): void {
  const skip = (reason: string) => {
    console.warn(`skipping the SPIFFE CSI driver suite: ${reason}`);
    describe(title, () => it.skip(`is skipped: ${reason}`, () => undefined));
  };
  if (process.getuid?.() !== 0) return skip('the driver bind-mounts, which needs root (CI runs npm test as root)');
  const found = lookupBinaries();
  if (found.ok) return describe(title, () => body(found.binaries));
  const reason = `${found.reason}; run test/csi/build.sh (Go builds the pinned driver from the module proxy)`;
  if (process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI.toLowerCase())) {
    return describe(title, () => it('has the SPIFFE CSI driver built at its pinned version', () => { throw new Error(reason); }));
  }
  return skip(reason);
}

describeCsi('the SPIFFE CSI driver publishes the agent socket into pods', (binaries) => {
  let net: InteropNode;
  let driver: CsiDriver;
  let pod: SimulatedPod;
  let target: string;
  let volumeId: string;
  let restarted: Agent | undefined;
  const container = () => ({ volumePath: target, mountPath: MOUNT_PATH });
  const publishArgs = (overrides: readonly string[] = []) => ['-volume-id', volumeId, '-target-path', target, '-pod-uid', pod.uid, '-pod-name', pod.name, '-pod-namespace', pod.namespace, ...overrides];

  beforeAll(async () => {
    console.log(`spiffe-csi-driver ${binaries.version} (built by test/csi/build.sh into ${binaries.driver})`);
    net = await InteropNode.start();
    pod = net.addPod({ namespace: 'shop', name: 'orders-7f9c2' });
    net.node.conjur.setVariable('shop/orders/db-password', 'orders-s3cr3t', { permitted: ['apps/shop/orders-7f9c2'] });
    target = csiTargetPath(net.node.dirs.podsDir, pod.uid, VOLUME);
    volumeId = inlineVolumeHandle(pod.uid, VOLUME);
    // The kubelet creates the volume's directory; the driver creates `mount` inside it.
    mkdirSync(join(target, '..'), { recursive: true });
    const pluginDir = join(net.node.dirs.root, 'plugins', DRIVER_NAME);
    mkdirSync(pluginDir, { recursive: true });
    driver = await CsiDriver.start(binaries, { workloadApiSocketDir: net.node.dirs.socketDir, csiSocket: join(pluginDir, 'csi.sock'), nodeName: net.node.options.nodeName });
  });
  afterAll(async () => {
    await restarted?.close(100);
    // Whatever happened, never leave a bind mount behind (the node's directory is removed next).
    if (target) unmountIfMounted(target);
    await driver?.stop();
    await net?.close();
  });

  it(`identifies itself as ${DRIVER_NAME} on this node`, () => {
    expect(driver.call('info')).toEqual({ ok: true, value: { name: DRIVER_NAME, vendorVersion: expect.stringContaining(binaries.version.slice(1)), nodeId: net.node.options.nodeName } });
  });

  const refusals = [
    { name: 'a volume the pod did not mark readOnly', args: ['-readonly=false'], message: /readOnly must be set to 'true'/ },
    { name: 'a persistent (not ephemeral) volume', args: ['-ephemeral=false'], message: /only ephemeral volumes/ },
    { name: 'a read-only access mode', args: ['-access-mode', 'SINGLE_NODE_READER_ONLY'], message: /access mode is not valid/ },
  ];
  for (const c of refusals) {
    it(`refuses ${c.name} with InvalidArgument and mounts nothing`, () => {
      const answer = driver.call('publish', publishArgs(c.args));
      expect(answer).toEqual({ ok: false, code: 'InvalidArgument', message: expect.stringMatching(c.message) });
      expect(mountPoints()).not.toContain(target);
    });
  }

  it("publishes the agent's socket directory into the pod's volume directory as a bind mount", () => {
    expect(driver.call('publish', publishArgs())).toEqual({ ok: true, value: { published: target } });
    expect(mountPoints()).toContain(target);
    // The same socket, not a copy: the pod sees the agent's socket file itself.
    expect(statSync(join(target, 'agent.sock')).ino).toBe(statSync(net.node.socketPath).ino);
    expect(driver.call('stats', ['-volume-id', volumeId, '-volume-path', target])).toEqual({ ok: true, value: { abnormal: false, message: 'mounted' } });
  });

  it('lets a workload in the pod fetch its SVID and Conjur token, and read its secret, through the published volume', async () => {
    const reports = await runContainerWorkload(net.node, pod, container(), `unix://${MOUNT_PATH}/agent.sock`, { SECRET_ID: 'shop/orders/db-password' });
    const event = (name: WorkloadReport['event']) => reports.find((r) => r.event === name);
    expect(reports.filter((r) => r.event === 'error')).toEqual([]);
    expect(event('svid')?.spiffeId).toBe(pod.spiffeId);
    expect(event('token')).toMatchObject({ login: pod.login, spiffeId: pod.spiffeId });
    expect(event('secret')?.value).toBe('orders-s3cr3t');
  });

  it('keeps serving the pod at the same path after the agent restarts (the driver publishes the directory, not the socket)', async () => {
    await net.agent.close(100);
    expect(existsSync(net.node.socketPath)).toBe(false);
    restarted = await startNodeAgent(net.node);
    await untilReady(restarted);
    expect(statSync(join(target, 'agent.sock')).ino).toBe(statSync(net.node.socketPath).ino);
    const reports = await runContainerWorkload(net.node, pod, container(), `unix://${MOUNT_PATH}/agent.sock`, { SECRET_ID: 'shop/orders/db-password' });
    expect(reports.map((r) => r.event)).toEqual(['svid', 'token', 'secret']);
    expect(reports[0]?.spiffeId).toBe(pod.spiffeId);
  });

  it("does not let the pod remove or replace the agent's socket (the volume is mounted read-only)", async () => {
    const attempt = startInContainer(net.node, pod, container(), 'sh', ['-c', `rm -f ${MOUNT_PATH}/agent.sock; ln -s /tmp/x ${MOUNT_PATH}/agent.sock.new`]);
    expect((await attempt.fails(10_000)).match(/Read-only file system/g)).toHaveLength(2);
    expect(statSync(net.node.socketPath).isSocket()).toBe(true);
  });

  it('unpublishing removes the mount and its directory, and leaves the agent serving', async () => {
    expect(driver.call('unpublish', ['-volume-id', volumeId, '-target-path', target])).toEqual({ ok: true, value: { unpublished: target } });
    expect(mountPoints()).not.toContain(target);
    expect(existsSync(target)).toBe(false);
    expect(statSync(net.node.socketPath).isSocket()).toBe(true);
    const direct = await runWorkload(net.node, pod, 'x509');
    expect(direct[0]?.spiffeId).toBe(pod.spiffeId);
  });

  it('unpublishing again succeeds without doing anything (the kubelet retries unpublish)', () => {
    expect(driver.call('unpublish', ['-volume-id', volumeId, '-target-path', target])).toEqual({ ok: true, value: { unpublished: target } });
    expect(driver.process.running).toBe(true);
  });
});
