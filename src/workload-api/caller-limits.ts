import { TokenBucket } from '../async/index.js';
import { F } from '../log/index.js';
import type { Logger } from '../log/index.js';

/**
 * Bounds on what callers of the socket may hold (the `limits.*` settings). A caller's "group" is
 * its pod (`pod <uid>`, from its cgroup when the connection is accepted) or, outside pods, its uid
 * (`uid <n>`): that is known before any call, without waiting for attestation, and it cannot be
 * chosen by the caller. Every per-group bound sits well below its node-wide bound, so one hostile
 * pod reaches its own bound long before it can take the node's share from the others.
 */
export interface EndpointLimits {
  readonly connections: number;
  readonly connectionsPerPod: number;
  readonly streams: number;
  readonly streamsPerPod: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS of each connection. */
  readonly streamsPerConnection: number;
  readonly healthWatches: number;
  readonly healthWatchesPerPod: number;
  readonly handshakeTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly earlyResetBurst: number;
  readonly earlyResetRate: number;
  readonly earlyResetBackoffMs: number;
  readonly earlyResetBackoffMaxMs: number;
  /** Connections of pods refused for early resets held unanswered on the node (the rest are closed at once). */
  readonly earlyResetHeldConnections: number;
}

/** The configuration defaults (config/limit-fields.ts; a unit test keeps the two equal). */
export const DEFAULT_ENDPOINT_LIMITS: EndpointLimits = Object.freeze({
  connections: 2048,
  connectionsPerPod: 512,
  streams: 2048,
  streamsPerPod: 512,
  streamsPerConnection: 100,
  healthWatches: 256,
  healthWatchesPerPod: 16,
  handshakeTimeoutMs: 5_000,
  idleTimeoutMs: 120_000,
  earlyResetBurst: 200,
  earlyResetRate: 50,
  earlyResetBackoffMs: 1_000,
  earlyResetBackoffMaxMs: 30_000,
  earlyResetHeldConnections: 256,
});

/** Which bound refused a caller or closed its connection; also the metric label. */
export type LimitName =
  | 'connections'
  | 'connectionsPerPod'
  | 'streams'
  | 'streamsPerPod'
  | 'healthWatches'
  | 'healthWatchesPerPod'
  | 'handshakeTimeout'
  | 'earlyResets';

/** A refusal: the bound, and the one line the caller gets (it names the setting to raise). */
export interface LimitRefusal {
  readonly limit: LimitName;
  readonly message: string;
}

export type CallKind = 'call' | 'health-watch';

interface Usage {
  connections: number;
  streams: number;
  healthWatches: number;
}

/** A group whose connection was cut for early resets: its new connections are refused until `until`. */
interface ResetPenalty {
  until: number;
  backoffMs: number;
  /** Set once the refusal ended and the group's budget was emptied as of its end. */
  ended: boolean;
}

interface ConnectionEntry {
  readonly group: string;
  /** Set when the connection itself was over a bound: every call on it is refused with this. */
  readonly refused?: LimitRefusal;
}

const LOG_INTERVAL_MS = 60_000;
const MAX_RESET_BUDGETS = 1_000;

/**
 * Counts connections and open calls per group and on the whole node, and says no over a bound.
 * Refusals are reported once each to `onRefusal` (the metric) and logged at most once a minute
 * per group and bound, so a flood cannot flood the log too.
 */
export class CallerLimits {
  private readonly usage = new Map<string, Usage>();
  private readonly connections = new Map<string, ConnectionEntry>();
  private readonly total: Usage = { connections: 0, streams: 0, healthWatches: 0 };
  private readonly lastLogged = new Map<string, number>();
  /** Per group, outliving its connections: reconnecting must not refill a Rapid Reset budget. */
  private readonly resetBudgets = new Map<string, TokenBucket>();
  private readonly resetPenalties = new Map<string, ResetPenalty>();

  constructor(
    readonly limits: EndpointLimits,
    private readonly options: { logger: Logger; now: () => number; onRefusal?: (limit: LimitName) => void },
  ) {}

  /** Records an accepted connection of `group`; a refusal means the connection is not counted. */
  openConnection(connectionId: string, group: string): LimitRefusal | undefined {
    const usage = this.usageOf(group);
    const refusal =
      this.refusedForEarlyResets(group)
        ? this.earlyResetRefusal(group)
        : usage.connections >= this.limits.connectionsPerPod
        ? this.refusal('connectionsPerPod', `connection limit reached: ${group} has ${usage.connections} open connections (limits.connectionsPerPod)`)
        : this.total.connections >= this.limits.connections
          ? this.refusal('connections', `connection limit reached: ${this.total.connections} open connections on this node (limits.connections)`)
          : undefined;
    if (refusal) {
      this.connections.set(connectionId, { group, refused: refusal });
      this.report(refusal, group, connectionId);
      this.dropIfUnused(group);
      return refusal;
    }
    this.connections.set(connectionId, { group });
    usage.connections += 1;
    this.total.connections += 1;
    return undefined;
  }

  /** Forgets a connection (counted or refused); unknown ids are ignored. */
  closeConnection(connectionId: string): void {
    const entry = this.connections.get(connectionId);
    if (!entry) return;
    this.connections.delete(connectionId);
    if (entry.refused) return;
    const usage = this.usageOf(entry.group);
    usage.connections -= 1;
    this.total.connections -= 1;
    this.dropIfUnused(entry.group);
  }

  /** The group a connection counts against, for logs. */
  groupOf(connectionId: string): string | undefined {
    return this.connections.get(connectionId)?.group;
  }

  /**
   * Counts a new call (any method) on `connectionId`: a function that releases it (call it once,
   * when the call ends), or the refusal. Calls on a connection that was itself refused, or
   * that the endpoint never accepted, are refused.
   */
  openCall(connectionId: string, kind: CallKind): (() => void) | LimitRefusal {
    const entry = this.connections.get(connectionId);
    if (!entry) return this.refusal('connections', 'connection not accepted by the agent (limits.connections)');
    if (entry.refused) return entry.refused;
    const group = entry.group;
    const usage = this.usageOf(group);
    const refusal = this.callRefusal(usage, group, kind);
    if (refusal) {
      this.report(refusal, group, connectionId);
      return refusal;
    }
    usage.streams += 1;
    this.total.streams += 1;
    if (kind === 'health-watch') {
      usage.healthWatches += 1;
      this.total.healthWatches += 1;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      usage.streams -= 1;
      this.total.streams -= 1;
      if (kind === 'health-watch') {
        usage.healthWatches -= 1;
        this.total.healthWatches -= 1;
      }
      this.dropIfUnused(group);
    };
  }

  /**
   * A call on `connectionId` was reset by the client before it was sent a message (HTTP/2 Rapid
   * Reset when it comes in floods): takes one from the group's budget; false once it is spent,
   * and until it refills the group's new connections are refused too.
   */
  takeEarlyReset(connectionId: string): boolean {
    const group = this.groupOf(connectionId);
    if (group === undefined || this.resetBudgetOf(group).take(this.options.now())) return true;
    this.penalize(group);
    return false;
  }

  /**
   * Whether `group`'s new connections are refused for early resets: during its refusal, then
   * until its budget has a reset again. The budget does not refill during the refusal: a pod
   * let back in starts from an empty budget, so one still flooding is cut at its first early
   * resets (not after the burst its refusal would otherwise have saved up for it).
   */
  private refusedForEarlyResets(group: string): boolean {
    const now = this.options.now();
    const penalty = this.resetPenalties.get(group);
    const budget = this.resetBudgetOf(group);
    if (penalty && !penalty.ended) {
      if (now < penalty.until) return true;
      penalty.ended = true;
      budget.empty(penalty.until);
    }
    return budget.available(now) < 1;
  }

  /** Whether `group`'s new connections are refused now, its reset budget spent not long ago. */
  isResetPenalized(group: string): boolean {
    const penalty = this.resetPenalties.get(group);
    return penalty !== undefined && this.options.now() < penalty.until;
  }

  /** How long `group`'s new connections stay refused for early resets (0 when they are not). */
  resetRefusalLeftMs(group: string): number {
    if (!this.refusedForEarlyResets(group)) return 0;
    const oneReset = 1000 / this.limits.earlyResetRate; // at most, from an empty budget
    const penalty = this.resetPenalties.get(group);
    return penalty && !penalty.ended ? penalty.until - this.options.now() + oneReset : oneReset;
  }

  /**
   * The group spent its early-reset budget: refuse its new connections for a while. A group that
   * is cut again soon after its last refusal ended is still flooding, and waits twice as long
   * (up to the maximum); one that behaved for that long starts over from the first backoff.
   */
  private penalize(group: string): void {
    const now = this.options.now();
    const { earlyResetBackoffMs: first, earlyResetBackoffMaxMs: max } = this.limits;
    const previous = this.resetPenalties.get(group);
    if (previous && now < previous.until) return; // a connection admitted before the refusal began
    const backoffMs = previous && now - previous.until < max ? Math.min(max, previous.backoffMs * 2) : first;
    if (!previous && this.resetPenalties.size >= MAX_RESET_BUDGETS) {
      for (const [key, penalty] of this.resetPenalties) if (now - penalty.until >= max) this.resetPenalties.delete(key);
      if (this.resetPenalties.size >= MAX_RESET_BUDGETS) return; // bounded; the budget still refuses
    }
    this.resetPenalties.set(group, { until: now + backoffMs, backoffMs, ended: false });
  }

  /**
   * A new connection of a process the endpoint already knows to belong to `group`, refused for
   * early resets: counted (and logged) as openConnection's refusal would be, nothing recorded.
   */
  refuseReconnect(connectionId: string, group: string): void {
    this.report(this.earlyResetRefusal(group), group, connectionId);
  }

  /** A bound enforced elsewhere (handshake timeout, early resets) closed a connection. */
  reportClosed(connectionId: string, refusal: LimitRefusal): void {
    this.report(refusal, this.groupOf(connectionId) ?? 'unknown caller', connectionId);
  }

  get openStreams(): number {
    return this.total.streams;
  }

  get openConnections(): number {
    return this.total.connections;
  }

  /** Groups with anything open (for tests: back to 0 once callers are gone). */
  get trackedGroups(): number {
    return this.usage.size;
  }

  private callRefusal(usage: Usage, group: string, kind: CallKind): LimitRefusal | undefined {
    const l = this.limits;
    if (usage.streams >= l.streamsPerPod) return this.refusal('streamsPerPod', `call limit reached: ${group} has ${usage.streams} open calls (limits.streamsPerPod)`);
    if (this.total.streams >= l.streams) return this.refusal('streams', `call limit reached: ${this.total.streams} open calls on this node (limits.streams)`);
    if (kind !== 'health-watch') return undefined;
    if (usage.healthWatches >= l.healthWatchesPerPod) {
      return this.refusal('healthWatchesPerPod', `health watch limit reached: ${group} has ${usage.healthWatches} open Watch streams (limits.healthWatchesPerPod)`);
    }
    if (this.total.healthWatches >= l.healthWatches) {
      return this.refusal('healthWatches', `health watch limit reached: ${this.total.healthWatches} open Watch streams on this node (limits.healthWatches)`);
    }
    return undefined;
  }

  private earlyResetRefusal(group: string): LimitRefusal {
    return this.refusal('earlyResets', `connection refused: ${group} cancelled too many calls before their first answer (limits.earlyResetBurst, limits.earlyResetRate, limits.earlyResetBackoff)`);
  }

  private refusal(limit: LimitName, message: string): LimitRefusal {
    return { limit, message };
  }

  private report(refusal: LimitRefusal, group: string, connectionId: string): void {
    this.options.onRefusal?.(refusal.limit);
    const key = `${group}/${refusal.limit}`;
    const now = this.options.now();
    const last = this.lastLogged.get(key);
    if (last !== undefined && now - last < LOG_INTERVAL_MS) return;
    if (this.lastLogged.size > 1000) this.lastLogged.clear(); // bounded: a log throttle, not a record
    this.lastLogged.set(key, now);
    this.options.logger.warn('Caller over a limit', { [F.reason]: refusal.message, [F.connectionId]: connectionId, [F.caller]: group, [F.limit]: refusal.limit });
  }

  private resetBudgetOf(group: string): TokenBucket {
    const now = this.options.now();
    let budget = this.resetBudgets.get(group);
    if (!budget) {
      // A full bucket is the same as none: forget those, so the map holds only recent offenders.
      if (this.resetBudgets.size >= MAX_RESET_BUDGETS) {
        for (const [key, bucket] of this.resetBudgets) if (bucket.available(now) >= bucket.burst) this.resetBudgets.delete(key);
      }
      budget = new TokenBucket(this.limits.earlyResetBurst, this.limits.earlyResetRate, now);
      if (this.resetBudgets.size < MAX_RESET_BUDGETS) this.resetBudgets.set(group, budget);
    }
    return budget;
  }

  private usageOf(group: string): Usage {
    let usage = this.usage.get(group);
    if (!usage) {
      usage = { connections: 0, streams: 0, healthWatches: 0 };
      this.usage.set(group, usage);
    }
    return usage;
  }

  private dropIfUnused(group: string): void {
    const usage = this.usage.get(group);
    if (usage && usage.connections === 0 && usage.streams === 0) this.usage.delete(group);
  }
}
