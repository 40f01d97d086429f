import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { PeerError, readPeer } from '../../../src/peer/index.js';
import type { AcceptedPeer } from '../../../src/peer/index.js';
import { ProcPeer } from '../../../src/peer/read-peer.js';

const me = { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() };
const fdCount = () => readdirSync('/proc/self/fd').length;

describe('readPeer', () => {
  let dir: string;
  let server: Server;
  let socketPath: string;
  const accepted: Socket[] = [];
  const peers: AcceptedPeer[] = [];
  let nextAccepted: ((socket: Socket) => void) | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peer-'));
    socketPath = join(dir, 'peer.sock');
    server = createServer((socket) => {
      accepted.push(socket);
      nextAccepted?.(socket);
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  });
  afterEach(() => {
    for (const peer of peers.splice(0)) peer.release();
    for (const socket of accepted.splice(0)) socket.destroy();
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const acceptNext = () => new Promise<Socket>((resolve) => (nextAccepted = resolve));
  const read = (socket: Socket, connectionId = 'c-1') => {
    const peer = readPeer(socket, { connectionId });
    peers.push(peer);
    return peer;
  };

  it('reads the pid, uid and gid of the connecting process, with a pidfd on this kernel', async () => {
    const accepting = acceptNext();
    const client = connect(socketPath);
    const peer = read(await accepting);
    expect(peer.credentials).toEqual(me);
    expect(peer.connectionId).toBe('c-1');
    expect(peer.liveness).toBe('pidfd');
    expect(await peer.isStillAlive()).toBe(true);
    client.destroy();
  });

  it('closes the pidfd on release, after which the peer never counts as alive', async () => {
    const accepting = acceptNext();
    const client = connect(socketPath);
    const socket = await accepting;
    const before = fdCount();
    const peer = readPeer(socket, { connectionId: 'c-2' });
    expect(fdCount()).toBe(before + 1);
    peer.release();
    peer.release();
    expect(fdCount()).toBe(before);
    expect(await peer.isStillAlive()).toBe(false);
    client.destroy();
  });

  it('says a caller is gone once its process has exited', async () => {
    const accepting = acceptNext();
    const child = spawn(process.execPath, ['-e', `const c = require('net').connect(${JSON.stringify(socketPath)}); process.stdin.on('end', () => process.exit(0)); process.stdin.resume();`], { stdio: ['pipe', 'ignore', 'inherit'] });
    const peer = read(await accepting);
    expect(peer.credentials.pid).toBe(child.pid);
    expect(await peer.isStillAlive()).toBe(true);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.stdin.end();
    await exited;
    expect(await peer.isStillAlive()).toBe(false);
  });

  it('throws PeerError for a socket that is already closed', async () => {
    const accepting = acceptNext();
    const client = connect(socketPath);
    const socket = await accepting;
    socket.destroy();
    expect(() => readPeer(socket, { connectionId: 'c-3' })).toThrow(PeerError);
    client.destroy();
  });
});

describe('ProcPeer (kernels without SO_PEERPIDFD)', () => {
  let procRoot: string;
  const pid = 4242;
  const credentials = { pid, uid: 1000, gid: 1000 };
  const layOut = (startTime: number, uid: number) => {
    mkdirSync(join(procRoot, String(pid)), { recursive: true });
    writeFileSync(join(procRoot, String(pid), 'stat'), `${pid} (app) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 ${startTime} 0 0\n`);
    writeFileSync(join(procRoot, String(pid), 'status'), `Name:\tapp\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\nGid:\t1000\t1000\t1000\t1000\n`);
  };

  beforeAll(() => {
    procRoot = mkdtempSync(join(tmpdir(), 'proc-'));
  });
  afterAll(() => rmSync(procRoot, { recursive: true, force: true }));

  const cases = [
    { name: 'is alive while the same process runs', startTimeAtAccept: 500, now: { startTime: 500, uid: 1000 }, expect: true },
    { name: 'is not alive when the pid was reused (new start time)', startTimeAtAccept: 500, now: { startTime: 900, uid: 1000 }, expect: false },
    { name: 'is not alive when the process changed its uid', startTimeAtAccept: 500, now: { startTime: 500, uid: 0 }, expect: false },
    { name: 'is not alive when the process is gone', startTimeAtAccept: 500, now: undefined, expect: false },
    { name: 'is never alive when the process was gone at accept', startTimeAtAccept: undefined, now: { startTime: 500, uid: 1000 }, expect: false },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      rmSync(join(procRoot, String(pid)), { recursive: true, force: true });
      if (c.now) layOut(c.now.startTime, c.now.uid);
      const peer = new ProcPeer('c-1', credentials, c.startTimeAtAccept, procRoot);
      expect(await peer.isStillAlive()).toBe(c.expect);
    });
  }

  it('is not alive after release', async () => {
    layOut(500, 1000);
    const peer = new ProcPeer('c-1', credentials, 500, procRoot);
    peer.release();
    expect(await peer.isStillAlive()).toBe(false);
  });
});
