import { backoffDelayMs, LatestValue, sleep, systemClock } from '../async/index.js';
import type { BackoffOptions, Clock } from '../async/index.js';
import { isRetryable, WorkloadApiError } from './workload-api-error.js';
import { toWorkloadApiError } from './grpc-calls.js';
import { holdProcessOpen } from './keep-alive.js';

export interface ReconnectOptions {
  /** Delay between attempts: exponential with ±50 % jitter (defaults 1 s up to 30 s, as go-spiffe). */
  backoff?: BackoffOptions;
  clock?: Clock;
  /** Called with every failed attempt, retried or not (go-spiffe's OnX509ContextWatchError). */
  onError?: (error: WorkloadApiError) => void;
}

type State<T> =
  | { kind: 'connecting' }
  | { kind: 'ready'; value: T }
  | { kind: 'failed'; error: WorkloadApiError }
  | { kind: 'closed' };

const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 30_000 };

/**
 * Keeps the newest value of a server stream, reopening the stream after any retryable failure
 * with exponential backoff and jitter; the attempt counter resets once a message arrives.
 * The last good value stays current while reconnecting. A non-retryable failure
 * (InvalidArgument, Unimplemented) fails the stream for good: `current()` and every
 * subscriber then throw that error.
 */
export class ReconnectingStream<T> {
  private state: State<T> = { kind: 'connecting' };
  private readonly latest = new LatestValue<T>();
  private readonly stopper = new AbortController();
  private readonly listeners = new Set<(value: T) => void>();
  private readonly running: Promise<void>;

  constructor(
    private readonly open: (signal: AbortSignal) => AsyncIterable<T>,
    private readonly options: ReconnectOptions = {},
  ) {
    this.running = this.run();
  }

  /** The newest value; throws while none has arrived, after a fatal failure, or once closed. */
  current(): T {
    switch (this.state.kind) {
      case 'ready':
        return this.state.value;
      case 'failed':
        throw this.state.error;
      case 'closed':
        throw new WorkloadApiError('closed', 'the source is closed');
      case 'connecting':
        throw new WorkloadApiError('unavailable', 'no update has arrived from the Workload API yet');
    }
  }

  /** Resolves with the first value; rejects on a fatal failure or when `signal` aborts. */
  async first(signal?: AbortSignal): Promise<T> {
    const both = signal ? AbortSignal.any([signal, this.stopper.signal]) : this.stopper.signal;
    for await (const value of this.latest.subscribe(both)) return value;
    if (this.state.kind === 'failed') throw this.state.error;
    throw new WorkloadApiError('closed', 'closed before the first update arrived', { cause: signal?.reason });
  }

  /** The newest value now (if any) and then every newer one; ends when closed. */
  subscribe(signal: AbortSignal): AsyncIterable<T> {
    return this.latest.subscribe(AbortSignal.any([signal, this.stopper.signal]));
  }

  /**
   * Every value newer than the current one at the time of this call (not of the first
   * `next()`), so "use current(), then follow updated()" loses nothing in between.
   */
  updated(signal: AbortSignal): AsyncIterable<T> {
    const seen = this.current();
    const values = this.subscribe(signal);
    return (async function* () {
      for await (const value of values) if (value !== seen) yield value;
    })();
  }

  onUpdate(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Aborted once `close()` is called. */
  get closedSignal(): AbortSignal {
    return this.stopper.signal;
  }

  async close(): Promise<void> {
    if (this.state.kind !== 'failed') this.state = { kind: 'closed' };
    this.stopper.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    let attempt = 0;
    while (!signal.aborted) {
      try {
        for await (const value of this.open(signal)) {
          attempt = 0;
          this.publish(value);
        }
        if (signal.aborted) return;
        throw new WorkloadApiError('unavailable', 'the Workload API stream ended');
      } catch (error) {
        if (signal.aborted) return;
        const failure = toWorkloadApiError(error, 'Workload API stream');
        this.options.onError?.(failure);
        if (!isRetryable(failure)) return this.fail(failure);
      }
      const delayMs = backoffDelayMs(attempt++, this.options.backoff ?? DEFAULT_BACKOFF);
      const release = holdProcessOpen();
      await sleep(delayMs, signal, this.options.clock ?? systemClock).catch(() => undefined);
      release();
    }
  }

  private publish(value: T): void {
    this.state = { kind: 'ready', value };
    this.latest.set(value);
    for (const listener of this.listeners) {
      try {
        listener(value);
      } catch (error) {
        // A listener's bug must not break the stream; surface it like an EventEmitter would.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  private fail(error: WorkloadApiError): void {
    this.state = { kind: 'failed', error };
    this.latest.fail(error);
  }
}
