import { describe, expect, it } from '@jest/globals';
import { DEFAULT_HTTP_ENDPOINT_LIMITS } from '../../../src/health/index.js';
import { CallerLimits, DEFAULT_ENDPOINT_LIMITS } from '../../../src/workload-api/index.js';
import type { EndpointLimits, LimitName, LimitRefusal } from '../../../src/workload-api/index.js';
import { FIELDS } from '../../../src/config/field-table.js';
import { recordingLogger } from '../../fakes/recording-logger.js';

const small: EndpointLimits = {
  ...DEFAULT_ENDPOINT_LIMITS,
  connections: 4,
  connectionsPerPod: 2,
  streams: 6,
  streamsPerPod: 4,
  healthWatches: 3,
  healthWatchesPerPod: 2,
};

function limitsOf(limits = small) {
  const refused: LimitName[] = [];
  const logger = recordingLogger();
  const now = { ms: 0 };
  const callerLimits = new CallerLimits(limits, { logger, now: () => now.ms, onRefusal: (limit) => refused.push(limit) });
  return { callerLimits, refused, logs: logger.records, now };
}

const isRefusal = (lease: unknown): lease is LimitRefusal => typeof lease === 'object' && lease !== null && 'limit' in lease;

describe('CallerLimits', () => {
  it('refuses a pod its next connection at limits.connectionsPerPod while other pods still connect', () => {
    const { callerLimits, refused } = limitsOf();
    expect(callerLimits.openConnection('c1', 'pod a')).toBeUndefined();
    expect(callerLimits.openConnection('c2', 'pod a')).toBeUndefined();
    expect(callerLimits.openConnection('c3', 'pod a')).toEqual({
      limit: 'connectionsPerPod',
      message: 'connection limit reached: pod a has 2 open connections (limits.connectionsPerPod)',
    });
    expect(callerLimits.openConnection('c4', 'pod b')).toBeUndefined();
    expect(refused).toEqual(['connectionsPerPod']);
    callerLimits.closeConnection('c1');
    expect(callerLimits.openConnection('c5', 'pod a')).toBeUndefined();
  });

  it('refuses every group once the node holds limits.connections', () => {
    const { callerLimits } = limitsOf();
    for (const [id, group] of [['c1', 'pod a'], ['c2', 'pod b'], ['c3', 'pod c'], ['c4', 'uid 1000']] as const) {
      expect(callerLimits.openConnection(id, group)).toBeUndefined();
    }
    expect(callerLimits.openConnection('c5', 'pod d')?.message).toBe('connection limit reached: 4 open connections on this node (limits.connections)');
  });

  it('refuses every call on a refused connection with the connection bound', () => {
    const { callerLimits } = limitsOf();
    callerLimits.openConnection('c1', 'pod a');
    callerLimits.openConnection('c2', 'pod a');
    callerLimits.openConnection('c3', 'pod a');
    expect(callerLimits.openCall('c3', 'call')).toEqual(expect.objectContaining({ limit: 'connectionsPerPod' }));
  });

  it('counts calls per pod and on the node, and frees them when released (once)', () => {
    const { callerLimits, refused } = limitsOf();
    callerLimits.openConnection('c1', 'pod a');
    callerLimits.openConnection('c2', 'pod b');
    const leases = [1, 2, 3, 4].map(() => callerLimits.openCall('c1', 'call'));
    expect(leases.some(isRefusal)).toBe(false);
    const fifth = callerLimits.openCall('c1', 'call');
    expect(fifth).toEqual({ limit: 'streamsPerPod', message: 'call limit reached: pod a has 4 open calls (limits.streamsPerPod)' });
    expect(isRefusal(callerLimits.openCall('c2', 'call'))).toBe(false);
    expect(isRefusal(callerLimits.openCall('c2', 'call'))).toBe(false);
    expect(callerLimits.openCall('c2', 'call')).toEqual(expect.objectContaining({ limit: 'streams' }));
    const first = leases[0] as () => void;
    first();
    first();
    expect(callerLimits.openStreams).toBe(5);
    expect(refused).toEqual(['streamsPerPod', 'streams']);
  });

  it('bounds health watches below the call bounds, per pod and on the node', () => {
    const { callerLimits } = limitsOf({ ...small, streams: 100, streamsPerPod: 100 });
    callerLimits.openConnection('c1', 'uid 0');
    callerLimits.openConnection('c2', 'uid 1000');
    expect(isRefusal(callerLimits.openCall('c1', 'health-watch'))).toBe(false);
    expect(isRefusal(callerLimits.openCall('c1', 'health-watch'))).toBe(false);
    expect(callerLimits.openCall('c1', 'health-watch')).toEqual(expect.objectContaining({ limit: 'healthWatchesPerPod' }));
    expect(isRefusal(callerLimits.openCall('c1', 'call'))).toBe(false);
    expect(isRefusal(callerLimits.openCall('c2', 'health-watch'))).toBe(false);
    expect(callerLimits.openCall('c2', 'health-watch')).toEqual(expect.objectContaining({ limit: 'healthWatches' }));
  });

  it('forgets a group once its connections and calls are gone', () => {
    const { callerLimits } = limitsOf();
    callerLimits.openConnection('c1', 'pod a');
    const lease = callerLimits.openCall('c1', 'call') as () => void;
    callerLimits.closeConnection('c1');
    expect(callerLimits.trackedGroups).toBe(1);
    lease();
    expect(callerLimits.trackedGroups).toBe(0);
    expect(callerLimits.openConnections).toBe(0);
  });

  it("keeps a pod's early-reset budget across its connections, and refuses its new connections once it is spent", () => {
    const { callerLimits, now } = limitsOf({ ...small, connectionsPerPod: 100, connections: 100, earlyResetBurst: 3, earlyResetRate: 1 });
    callerLimits.openConnection('c1', 'pod a');
    expect([1, 2, 3].map(() => callerLimits.takeEarlyReset('c1'))).toEqual([true, true, true]);
    expect(callerLimits.takeEarlyReset('c1')).toBe(false);
    callerLimits.closeConnection('c1');
    expect(callerLimits.openConnection('c2', 'pod a')).toEqual(expect.objectContaining({ limit: 'earlyResets' }));
    expect(callerLimits.openConnection('c3', 'pod b')).toBeUndefined(); // other pods are not affected
    now.ms = 2_000; // refused for 1 s (limits.earlyResetBackoff), then one token back
    expect(callerLimits.openConnection('c4', 'pod a')).toBeUndefined();
    expect(callerLimits.takeEarlyReset('c4')).toBe(true);
  });

  it("refuses a pod's new connections for limits.earlyResetBackoff once it spent its budget, twice as long each time it keeps on", () => {
    const { callerLimits, now, refused } = limitsOf({ ...small, connectionsPerPod: 100, connections: 100, earlyResetBurst: 1, earlyResetRate: 100, earlyResetBackoffMs: 1_000, earlyResetBackoffMaxMs: 4_000 });
    /** Opens a connection of pod a at `ms` and resets streams on it until the budget is spent; when it was admitted again. */
    const floodAt = (ms: number, id: string) => {
      now.ms = ms;
      const refusal = callerLimits.openConnection(id, 'pod a');
      if (refusal) return refusal.limit;
      while (callerLimits.takeEarlyReset(id));
      callerLimits.closeConnection(id);
      return 'cut';
    };
    expect(floodAt(0, 'c1')).toBe('cut');
    // The budget would refill in 10 ms; the pod stays refused for the backoff all the same.
    expect([floodAt(100, 'c2'), floodAt(999, 'c3')]).toEqual(['earlyResets', 'earlyResets']);
    expect(callerLimits.resetRefusalLeftMs('pod a')).toBe(1 + 10);
    expect(callerLimits.openConnection('c4', 'pod b')).toBeUndefined(); // other pods are not affected
    // Its budget did not refill while it was refused: one reset's worth (10 ms) after the end.
    expect(floodAt(1_000, 'c5')).toBe('earlyResets');
    expect(callerLimits.resetRefusalLeftMs('pod a')).toBe(10);
    expect(floodAt(1_010, 'c6')).toBe('cut'); // flooding again: 2 s
    expect([floodAt(3_009, 'c7'), floodAt(3_020, 'c8')]).toEqual(['earlyResets', 'cut']); // then 4 s
    expect([floodAt(7_019, 'c9'), floodAt(7_030, 'c10')]).toEqual(['earlyResets', 'cut']); // 4 s at most
    expect([floodAt(11_029, 'c11'), floodAt(11_040, 'c12')]).toEqual(['earlyResets', 'cut']);
    // Within its budget for limits.earlyResetBackoffMax after the refusal ended: back to 1 s.
    now.ms = 19_040;
    expect(callerLimits.resetRefusalLeftMs('pod a')).toBe(0);
    expect([floodAt(19_040, 'c13'), floodAt(20_039, 'c14'), floodAt(20_050, 'c15')]).toEqual(['cut', 'earlyResets', 'cut']);
    expect(refused.filter((limit) => limit === 'earlyResets')).toHaveLength(7);
  });

  it('does not lengthen a refusal for a connection that was admitted before it began', () => {
    const { callerLimits, now } = limitsOf({ ...small, connectionsPerPod: 100, connections: 100, earlyResetBurst: 2, earlyResetRate: 100, earlyResetBackoffMs: 1_000, earlyResetBackoffMaxMs: 60_000 });
    callerLimits.openConnection('c1', 'pod a');
    callerLimits.openConnection('c2', 'pod a');
    expect([callerLimits.takeEarlyReset('c1'), callerLimits.takeEarlyReset('c2'), callerLimits.takeEarlyReset('c1')]).toEqual([true, true, false]);
    now.ms = 5; // less than one token back
    expect(callerLimits.takeEarlyReset('c2')).toBe(false); // the same flood, on its other connection
    expect(callerLimits.resetRefusalLeftMs('pod a')).toBe(995 + 10);
  });

  it('counts a refused reconnect the endpoint recognised on its own', () => {
    const { callerLimits, refused, logs } = limitsOf();
    callerLimits.refuseReconnect('c9', 'pod a');
    expect(refused).toEqual(['earlyResets']);
    expect(logs).toEqual([
      expect.objectContaining({
        message: 'Caller over a limit',
        fields: expect.objectContaining({ limit: 'earlyResets', caller: 'pod a', reason: expect.stringContaining('limits.earlyResetBackoff') }),
      }),
    ]);
    expect(callerLimits.openConnections).toBe(0);
  });

  it('logs a bound at most once a minute per group, and counts every refusal', () => {
    const { callerLimits, refused, logs, now } = limitsOf();
    callerLimits.openConnection('c1', 'pod a');
    for (let i = 0; i < 10; i++) callerLimits.openCall('c1', 'call');
    expect(refused).toHaveLength(6);
    expect(logs.filter((r) => r.message === 'Caller over a limit')).toHaveLength(1);
    now.ms = 60_000;
    callerLimits.openCall('c1', 'call');
    expect(logs.filter((r) => r.message === 'Caller over a limit')).toEqual([
      expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ limit: 'streamsPerPod', caller: 'pod a' }) }),
      expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ limit: 'streamsPerPod', caller: 'pod a' }) }),
    ]);
  });

  it('has the defaults of the limits.* settings, which fit a heavy pod with room to spare', () => {
    const configured = Object.fromEntries(
      Object.values(FIELDS)
        .filter((f) => f.path.startsWith('limits.'))
        .map((f) => [f.path.slice('limits.'.length), f.type.parse(f.presence.kind === 'default' ? f.presence.value : undefined)]),
    );
    const renamed = Object.fromEntries(Object.entries(DEFAULT_ENDPOINT_LIMITS).map(([k, v]) => [k.replace(/Ms$/, ''), v]));
    // limits.httpConnections bounds the HTTP probes and /metrics, not the socket.
    const { httpConnections, httpConnectionsPerAddress, ...socketLimits } = configured;
    expect(socketLimits).toEqual(renamed);
    expect(httpConnections).toBe(DEFAULT_HTTP_ENDPOINT_LIMITS.maxConnections);
    expect(httpConnectionsPerAddress).toBe(DEFAULT_HTTP_ENDPOINT_LIMITS.maxConnectionsPerAddress);
    // 100 processes with an X.509, a bundle and a token stream each, on up to 3 connections each.
    expect(DEFAULT_ENDPOINT_LIMITS.streamsPerPod).toBeGreaterThanOrEqual(1.5 * 300);
    expect(DEFAULT_ENDPOINT_LIMITS.connectionsPerPod).toBeGreaterThanOrEqual(300);
    // One pod at its bounds leaves most of the node's share to the others.
    expect(DEFAULT_ENDPOINT_LIMITS.streamsPerPod * 4).toBeLessThanOrEqual(DEFAULT_ENDPOINT_LIMITS.streams);
    expect(DEFAULT_ENDPOINT_LIMITS.connectionsPerPod * 4).toBeLessThanOrEqual(DEFAULT_ENDPOINT_LIMITS.connections);
    expect(DEFAULT_ENDPOINT_LIMITS.healthWatchesPerPod * 4).toBeLessThanOrEqual(DEFAULT_ENDPOINT_LIMITS.healthWatches);
  });
});
