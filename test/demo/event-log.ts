// What a child process has said so far (agent log lines, workload reports), and a way to wait
// for the next thing that matters. Waits take the demo's AbortSignal, so the global timeout and
// Ctrl-C end any wait; a wait also ends when the process that would say it has exited.

export class EventLog<T> {
  private readonly items: T[] = [];
  private readonly waiters = new Set<() => void>();
  private endedWith: string | undefined;

  get all(): readonly T[] {
    return this.items;
  }

  push(item: T): void {
    this.items.push(item);
    this.wake();
  }

  /** No more items will come (the process exited); pending waits fail with `reason`. */
  end(reason: string): void {
    this.endedWith ??= reason;
    this.wake();
  }

  /** Resolves with the first item (from the start) matching `predicate`. */
  waitFor(predicate: (item: T) => boolean, what: string, signal: AbortSignal): Promise<T> {
    return new Promise((resolve, reject) => {
      const finish = (error: Error | undefined, item?: T) => {
        this.waiters.delete(check);
        signal.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(item as T);
      };
      const onAbort = () => finish(new Error(`${describeAbort(signal)} while waiting for ${what}`));
      const check = () => {
        const found = this.items.find(predicate);
        if (found !== undefined) return finish(undefined, found);
        if (this.endedWith !== undefined) finish(new Error(`${this.endedWith} before ${what}`));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(check);
      check();
    });
  }

  private wake(): void {
    for (const check of [...this.waiters]) check();
  }
}

/** The abort reason in words: the demo aborts with an Error saying why (timeout, Ctrl-C). */
export function describeAbort(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : 'stopped';
}
