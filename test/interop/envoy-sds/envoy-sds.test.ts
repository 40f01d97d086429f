import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import type { SimulatedPod } from '../../support/simulated-node.js';
import { describeClient } from '../installed-client.js';
import { FAST_RENEWAL_OVERRIDES, InteropNode } from '../interop-node.js';

// The agent's Envoy SDS against the Envoy API types of go-control-plane, through our program
// test/interop/envoy-sds (an Envoy stand-in). Steps are numbered as in this folder's README.

interface CheckOutput {
  spiffeId: string;
  rootcaTrustDomains: string[];
  allTrustDomains: string[];
  versions: string[];
  nonces: string[];
  afterNackNames: string[];
  rotatedFrom: string;
  rotatedTo: string;
  fetchNames: string[];
  fetchNonce: string;
  deltaCode: string;
}

describeClient('envoy-sds', 'Envoy SDS (go-control-plane Envoy API types) against the agent', (client) => {
  let net: InteropNode;
  let orders: SimulatedPod;
  let payments: SimulatedPod;
  let fraud: SimulatedPod;

  beforeAll(async () => {
    console.log(`interop client: ${client.banner}`);
    // SVIDs renew every ~2.6 s, so step 1 sees a renewal pushed on its open stream.
    net = await InteropNode.start(FAST_RENEWAL_OVERRIDES);
    orders = net.addPod({ namespace: 'shop', name: 'orders-7d4b9' });
    payments = net.addPod({ namespace: 'shop', name: 'payments-6c9f7' });
    fraud = net.addPod({ namespace: 'shop', name: 'fraud-check-5f8d2' });
  });
  afterEach(async () => {
    await net?.stopClients();
  });
  afterAll(async () => {
    await net?.close();
  });

  const envoy = (pod: SimulatedPod, label: string, args: readonly string[]) => net.run(pod, client.command, args, { label: `envoy-sds ${label}` });
  const metric = async (name: string): Promise<number> => {
    const { port } = net.agent.metricsAddress;
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? 0 : Number(line.split(' ')[1]);
  };

  it('1. check: an Envoy\'s xDS conversation (default+ROOTCA, ACK, ALL, NACK, new names, renewal) with every Secret checked', async () => {
    const injectsBefore = net.node.conjur.calls.inject;
    const nacksBefore = await metric('conjur_spiffe_sds_nacks_total');
    const check = envoy(payments, 'check', ['check', '-rotation', '-timeout', '20s']);
    const stdout = await check.succeeds(25_000);
    const nacks = await metric('conjur_spiffe_sds_nacks_total');
    await check.explain(() => {
      const out = JSON.parse(stdout.trim()) as CheckOutput;
      // The Conjur-signed SVID of this pod, verified by the program against the bundle SDS gave it.
      expect(out.spiffeId).toBe(payments.spiffeId);
      expect(out.rootcaTrustDomains).toEqual(['cluster.local']);
      expect(out.allTrustDomains).toEqual(['cluster.local']);
      // Four responses: default+ROOTCA, ALL, the names after the NACK, the renewal. The NACK and
      // the ACKs got none; every version and every nonce differs.
      expect(out.versions).toHaveLength(4);
      expect(new Set(out.versions).size).toBe(4);
      expect(new Set(out.nonces).size).toBe(4);
      expect(out.afterNackNames).toEqual(['default', 'spiffe://cluster.local']);
      expect(out.rotatedTo).not.toBe(out.rotatedFrom);
      expect(net.node.conjur.calls.inject).toBeGreaterThan(injectsBefore);
      expect(out.fetchNames).toEqual(['default']);
      expect(out.fetchNonce).toBe('');
      expect(out.deltaCode).toBe('Unimplemented');
      expect(nacks - nacksBefore).toBe(1);
    });
  }, 30_000);

  it('2. two Envoys in two pods complete a mutual-TLS exchange with only what SDS gave them, each matching the other\'s SPIFFE ID', async () => {
    const server = envoy(orders, 'serve', ['serve', '-authorize', payments.spiffeId, '-timeout', '15s']);
    const [, addr] = await server.line(/^listening (\S+)$/, 20_000);
    const dial = envoy(payments, 'dial', ['dial', '-authorize', orders.spiffeId, '-addr', addr!, '-timeout', '15s']);
    const reply = await dial.succeeds(20_000);
    const served = await server.succeeds(5_000);
    await dial.explain(() => expect(reply.trim()).toBe(`hello ${payments.spiffeId}, this is ${orders.spiffeId}`));
    await server.explain(() => expect(served).toContain(`served ${payments.spiffeId} (said "ping")`));
  }, 45_000);

  it('3. a client Envoy that expects another SPIFFE ID refuses the server', async () => {
    const server = envoy(orders, 'serve', ['serve', '-authorize', payments.spiffeId, '-timeout', '15s']);
    const [, addr] = await server.line(/^listening (\S+)$/, 20_000);
    const dial = envoy(payments, 'dial (wrong server ID)', ['dial', '-authorize', fraud.spiffeId, '-addr', addr!, '-timeout', '15s']);
    const stderr = await dial.fails(20_000);
    await dial.explain(() => expect(stderr).toContain(`unexpected SPIFFE ID "${orders.spiffeId}", want "${fraud.spiffeId}"`));
    const serverStderr = await server.fails(5_000);
    await server.explain(() => expect(serverStderr).toMatch(/^envoy-sds: read from authorized peer: /m));
  }, 45_000);

  it('4. a server Envoy that expects another SPIFFE ID refuses the client', async () => {
    const server = envoy(orders, 'serve (wrong client ID)', ['serve', '-authorize', fraud.spiffeId, '-timeout', '15s']);
    const [, addr] = await server.line(/^listening (\S+)$/, 20_000);
    const dial = envoy(payments, 'dial', ['dial', '-authorize', orders.spiffeId, '-addr', addr!, '-timeout', '15s']);
    const serverStderr = await server.fails(20_000);
    const dialStderr = await dial.fails(20_000);
    await server.explain(() => expect(serverStderr).toContain(`unexpected SPIFFE ID "${payments.spiffeId}", want "${fraud.spiffeId}"`));
    await dial.explain(() => expect(dial.stdout).not.toContain('hello'));
    expect(dialStderr).toMatch(/^envoy-sds: /m);
  }, 45_000);

  it('5. teardown: the agent holds no connection or stream once the Envoy processes have exited', async () => {
    await net.drained();
  });
});
