import type * as tls from 'node:tls';
import { TrustDomain } from '../spiffe/index.js';
import type { SpiffeId, X509Bundle, X509Context, X509Svid } from '../spiffe/index.js';
import type { Authorizer } from './authorizers.js';
import type { ReconnectingStream } from './reconnecting-stream.js';
import { StreamingSource } from './streaming-source.js';
import type { SourceOptions } from './streaming-source.js';
import { secureContextOf, secureServer, tlsClientOptions, tlsServerOptions } from './tls-options.js';
import type { SecureServerOptions, X509ContextSource } from './tls-options.js';
import { verifyPeer } from './verify-peer.js';
import type { WorkloadApiClient } from './workload-api-client.js';

export type X509SourceOptions = SourceOptions;


/**
 * The workload's current X509-SVIDs and bundles, kept fresh from the Workload API like
 * go-spiffe's `workloadapi.X509Source`: one long-lived FetchX509SVID stream, reopened with
 * backoff after failures (InvalidArgument fails the source for good). While reconnecting,
 * including after PermissionDenied, the last SVID stays in use until it is replaced, as in
 * go-spiffe. Everything returned is the agent's full state at that moment: do not mutate it.
 */
export class X509Source extends StreamingSource<X509Context> implements X509ContextSource {
  private constructor(client: WorkloadApiClient, stream: ReconnectingStream<X509Context>) {
    super(client, stream);
  }

  /** Connects and resolves once the first X509Context has arrived. */
  static create(options: X509SourceOptions = {}): Promise<X509Source> {
    return StreamingSource.open(options, (client, signal) => client.watchX509Contexts(signal), (client, stream) => new X509Source(client, stream));
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
}
