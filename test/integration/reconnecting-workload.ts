import type { X509SVIDResponse__Output } from '../../src/gen/X509SVIDResponse.js';
import type { FetchConjurTokenResponse__Output } from '../../src/gen/conjur/spiffe/v1/FetchConjurTokenResponse.js';
import type { JumpClock } from '../support/jump-clock.js';
import { firstToken, firstX509 } from './pod-caller.js';
import type { Outcome, PodCaller } from './pod-caller.js';

// A workload process that reconnects the way SPIFFE clients do after its stream ends: at once,
// then with a growing delay (here 200 ms doubling to 1 s, a faster pace than go-spiffe's, so the
// agent, not the client, has to keep Conjur's load down). Time is the agent's JumpClock: each
// delay jumps it forward, so the agent's backoff and timeouts run as they would in real time
// while a test covers minutes in seconds.

export const RECONNECT_DELAYS_MS = [0, 200, 400, 800, 1000] as const;

export interface ReconnectLog {
  /** The status of every attempt that ended without a message, in order (`<code>: <details>`). */
  readonly statuses: string[];
  /** The first message, once one arrived. */
  message: X509SVIDResponse__Output | FetchConjurTokenResponse__Output | undefined;
  /** Agent-clock time at which it arrived. */
  messageAt: number | undefined;
}

/**
 * Asks for an SVID (or a token) again and again until one arrives or `untilMs` (agent clock)
 * has passed; `onAttempt` runs before each attempt (to clear a fault at some point, say).
 */
export async function reconnectUntil(
  caller: PodCaller,
  clock: JumpClock,
  kind: 'x509' | 'token',
  untilMs: number,
  onAttempt: (now: number) => void = () => {},
): Promise<ReconnectLog> {
  const log: ReconnectLog = { statuses: [], message: undefined, messageAt: undefined };
  for (let attempt = 0; clock.now() < untilMs; attempt++) {
    onAttempt(clock.now());
    const pending: Promise<Outcome<X509SVIDResponse__Output | FetchConjurTokenResponse__Output>> = kind === 'x509' ? firstX509(caller) : firstToken(caller);
    const outcome = await whileTimePasses(clock, pending);
    if (outcome.kind === 'message') {
      log.message = outcome.message;
      log.messageAt = clock.now();
      return log;
    }
    log.statuses.push(`${outcome.code}: ${outcome.details}`);
    await pass(clock, RECONNECT_DELAYS_MS[Math.min(attempt, RECONNECT_DELAYS_MS.length - 1)]!);
  }
  return log;
}

/**
 * Waits for `pending`; after a second of real time, the agent's time goes on five times faster
 * (250 ms every 50 ms), so a request that hangs until the agent's 10 s timeout costs about 3 s,
 * while an answer that is merely slow on a loaded machine does not reach that timeout.
 */
async function whileTimePasses<T extends object>(clock: JumpClock, pending: Promise<T>): Promise<T> {
  let settled = false;
  void pending.finally(() => (settled = true)).catch(() => undefined);
  for (let i = 0; i < 40 && !settled; i++) await new Promise((resolve) => setTimeout(resolve, 25));
  while (!settled) {
    clock.jump(250);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return pending;
}

/** Moves the agent's clock on by `ms` and gives the timers that fire a moment of real time. */
export async function pass(clock: JumpClock, ms: number): Promise<void> {
  clock.jump(ms);
  await new Promise((resolve) => setTimeout(resolve, 15));
}

/** The time (agent clock, ms) of the next attempt the agent names in a failure, if any. */
export function nextAttemptAt(details: string): number | undefined {
  const match = /next attempt in \d+ s \(at ([^)]+)\)/.exec(details);
  return match ? Date.parse(match[1]!) : undefined;
}
