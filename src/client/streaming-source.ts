import type { EndpointAddress } from './endpoint-address.js';
import { ReconnectingStream } from './reconnecting-stream.js';
import type { ReconnectOptions } from './reconnecting-stream.js';
import { WorkloadApiClient } from './workload-api-client.js';

export interface SourceOptions extends ReconnectOptions {
  /** `unix:///path`, `tcp://IP:port` or an absolute path; defaults to SPIFFE_ENDPOINT_SOCKET. */
  socket?: string | EndpointAddress;
  /** Aborting closes the source; before the first value arrives, `create` then rejects. */
  signal?: AbortSignal;
}

/**
 * What X509Source and ConjurTokenSource share: one agent stream kept open with reconnection,
 * its latest value, update listeners, and closing. Subclasses add what their value is for.
 */
export abstract class StreamingSource<T> {
  private readonly listeners = new Map<(value: T) => void, () => void>();

  protected constructor(
    private readonly client: WorkloadApiClient,
    protected readonly stream: ReconnectingStream<T>,
  ) {}

  /** Opens the stream with `watch` and resolves with the source once the first value arrived. */
  protected static async open<T, S extends StreamingSource<T>>(
    options: SourceOptions,
    watch: (client: WorkloadApiClient, signal: AbortSignal) => AsyncIterable<T>,
    make: (client: WorkloadApiClient, stream: ReconnectingStream<T>) => S,
  ): Promise<S> {
    const client = new WorkloadApiClient({ socket: options.socket, reconnectBackoff: options.backoff });
    const stream = new ReconnectingStream((signal) => watch(client, signal), options);
    const source = make(client, stream);
    options.signal?.addEventListener('abort', () => void source.close(), { once: true, signal: stream.closedSignal });
    try {
      await stream.first(options.signal);
      return source;
    } catch (error) {
      await source.close();
      throw error;
    }
  }

  /** Every value that arrives after this call; ends when the source closes or `signal` aborts. */
  updated(signal: AbortSignal = new AbortController().signal): AsyncIterable<T> {
    return this.stream.updated(signal);
  }

  on(event: 'update', listener: (value: T) => void): this {
    if (event === 'update' && !this.listeners.has(listener)) this.listeners.set(listener, this.stream.onUpdate(listener));
    return this;
  }

  off(event: 'update', listener: (value: T) => void): this {
    if (event === 'update') this.listeners.get(listener)?.();
    this.listeners.delete(listener);
    return this;
  }

  async close(): Promise<void> {
    await this.stream.close();
    this.client.close();
  }
}
