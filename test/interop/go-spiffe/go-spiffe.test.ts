import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import type { SimulatedPod } from '../../support/simulated-node.js';
import { CLIENT_CERT_VALIDITY_MS } from '../../doubles/conjur/issue-certificate.js';
import { describeClient } from '../installed-client.js';
import { FAST_RENEWAL_OVERRIDES, InteropNode } from '../interop-node.js';

// go-spiffe v2 (workloadapi, spiffetls, x509svid) against the agent, through our program
// test/interop/go-spiffe (main.go). Steps are numbered as in this folder's README.

interface CheckOutput {
  spiffeId: string;
  hint: string;
  notAfter: string;
  chainLength: number;
  authorities: number;
  serial: string;
}

describeClient('go-spiffe', 'go-spiffe (workloadapi, spiffetls) against the agent', (client) => {
  let net: InteropNode;
  let orders: SimulatedPod;
  let payments: SimulatedPod;
  let fraud: SimulatedPod;

  beforeAll(async () => {
    console.log(`interop client: ${client.banner}`);
    // SVIDs renew every ~2.6 s (step 5 observes one); every other step runs across renewals too.
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

  const go = (pod: SimulatedPod, label: string, args: readonly string[]) =>
    net.run(pod, client.command, args, { label: `go-spiffe ${label}` });

  it('1. check: go-spiffe parses the X509-SVID and verifies it against the bundle, for the pod\'s SPIFFE ID', async () => {
    const check = go(payments, 'check', ['check', '-timeout', '15s']);
    const stdout = await check.succeeds(20_000);
    await check.explain(() => {
      const out = JSON.parse(stdout.trim()) as CheckOutput;
      expect(out.spiffeId).toBe(payments.spiffeId);
      expect(out.hint).toBe(payments.login);
      expect(out.authorities).toBeGreaterThanOrEqual(1);
      expect(out.chainLength).toBeGreaterThanOrEqual(1);
      // Conjur's fixed client-certificate lifetime: the SVID came from Conjur, not a local CA.
      const lifetimeMs = Date.parse(out.notAfter) - Date.now();
      expect(Math.abs(lifetimeMs - CLIENT_CERT_VALIDITY_MS)).toBeLessThan(10 * 60_000);
    });
  }, 25_000);

  it('2. spiffetls: two workloads in two pods complete a mutual-TLS exchange, each authorizing the other by SPIFFE ID', async () => {
    const server = go(orders, 'serve', ['serve', '-authorize', payments.spiffeId, '-timeout', '15s']);
    const [, addr] = await server.line(/^listening (\S+)$/, 20_000);
    const dial = go(payments, 'dial', ['dial', '-authorize', orders.spiffeId, '-addr', addr!, '-timeout', '15s']);
    const reply = await dial.succeeds(20_000);
    const served = await server.succeeds(5_000);
    await dial.explain(() => expect(reply.trim()).toBe(`hello ${payments.spiffeId}, this is ${orders.spiffeId}`));
    await server.explain(() => expect(served).toContain(`served ${payments.spiffeId} (said "ping")`));
  }, 45_000);

  it('3. spiffetls: a client that expects another SPIFFE ID refuses the server', async () => {
    const server = go(orders, 'serve', ['serve', '-authorize', payments.spiffeId, '-timeout', '15s']);
    const [, addr] = await server.line(/^listening (\S+)$/, 20_000);
    const dial = go(payments, 'dial (wrong server ID)', ['dial', '-authorize', fraud.spiffeId, '-addr', addr!, '-timeout', '15s']);
    const stderr = await dial.fails(20_000);
    await dial.explain(() => {
      expect(stderr).toContain('go-spiffe: spiffetls.Dial (peer authorized by SPIFFE ID):');
      expect(stderr).toContain(`unexpected ID "${orders.spiffeId}"`);
    });
    // The client aborted the handshake (an alert, or a closed connection), so the server never
    // got an authorized peer.
    const serverStderr = await server.fails(5_000);
    await server.explain(() => {
      expect(serverStderr).toMatch(/^go-spiffe: read from authorized peer: /m);
      expect(server.stdout).not.toContain('served');
    });
  }, 45_000);

  it('4. spiffetls: a server that expects another SPIFFE ID refuses the client', async () => {
    const server = go(orders, 'serve (wrong client ID)', ['serve', '-authorize', fraud.spiffeId, '-timeout', '15s']);
    const [, addr] = await server.line(/^listening (\S+)$/, 20_000);
    const dial = go(payments, 'dial', ['dial', '-authorize', orders.spiffeId, '-addr', addr!, '-timeout', '15s']);
    const serverStderr = await server.fails(20_000);
    const dialStderr = await dial.fails(20_000);
    await server.explain(() => expect(serverStderr).toContain(`go-spiffe: read from authorized peer: unexpected ID "${payments.spiffeId}"`));
    // TLS 1.3: the client's handshake completed before the server judged its certificate, so the
    // refusal reaches it on the first read (usually as `remote error: tls: bad certificate`).
    await dial.explain(() => {
      expect(dialStderr).toMatch(/^go-spiffe: read reply: /m);
      expect(dial.stdout).not.toContain('hello');
    });
  }, 45_000);

  it('5. rotation: go-spiffe\'s X509Source receives a renewed SVID on its open stream and verifies it', async () => {
    const injectsBefore = net.node.conjur.calls.inject;
    const rotation = go(payments, 'rotation', ['rotation', '-timeout', '15s']);
    const stdout = await rotation.succeeds(20_000);
    await rotation.explain(() => {
      const match = /^rotated (\d+) -> (\d+)$/m.exec(stdout);
      expect(match).not.toBeNull();
      expect(match![1]).not.toBe(match![2]);
      // The new certificate was issued by Conjur (a renewal is another inject call).
      expect(net.node.conjur.calls.inject).toBeGreaterThan(injectsBefore);
    });
  }, 25_000);

  it('6. teardown: the agent holds no connection or stream once the go-spiffe processes have exited', async () => {
    await net.drained();
  });
});
