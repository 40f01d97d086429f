import { afterEach, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { HealthServer } from '../../../src/health/index.js';
import type { HttpEndpointLimits } from '../../../src/health/index.js';
import { silentLogger } from '../../../src/log/index.js';

describe('HealthServer', () => {
  let server: HealthServer | undefined;
  afterEach(async () => server?.close());

  let port = 0;
  async function start(checks: ConstructorParameters<typeof HealthServer>[0]['checks'], limits?: HttpEndpointLimits) {
    server = new HealthServer({ host: '127.0.0.1', port: 0, checks, logger: silentLogger, limits });
    ({ port } = await server.listen());
    return (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
  }

  /** A raw connection that sends nothing; resolves when the server closes it. */
  function silentConnection(localAddress?: string): Promise<{ socket: Socket; closed: Promise<number> }> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', localAddress });
      const opened = Date.now();
      const closed = new Promise<number>((done) => socket.once('close', () => done(Date.now() - opened)));
      // It reads what it is sent: node:http's periodic check can answer 408 before the idle
      // timeout closes the connection, and bytes left unread would hold back 'end' and 'close'.
      socket.resume();
      socket.on('error', () => {});
      socket.once('connect', () => resolve({ socket, closed }));
      socket.once('error', reject);
    });
  }

  it('answers /live while the process runs', async () => {
    const get = await start([]);
    expect((await get('/live')).status).toBe(200);
  });

  it('is ready only when every component is ready, and says which is not', async () => {
    let conjurReady = false;
    const get = await start([
      { name: 'endpoint', isReady: () => true },
      { name: 'conjur', isReady: () => conjurReady, detail: () => 'conjur: authenticate returned 401' },
    ]);
    const notReady = await get('/ready');
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({
      ready: false,
      components: { endpoint: { ready: true }, conjur: { ready: false, detail: 'conjur: authenticate returned 401' } },
    });
    conjurReady = true;
    expect((await get('/ready')).status).toBe(200);
  });

  it('answers 404 for unknown paths', async () => {
    const get = await start([]);
    expect((await get('/metrics')).status).toBe(404);
  });

  it('closes connections over its bound at once and counts them, and still answers probes after', async () => {
    let refused = 0;
    const get = await start([], { maxConnections: 3, maxConnectionsPerAddress: 100, requestTimeoutMs: 60_000, onRefused: () => refused++ });
    const held = await Promise.all([silentConnection(), silentConnection(), silentConnection()]);
    const extra = await silentConnection();
    await extra.closed;
    expect(refused).toBe(1);
    for (const { socket } of held) socket.destroy();
    await Promise.all(held.map((h) => h.closed));
    expect((await get('/live')).status).toBe(200);
  });

  it('closes a connection that sends no request within the timeout', async () => {
    await start([], { maxConnections: 8, maxConnectionsPerAddress: 8, requestTimeoutMs: 300 });
    const idle = await silentConnection();
    const lifetime = await idle.closed;
    expect(lifetime).toBeGreaterThanOrEqual(250);
    expect(lifetime).toBeLessThan(10_000);
  });

  it('bounds one remote address on its own, so a pod holding connections cannot crowd out the probes', async () => {
    let refused = 0;
    // 127.0.0.2 stands for a pod's address, 127.0.0.1 for the node's, where the kubelet's probes come from.
    const get = await start([], { maxConnections: 100, maxConnectionsPerAddress: 2, requestTimeoutMs: 60_000, onRefused: () => refused++ });
    const held = [await silentConnection('127.0.0.2'), await silentConnection('127.0.0.2')];
    const extra = await silentConnection('127.0.0.2');
    await extra.closed;
    expect(refused).toBe(1);
    expect((await get('/live')).status).toBe(200);
    for (const { socket } of held) socket.destroy();
    await Promise.all(held.map((h) => h.closed));
    // The server sees the closes a moment after the client: the address gets its share back then.
    let stillOpen = false;
    for (let attempt = 0; attempt < 20 && !stillOpen; attempt++) {
      const again = await silentConnection('127.0.0.2');
      stillOpen = await Promise.race([again.closed.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 200))]);
      again.socket.destroy();
    }
    expect(stillOpen).toBe(true);
  });
});
