import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as connectHttp2, constants as http2Constants } from 'node:http2';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { createWorkloadApiServer, EndpointError, WorkloadEndpoint } from '../../../src/workload-api/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { FakeAttestor } from '../../fakes/fake-attestor.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { FakeIdentityResolver } from '../../fakes/fake-identity-resolver.js';
import { FakeSvidSubscriptions } from '../../fakes/fake-svid-subscriptions.js';
import { firstMessage, StreamReader } from '../../support/workload-client.js';
import { eventually, startTestEndpoint } from '../../support/workload-endpoint-fixture.js';
import type { TestEndpoint } from '../../support/workload-endpoint-fixture.js';

function bareEndpoint(svids: FakeSvidSubscriptions, socketPath: string): WorkloadEndpoint {
  const api = createWorkloadApiServer({ attestor: new FakeAttestor(), identities: new FakeIdentityResolver(), svids, logger: silentLogger });
  return new WorkloadEndpoint(api, { socketPath, logger: silentLogger });
}

async function startupError(endpoint: WorkloadEndpoint): Promise<EndpointError> {
  try {
    await endpoint.listen();
  } catch (error) {
    await endpoint.close(0);
    if (error instanceof EndpointError) return error;
    throw error;
  }
  await endpoint.close(0);
  throw new Error('listen() succeeded');
}

function openRawConnection(socketPath: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath, () => resolve(socket));
    socket.on('error', reject);
  });
}

const fdCount = () => readdirSync('/proc/self/fd').length;

/** HTTP/2 Rapid Reset from this process: streams opened and cancelled at once, until GOAWAY. */
async function rapidReset(socketPath: string, streams: number): Promise<number> {
  const session = connectHttp2('http://localhost', { createConnection: () => connect(socketPath) });
  session.on('error', () => {});
  const goaway = new Promise<number>((resolve) => session.once('goaway', resolve));
  const headers = { ':method': 'POST', ':path': '/SpiffeWorkloadAPI/FetchX509SVID', 'content-type': 'application/grpc', te: 'trailers', 'workload.spiffe.io': 'true' };
  for (let i = 0; i < streams; i++) {
    const request = session.request(headers);
    request.on('error', () => {});
    request.close(http2Constants.NGHTTP2_CANCEL);
  }
  const code = await goaway;
  session.destroy();
  return code;
}

/** A raw connection that records whether the agent sent it anything and when it closed it. */
async function watchedConnection(socketPath: string) {
  const socket = await openRawConnection(socketPath);
  const state = { bytes: 0, closed: false };
  socket.on('data', (chunk: Buffer) => (state.bytes += chunk.length));
  socket.on('error', () => {});
  socket.once('close', () => (state.closed = true));
  return { socket, state };
}

describe('WorkloadEndpoint', () => {
  let svids: FakeSvidSubscriptions;
  let t: TestEndpoint | undefined;

  beforeAll(async () => {
    svids = await FakeSvidSubscriptions.create();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  describe('startup', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'wl-start-'));
      writeFileSync(join(dir, 'a-file'), 'not a directory');
      writeFileSync(join(dir, 'taken.sock'), 'not a socket');
      return () => rm(dir, { recursive: true, force: true });
    });

    const cases = [
      { name: 'the directory is missing', path: () => join(dir, 'missing', 'agent.sock'), code: 'directory-missing', says: 'does not exist: create it' },
      { name: 'the "directory" is a regular file', path: () => join(dir, 'a-file', 'agent.sock'), code: 'directory-missing', says: 'is not a directory' },
      { name: 'the directory refuses new files (even to root)', path: () => '/proc/agent.sock', code: 'directory-unwritable', says: 'make the directory writable' },
      { name: 'a file that is not a socket is in the way', path: () => join(dir, 'taken.sock'), code: 'not-a-socket', says: 'remove it or choose another socket path' },
    ];
    for (const c of cases) {
      it(`fails with one clear line when ${c.name}`, async () => {
        const error = await startupError(bareEndpoint(svids, c.path()));
        expect(error.code).toBe(c.code);
        expect(error.message).toContain(c.says);
        expect(error.message).not.toContain('\n');
      });
    }

    it('leaves a file that is not a socket alone', async () => {
      await startupError(bareEndpoint(svids, join(dir, 'taken.sock')));
      expect(statSync(join(dir, 'taken.sock')).isFile()).toBe(true);
    });

    it('refuses a path a live agent serves, and that agent keeps serving', async () => {
      t = await startTestEndpoint(svids);
      const error = await startupError(bareEndpoint(svids, t.socketPath));
      expect(error.code).toBe('in-use');
      expect(error.message).toContain('another server is already listening');
      expect((await firstMessage(t.client().fetchX509Svid())).svids).toHaveLength(1);
    });

    it('replaces a stale socket left by a crashed agent', async () => {
      const stale = join(dir, 'stale.sock');
      // A process that dies while listening leaves its socket file behind.
      spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`]);
      expect(statSync(stale).isSocket()).toBe(true);
      const endpoint = bareEndpoint(svids, stale);
      await endpoint.listen();
      const socket = await openRawConnection(stale);
      socket.destroy();
      await endpoint.close(0);
    });

    it('makes the socket connectable by any uid, or as configured', async () => {
      t = await startTestEndpoint(svids);
      expect(statSync(t.socketPath).mode & 0o777).toBe(0o777);
      const restricted = await startTestEndpoint(svids, { socketMode: 0o770 });
      expect(statSync(restricted.socketPath).mode & 0o777).toBe(0o770);
      await restricted.close();
    });
  });

  describe('connections', () => {
    it('maps each call to the kernel credentials of its connection', async () => {
      t = await startTestEndpoint(svids);
      await firstMessage(t.client().fetchX509Svid());
      expect(t.attestor.attested).toEqual([{ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() }]);
    });

    it('drops a connection that sends garbage and keeps serving others', async () => {
      t = await startTestEndpoint(svids);
      const garbage = await openRawConnection(t.socketPath);
      const hungUp = new Promise((resolve) => {
        garbage.on('end', resolve);
        garbage.on('close', resolve);
      });
      garbage.resume(); // read what the server answers (a GOAWAY), so 'end' can fire
      garbage.write(randomBytes(4096));
      await hungUp;
      garbage.destroy();
      expect((await firstMessage(t.client().fetchX509Svid())).svids).toHaveLength(1);
      await eventually(() => t!.endpoint.connectionCount === 1);
    });

    it('opens and closes 1,000 connections without leaking state or file descriptors', async () => {
      t = await startTestEndpoint(svids);
      await firstMessage(t.client().fetchX509Svid()); // warm up: the client's own fds exist before counting
      const before = fdCount();
      for (let batch = 0; batch < 10; batch++) {
        const sockets = await Promise.all(Array.from({ length: 100 }, () => openRawConnection(t!.socketPath)));
        // Wait until the endpoint has accepted (and read the peer of) every one before closing.
        await eventually(() => t!.endpoint.connectionCount === 101 && t!.api.peers.size === 101);
        for (const socket of sockets) socket.destroy();
        await eventually(() => t!.endpoint.connectionCount === 1 && t!.api.peers.size === 1);
      }
      await eventually(() => fdCount() <= before + 5);
    });
  });

  describe('Rapid Reset floods', () => {
    it("holds a flooding pod's new connections unanswered until its refusal ends, up to limits.earlyResetHeldConnections, and closes the rest at once", async () => {
      const clock = new FakeClock();
      const dir = await mkdtemp(join(tmpdir(), 'wl-'));
      const socketPath = join(dir, 'agent.sock');
      const refused: string[] = [];
      const limits = { earlyResetBurst: 1, earlyResetRate: 1, earlyResetBackoffMs: 2_000, earlyResetHeldConnections: 2 };
      const api = createWorkloadApiServer({ attestor: new FakeAttestor(), identities: new FakeIdentityResolver(), svids, logger: silentLogger, clock, limits, onLimit: (limit) => refused.push(limit) });
      const endpoint = new WorkloadEndpoint(api, { socketPath, logger: silentLogger, clock });
      await endpoint.listen();
      try {
        expect(await rapidReset(socketPath, 20)).toBe(http2Constants.NGHTTP2_ENHANCE_YOUR_CALM);
        await clock.advance(50); // the GOAWAY had its turn: the connection is cut
        await eventually(() => endpoint.connectionCount === 0);
        // This process (its group: its uid) is refused now: its next two connections are held open...
        const held = [await watchedConnection(socketPath)];
        await eventually(() => endpoint.connectionCount === 1);
        held.push(await watchedConnection(socketPath));
        await eventually(() => endpoint.connectionCount === 2);
        // ...and the one over the bound is closed at once.
        const over = await watchedConnection(socketPath);
        await eventually(() => over.state.closed);
        expect(held.map((c) => c.state)).toEqual([{ bytes: 0, closed: false }, { bytes: 0, closed: false }]);
        expect(refused.filter((limit) => limit === 'earlyResets').length).toBeGreaterThanOrEqual(4); // the cut, then 3 refusals
        // The refusal (2 s) ends, and one reset's worth of budget comes back (1 s): the held ones are closed, unanswered.
        await clock.advance(3_000);
        await eventually(() => held.every((c) => c.state.closed));
        expect(held.map((c) => c.state.bytes)).toEqual([0, 0]);
        expect(endpoint.connectionCount).toBe(0);
      } finally {
        await endpoint.close(0);
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe('close', () => {
    it('ends open streams with Unavailable, removes the socket and reports NOT_SERVING first', async () => {
      t = await startTestEndpoint(svids);
      const reader = new StreamReader(t.client().fetchX509Svid());
      await reader.next();
      await t.endpoint.close(1000);
      expect(await reader.ended).toEqual({ code: status.UNAVAILABLE, details: 'agent shutting down' });
      expect(existsSync(t.socketPath)).toBe(false);
      expect(t.api.health.isServing()).toBe(false);
      expect(t.endpoint.connectionCount).toBe(0);
      expect(svids.active).toBe(0);
    });

    it('cuts connections still busy when the grace period ends', async () => {
      const clock = new FakeClock();
      t = await startTestEndpoint(svids, { clock });
      // A health Watch is a stream the agent does not end itself: it keeps its connection busy.
      const watch = new StreamReader(t.client().watchHealth());
      expect((await watch.next()).status).toBe('SERVING');
      let closed = false;
      const closing = t.endpoint.close(5000).then(() => (closed = true));
      expect((await watch.next()).status).toBe('NOT_SERVING');
      await clock.advance(4999);
      expect(closed).toBe(false);
      expect(t.endpoint.connectionCount).toBe(1);
      await clock.advance(1);
      await closing;
      expect((await watch.ended).code).not.toBe(status.OK);
      expect(t.endpoint.connectionCount).toBe(0);
      expect(clock.pendingTimers).toBe(0);
    });
  });
});
