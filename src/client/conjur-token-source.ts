import type { ConjurToken } from './from-responses.js';
import type { ReconnectingStream } from './reconnecting-stream.js';
import { StreamingSource } from './streaming-source.js';
import type { SourceOptions } from './streaming-source.js';
import type { WorkloadApiClient } from './workload-api-client.js';

export type ConjurTokenSourceOptions = SourceOptions;

/**
 * The workload's current Conjur access token from the agent's ConjurTokenService, refreshed by
 * the agent and pushed on its stream; reconnects like X509Source. Never log the token.
 */
export class ConjurTokenSource extends StreamingSource<ConjurToken> {
  private constructor(client: WorkloadApiClient, stream: ReconnectingStream<ConjurToken>) {
    super(client, stream);
  }

  /** Connects and resolves once the first token has arrived. */
  static create(options: ConjurTokenSourceOptions = {}): Promise<ConjurTokenSource> {
    return StreamingSource.open(options, (client, signal) => client.watchConjurTokens(signal), (client, stream) => new ConjurTokenSource(client, stream));
  }

  getToken(): ConjurToken {
    return this.stream.current();
  }

  /** The value of an HTTP `Authorization` header for Conjur's API. */
  authorizationHeader(): string {
    return `Token token="${this.getToken().raw.toString('base64')}"`;
  }
}
