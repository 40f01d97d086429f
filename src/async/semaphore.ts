/**
 * At most `limit` holders at a time; the rest wait in arrival order (so each waiter is served
 * after at most the holders ahead of it: fair when each caller holds one slot at a time).
 */
export class Semaphore {
  private held = 0;
  private readonly queue: { grant: () => void }[] = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('semaphore limit must be a positive integer');
  }

  /** Resolves with a release function; rejects with the signal's reason if aborted while waiting. */
  acquire(signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    if (this.held < this.limit) {
      this.held++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
      };
      const onAbort = () => {
        this.queue.splice(this.queue.indexOf(waiter), 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  get inUse(): number {
    return this.held;
  }

  get waiting(): number {
    return this.queue.length;
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      // The slot passes straight to the next waiter, so `held` stays the same.
      if (next) next.grant();
      else this.held--;
    };
  }

  /** Runs `fn` holding one slot. */
  async with<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
