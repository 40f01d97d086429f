import { mkdir, mkdtemp, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UnixAttestor } from '../../../src/attestation/index.js';
import type { Peer } from '../../../src/peer/index.js';

function peer(pid: number, uid = 1000, gid = 1000): Peer {
  return { connectionId: 'c1', credentials: { pid, uid, gid }, isStillAlive: async () => true };
}

const signal = () => new AbortController().signal;

describe('UnixAttestor', () => {
  let procRoot: string;

  beforeAll(async () => {
    procRoot = await mkdtemp(join(tmpdir(), 'unix-attestor-'));
    await mkdir(join(procRoot, '4242'));
    await symlink('/usr/local/bin/payments', join(procRoot, '4242', 'exe'));
    await mkdir(join(procRoot, '4343'));
  });

  afterAll(async () => {
    await rm(procRoot, { recursive: true, force: true });
  });

  it('reports the kernel credentials and the executable path from procfs', async () => {
    const facts = await new UnixAttestor({ procRoot }).attest(peer(4242, 1001, 1002), signal());
    expect(facts).toEqual({ kind: 'unix', process: { pid: 4242, uid: 1001, gid: 1002, exePath: '/usr/local/bin/payments' } });
  });

  it('reads the real executable of this test process from /proc', async () => {
    const facts = await new UnixAttestor({ procRoot: '/proc' }).attest(peer(process.pid, process.getuid!(), process.getgid!()), signal());
    expect(facts.process.exePath).toBe(await realpath(process.execPath));
    expect(facts.process.uid).toBe(process.getuid!());
  });

  it('fails as unavailable when the process is gone', async () => {
    await expect(new UnixAttestor({ procRoot }).attest(peer(999999), signal())).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('process 999999 is gone'),
    });
  });

  it('leaves the executable path out when it cannot be read, keeping the kernel credentials', async () => {
    const facts = await new UnixAttestor({ procRoot }).attest(peer(4343), signal());
    expect(facts).toEqual({ kind: 'unix', process: { pid: 4343, uid: 1000, gid: 1000 } });
  });

  it('refuses a peer whose pid the kernel could not map into this namespace', async () => {
    await expect(new UnixAttestor({ procRoot }).attest(peer(0), signal())).rejects.toMatchObject({ code: 'not-a-workload' });
  });

  it('stops when the call is cancelled', async () => {
    const controller = new AbortController();
    controller.abort(new Error('client went away'));
    await expect(new UnixAttestor({ procRoot }).attest(peer(4242), controller.signal)).rejects.toThrow('client went away');
  });
});
