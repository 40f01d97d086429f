import type { EndpointAddress } from './endpoint-address.js';
import type { ConjurToken } from './from-responses.js';
import { ReconnectingStream } from './reconnecting-stream.js';
import type { ReconnectOptions } from './reconnecting-stream.js';
import { WorkloadApiClient } from './workload-api-client.js';

export interface ConjurTokenSourceOptions extends ReconnectOptions {
  /** `unix:///path`, `tcp://IP:port` or an absolute path; defaults to SPIFFE_ENDPOINT_SOCKET. */
  socket?: string | EndpointAddress;
  /** Aborting closes the source; before the first token, `create` then rejects. */
  signal?: AbortSignal;
}

/**
 * The workload's current Conjur access token from the agent's ConjurTokenService, refreshed by
 * the agent and pushed on its stream; reconnects like X509Source. Never log the token.
 */
type TokenListener = (token: ConjurToken) => void;

export class ConjurTokenSource {
  private readonly listeners = new Map<TokenListener, () => void>();

  private constructor(
    private readonly client: WorkloadApiClient,
    private readonly stream: ReconnectingStream<ConjurToken>,
  ) {}

  /** Connects and resolves once the first token has arrived. */
  static async create(options: ConjurTokenSourceOptions = {}): Promise<ConjurTokenSource> {
    const client = new WorkloadApiClient({ socket: options.socket, reconnectBackoff: options.backoff });
    const stream = new ReconnectingStream((signal) => client.watchConjurTokens(signal), options);
    const source = new ConjurTokenSource(client, stream);
    options.signal?.addEventListener('abort', () => void source.close(), { once: true, signal: stream.closedSignal });
    try {
      await stream.first(options.signal);
      return source;
    } catch (error) {
      await source.close();
      throw error;
    }
  }

  getToken(): ConjurToken {
    return this.stream.current();
  }

  /** The value of an HTTP `Authorization` header for Conjur's API. */
  authorizationHeader(): string {
    return `Token token="${this.getToken().raw.toString('base64')}"`;
  }

  /** Every token that arrives after this call; ends when the source closes or `signal` aborts. */
  updated(signal: AbortSignal = new AbortController().signal): AsyncIterable<ConjurToken> {
    return this.stream.updated(signal);
  }


  on(event: 'update', listener: TokenListener): this {
    if (event === 'update' && !this.listeners.has(listener)) this.listeners.set(listener, this.stream.onUpdate(listener));
    return this;
  }

  off(event: 'update', listener: TokenListener): this {
    if (event === 'update') this.listeners.get(listener)?.();
    this.listeners.delete(listener);
    return this;
  }

  async close(): Promise<void> {
    await this.stream.close();
    this.client.close();
  }
}
