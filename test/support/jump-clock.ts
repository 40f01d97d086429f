import type { Clock } from '../../src/async/index.js';

/** A Clock that runs in real time but can also jump ahead, firing the timers the jump passes. */
export class JumpClock implements Clock {
  private offsetMs = 0;
  private readonly timers = new Set<{ at: number; fn: () => void; handle: NodeJS.Timeout }>();

  now(): number {
    return Date.now() + this.offsetMs;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const timer = { at: this.now() + Math.max(0, ms), fn, handle: undefined as unknown as NodeJS.Timeout };
    this.arm(timer);
    this.timers.add(timer);
    return () => {
      clearTimeout(timer.handle);
      this.timers.delete(timer);
    };
  }

  /** Moves time forward by `ms`: timers now due fire at once, the others are re-armed for what is left. */
  jump(ms: number): void {
    this.offsetMs += ms;
    for (const timer of [...this.timers]) {
      clearTimeout(timer.handle);
      this.arm(timer);
    }
  }

  private arm(timer: { at: number; fn: () => void; handle: NodeJS.Timeout }): void {
    timer.handle = setTimeout(() => {
      this.timers.delete(timer);
      timer.fn();
    }, Math.max(0, timer.at - this.now()));
    timer.handle.unref();
  }
}
