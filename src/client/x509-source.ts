import type * as tls from 'node:tls';
import { TrustDomain } from '../spiffe/index.js';
import type { SpiffeId, X509Bundle, X509Context, X509Svid } from '../spiffe/index.js';
import type { Authorizer } from './authorizers.js';
import type { EndpointAddress } from './endpoint-address.js';
import { ReconnectingStream } from './reconnecting-stream.js';
import type { ReconnectOptions } from './reconnecting-stream.js';
import { secureContextOf, secureServer, tlsClientOptions, tlsServerOptions } from './tls-options.js';
import type { SecureServerOptions, X509ContextSource } from './tls-options.js';
import { verifyPeer } from './verify-peer.js';
import { WorkloadApiClient } from './workload-api-client.js';

export interface X509SourceOptions extends ReconnectOptions {
  /** `unix:///path`, `tcp://IP:port` or an absolute path; defaults to SPIFFE_ENDPOINT_SOCKET. */
  socket?: string | EndpointAddress;
  /** Aborting closes the source; before the first update, `create` then rejects. */
  signal?: AbortSignal;
}

type UpdateListener = (context: X509Context) => void;

/**
 * The workload's current X509-SVIDs and bundles, kept fresh from the Workload API like
 * go-spiffe's `workloadapi.X509Source`: one long-lived FetchX509SVID stream, reopened with
 * backoff after failures (InvalidArgument fails the source for good). While reconnecting,
 * including after PermissionDenied, the last SVID stays in use until it is replaced, as in
 * go-spiffe. Everything returned is the agent's full state at that moment: do not mutate it.
 */
export class X509Source implements X509ContextSource {
  private readonly listeners = new Map<UpdateListener, () => void>();

  private constructor(
    private readonly client: WorkloadApiClient,
    private readonly stream: ReconnectingStream<X509Context>,
  ) {}

  /** Connects and resolves once the first X509Context has arrived. */
  static async create(options: X509SourceOptions = {}): Promise<X509Source> {
    const client = new WorkloadApiClient({ socket: options.socket, reconnectBackoff: options.backoff });
    const stream = new ReconnectingStream((signal) => client.watchX509Contexts(signal), options);
    const source = new X509Source(client, stream);
    options.signal?.addEventListener('abort', () => void source.close(), { once: true, signal: stream.closedSignal });
    try {
      await stream.first(options.signal);
      return source;
    } catch (error) {
      await source.close();
      throw error;
    }
  }

  getX509Context(): X509Context {
    return this.stream.current();
  }

  /** The default SVID (the first the agent sent). */
  getX509Svid(): X509Svid {
    return this.getX509Context().svids[0]!;
  }

  getBundleForTrustDomain(trustDomain: TrustDomain | string): X509Bundle | undefined {
    const name = typeof trustDomain === 'string' ? TrustDomain.parse(trustDomain).name : trustDomain.name;
    return this.getX509Context().bundles.get(name);
  }

  on(event: 'update', listener: UpdateListener): this {
    if (event === 'update' && !this.listeners.has(listener)) this.listeners.set(listener, this.stream.onUpdate(listener));
    return this;
  }

  off(event: 'update', listener: UpdateListener): this {
    if (event === 'update') this.listeners.get(listener)?.();
    this.listeners.delete(listener);
    return this;
  }

  /** Every X509Context that arrives after this call; ends when the source closes or `signal` aborts. */
  updated(signal: AbortSignal = new AbortController().signal): AsyncIterable<X509Context> {
    return this.stream.updated(signal);
  }


  /** A SecureContext (key, chain, CA = all bundles) for the current SVID; a new one after rotation. */
  secureContext(): tls.SecureContext {
    return secureContextOf(this.getX509Context());
  }

  tlsServerOptions(): tls.TlsOptions {
    return tlsServerOptions(this);
  }

  secureServer(server: tls.Server, options: SecureServerOptions): () => void {
    return secureServer(server, this, options);
  }

  tlsClientOptions(options: { authorize: Authorizer }): tls.ConnectionOptions {
    return tlsClientOptions(this, options);
  }

  /** Verifies a peer's DER chain (leaf first) against its trust domain's bundle, then authorizes it. */
  verifyPeer(chain: readonly Buffer[], authorize: Authorizer, now: Date = new Date()): SpiffeId {
    return verifyPeer(chain, this.getX509Context().bundles, authorize, now);
  }

  async close(): Promise<void> {
    await this.stream.close();
    this.client.close();
  }
}
