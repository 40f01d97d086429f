import { describe, expect, it } from '@jest/globals';
import type { AcceptedPeer } from '../../../src/peer/index.js';
import { RefusedPeers } from '../../../src/workload-api/refused-peers.js';

/** A peer as readPeer returns it, whose process can be made to exit; counts its releases (pidfd closes). */
function peerOf(pid: number, liveness: AcceptedPeer['liveness'] = 'pidfd') {
  const state = { running: true, releases: 0 };
  const peer: AcceptedPeer = {
    connectionId: `c-${pid}`,
    credentials: { pid, uid: 1000, gid: 1000 },
    liveness,
    isStillAlive: () => Promise.resolve(state.running && state.releases === 0),
    release: () => void (state.releases += 1),
  };
  return { peer, state };
}

function refusedPeers(max = 4) {
  const refused = new Set<string>(['pod a', 'pod b']);
  return { peers: new RefusedPeers(max, (group) => refused.has(group)), refused };
}

describe('RefusedPeers', () => {
  it("recognises a refused pod's process by its pid while the refusal lasts, then forgets it and closes its pidfd", async () => {
    const { peers, refused } = refusedPeers();
    const { peer, state } = peerOf(41);
    expect(peers.remember(peer, 'pod a')).toBe(true);
    expect(peers.has(41)).toBe(true);
    expect(await peers.refusedGroupOf(41)).toBe('pod a');
    expect(await peers.refusedGroupOf(42)).toBeUndefined();
    refused.delete('pod a');
    expect(await peers.refusedGroupOf(41)).toBeUndefined();
    expect(peers.has(41)).toBe(false);
    expect(state.releases).toBe(1);
  });

  it('never refuses a new process that got the pid of one that exited', async () => {
    const { peers } = refusedPeers();
    const { peer, state } = peerOf(41);
    peers.remember(peer, 'pod a');
    state.running = false; // pid 41 may now be anyone's
    expect(await peers.refusedGroupOf(41)).toBeUndefined();
    expect(peers.size).toBe(0);
    expect(state.releases).toBe(1);
  });

  it('keeps no peer without a pidfd (its pid could be reused unnoticed): the caller releases it', () => {
    const { peers } = refusedPeers();
    expect(peers.remember(peerOf(41, 'proc').peer, 'pod a')).toBe(false);
    expect(peers.size).toBe(0);
  });

  it('keeps at most its bound, closing the oldest pidfd, and drops peers whose refusal ended when it remembers another', () => {
    const { peers, refused } = refusedPeers(2);
    const [first, second, third] = [peerOf(1), peerOf(2), peerOf(3)];
    peers.remember(first.peer, 'pod a');
    peers.remember(second.peer, 'pod b');
    peers.remember(third.peer, 'pod b');
    expect([peers.has(1), peers.has(2), peers.has(3)]).toEqual([false, true, true]);
    expect(first.state.releases).toBe(1);
    refused.delete('pod b');
    const fourth = peerOf(4);
    peers.remember(fourth.peer, 'pod a');
    expect(peers.size).toBe(1);
    expect([second.state.releases, third.state.releases]).toEqual([1, 1]);
    peers.clear();
    expect(fourth.state.releases).toBe(1);
  });

  it('replaces the entry of a pid remembered again, closing the earlier pidfd once', () => {
    const { peers } = refusedPeers();
    const [earlier, later] = [peerOf(7), peerOf(7)];
    peers.remember(earlier.peer, 'pod a');
    peers.remember(later.peer, 'pod a');
    expect(peers.size).toBe(1);
    expect([earlier.state.releases, later.state.releases]).toEqual([1, 0]);
  });
});
