import type { Clock } from '../../src/async/index.js';

interface PendingTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * Time that moves only when a test says so. `advance` fires due timers in time order (then in
 * the order they were set), letting promise chains settle after each, so work a timer starts
 * (and timers it sets within the window) happens before `advance` returns.
 */
export class FakeClock implements Clock {
  private current: number;
  private nextId = 0;
  private readonly timers = new Map<number, PendingTimer>();

  constructor(start: number | Date = Date.parse('2030-01-01T00:00:00Z')) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.current;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const id = this.nextId++;
    this.timers.set(id, { id, at: this.current + Math.max(0, ms), fn });
    return () => {
      this.timers.delete(id);
    };
  }

  /** Timers set and not yet fired or cancelled: 0 after a clean shutdown. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** When the earliest pending timer is due, or undefined. */
  get nextTimerAt(): number | undefined {
    return this.due(Number.POSITIVE_INFINITY)?.at;
  }

  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    await settle();
    for (let timer = this.due(target); timer; timer = this.due(target)) {
      this.timers.delete(timer.id);
      this.current = timer.at;
      timer.fn();
      await settle();
    }
    this.current = target;
    await settle();
  }

  /** Jumps to an instant (epoch ms), firing everything due on the way. */
  async advanceTo(at: number): Promise<void> {
    await this.advance(Math.max(0, at - this.current));
  }

  private due(until: number): PendingTimer | undefined {
    let first: PendingTimer | undefined;
    for (const t of this.timers.values()) {
      if (t.at <= until && (!first || t.at < first.at || (t.at === first.at && t.id < first.id))) first = t;
    }
    return first;
  }
}

/** Lets every pending promise chain run: a few macrotask turns, no real waiting. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
