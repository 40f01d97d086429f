/**
 * The server-streaming calls in progress. Each registers its AbortController so shutdown can end
 * them (with Unavailable "agent shutting down") instead of waiting for clients that never leave.
 */
export class OpenStreams {
  private readonly controllers = new Set<AbortController>();
  private readonly emptyWaiters = new Set<() => void>();

  /** Registers a stream; the returned function unregisters it. */
  add(controller: AbortController): () => void {
    this.controllers.add(controller);
    return () => {
      this.controllers.delete(controller);
      if (this.controllers.size === 0) for (const wake of [...this.emptyWaiters]) wake();
    };
  }

  get count(): number {
    return this.controllers.size;
  }

  /** Aborts every open stream with `reason` (their handlers then send the final status). */
  abortAll(reason: unknown): void {
    for (const controller of [...this.controllers]) controller.abort(reason);
  }

  /** Resolves once no stream is open, or when `signal` aborts (whichever comes first). */
  whenEmpty(signal: AbortSignal): Promise<void> {
    if (this.controllers.size === 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.emptyWaiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.emptyWaiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
