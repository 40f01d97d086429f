/**
 * A knob for fakes: while closed, `pass(signal)` waits; `open()` lets every waiter through.
 * Counts how many are waiting so a test can see calls pile up (or not).
 */
export class Gate {
  private closed = false;
  private readonly waiters = new Set<() => void>();

  close(): void {
    this.closed = true;
  }

  open(): void {
    this.closed = false;
    for (const wake of [...this.waiters]) wake();
  }

  get waiting(): number {
    return this.waiters.size;
  }

  pass(signal: AbortSignal): Promise<void> {
    if (!this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.waiters.delete(done);
        reject(signal.reason);
      };
      this.waiters.add(done);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Failures queued by `failNext(error, times)`, taken one per call. */
export class FailureQueue {
  private readonly queue: Error[] = [];

  push(error: Error, times = 1): void {
    for (let i = 0; i < times; i++) this.queue.push(error);
  }

  /** Fail every call from now on until `clear()`. */
  always(error: Error): void {
    this.queue.length = 0;
    this.forever = error;
  }

  clear(): void {
    this.queue.length = 0;
    this.forever = undefined;
  }

  take(): Error | undefined {
    return this.queue.shift() ?? this.forever;
  }

  private forever: Error | undefined;
}
