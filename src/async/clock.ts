/** The only source of time in src/: components take a Clock so tests can move time by hand. */
export interface Clock {
  now(): number;
  /** Calls `fn` after `ms`; the returned function cancels it. Timers never keep the process alive. */
  setTimer(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const timer = setTimeout(fn, Math.max(0, ms));
    timer.unref();
    return () => clearTimeout(timer);
  },
};
