import { byDefault, field } from './field.js';
import { positiveDurationMs, positiveInteger } from './field-types.js';

// Bounds on what callers of the Workload API socket may hold. A caller is counted per pod (the
// pod UID in its cgroup, read when the connection is accepted), or per uid outside pods. Each
// per-pod bound sits well below its node-wide bound, so one hostile pod cannot use up the node's
// share; the defaults fit a heavy legitimate pod (100 processes, each with an X.509, a bundle
// and a token stream, on up to three connections each) with room to spare.

export const LIMIT_FIELDS = {
  limitsConnections: field({
    path: 'limits.connections',
    type: positiveInteger,
    presence: byDefault(2048),
    description: 'Open Workload API connections on the node; a connection over it is answered ResourceExhausted and closed.',
  }),
  limitsConnectionsPerPod: field({
    path: 'limits.connectionsPerPod',
    type: positiveInteger,
    presence: byDefault(512),
    description: 'Open connections of one pod (of one uid for callers outside pods), counted from accept.',
  }),
  limitsStreams: field({
    path: 'limits.streams',
    type: positiveInteger,
    presence: byDefault(2048),
    description: 'Open gRPC calls on the node (every stream and unary call, health included); over it a call gets ResourceExhausted.',
  }),
  limitsStreamsPerPod: field({
    path: 'limits.streamsPerPod',
    type: positiveInteger,
    presence: byDefault(512),
    description: 'Open gRPC calls of one pod (of one uid outside pods).',
  }),
  limitsStreamsPerConnection: field({
    path: 'limits.streamsPerConnection',
    type: positiveInteger,
    presence: byDefault(100),
    description: 'HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS of each connection: clients queue calls beyond it.',
  }),
  limitsHealthWatches: field({
    path: 'limits.healthWatches',
    type: positiveInteger,
    presence: byDefault(256),
    description: 'Open grpc.health.v1 Watch streams on the node (they need no identity); over it a Watch gets ResourceExhausted.',
  }),
  limitsHealthWatchesPerPod: field({
    path: 'limits.healthWatchesPerPod',
    type: positiveInteger,
    presence: byDefault(16),
    description: 'Open health Watch streams of one pod (of one uid outside pods).',
  }),
  limitsHandshakeTimeoutMs: field({
    path: 'limits.handshakeTimeout',
    type: positiveDurationMs,
    presence: byDefault('5s'),
    description: 'A connection that has not sent the HTTP/2 preface and settings by then is closed.',
  }),
  limitsIdleTimeoutMs: field({
    path: 'limits.idleTimeout',
    type: positiveDurationMs,
    presence: byDefault('2m'),
    description: 'A connection without an open call for this long is closed (GOAWAY; clients reconnect when they next call).',
  }),
  limitsHttpConnections: field({
    path: 'limits.httpConnections',
    type: positiveInteger,
    presence: byDefault(256),
    description: 'Open connections on each HTTP endpoint (health.listen, metrics.listen); a connection over it is closed at once. A request there must arrive whole, and an idle connection ends, within limits.handshakeTimeout.',
  }),
  limitsHttpConnectionsPerAddress: field({
    path: 'limits.httpConnectionsPerAddress',
    type: positiveInteger,
    presence: byDefault(8),
    description: "Open connections from one remote address on each HTTP endpoint: a pod holding its share open cannot crowd out the kubelet's probes.",
  }),
  limitsEarlyResetBurst: field({
    path: 'limits.earlyResetBurst',
    type: positiveInteger,
    presence: byDefault(200),
    description: "Calls a pod may cancel before their first answer in a burst (HTTP/2 Rapid Reset guard); over it the connection is closed and the pod's new connections refused for limits.earlyResetBackoff.",
  }),
  limitsEarlyResetRate: field({
    path: 'limits.earlyResetRate',
    type: positiveInteger,
    presence: byDefault(50),
    description: 'Per second, the sustained rate of such early cancels a pod may keep up. Cancels after the first answer are never limited.',
  }),
  limitsEarlyResetBackoffMs: field({
    path: 'limits.earlyResetBackoff',
    type: positiveDurationMs,
    presence: byDefault('1s'),
    description: "How long a pod's new connections are refused after it went over limits.earlyResetBurst; twice as long each time it does so again within limits.earlyResetBackoffMax of the last refusal. Its budget does not refill meanwhile. Its refused connections get no answer and are closed when the refusal ends (after limits.handshakeTimeout at most).",
  }),
  limitsEarlyResetBackoffMaxMs: field({
    path: 'limits.earlyResetBackoffMax',
    type: positiveDurationMs,
    presence: byDefault('30s'),
    description: 'The longest such refusal, for a pod that keeps flooding; a pod that stays within its budget this long after a refusal starts again from limits.earlyResetBackoff.',
  }),
  limitsEarlyResetHeldConnections: field({
    path: 'limits.earlyResetHeldConnections',
    type: positiveInteger,
    presence: byDefault(256),
    description: "Refused connections of such pods held unanswered on the node (a socket each), so that a pod reconnecting in a loop waits instead of costing the agent an accept each time; over it they are closed at once.",
  }),
} as const;
