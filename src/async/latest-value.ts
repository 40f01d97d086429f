/**
 * A value that changes over time, observed as an AsyncIterable of its latest states.
 * Subscribers get the current value first (if set), then each newer one; a slow subscriber skips
 * intermediate values and only ever sees the newest. `fail` ends every subscription with an error.
 */
export class LatestValue<T> {
  private current: { value: T } | undefined;
  private failure: { error: unknown } | undefined;
  private readonly waiters = new Set<() => void>();
  private version = 0;

  constructor(initial?: T) {
    if (initial !== undefined) this.current = { value: initial };
  }

  get(): T | undefined {
    return this.current?.value;
  }

  set(value: T): void {
    this.current = { value };
    this.version++;
    this.wake();
  }

  /** Ends every open and future subscription with `error`. */
  fail(error: unknown): void {
    this.failure = { error };
    this.wake();
  }

  get subscriberCount(): number {
    return this.waiters.size;
  }

  async *subscribe(signal: AbortSignal): AsyncGenerator<T> {
    let seen = -1;
    while (!signal.aborted) {
      if (this.failure) throw this.failure.error;
      if (this.current && seen !== this.version) {
        seen = this.version;
        yield this.current.value;
        continue;
      }
      await this.changed(signal);
    }
  }

  private changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
