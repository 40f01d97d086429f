import type * as grpc from '@grpc/grpc-js';
import type { BundleSet, X509Context } from '../spiffe/index.js';
import { formatEndpointAddress, resolveEndpointAddress, toGrpcTarget } from './endpoint-address.js';
import type { EndpointAddress } from './endpoint-address.js';
import { firstMessage, readStream, toWorkloadApiError } from './grpc-calls.js';
import { grpcLibrary } from './grpc-library.js';
import { fromConjurTokenResponse, fromX509BundlesResponse, fromX509SvidResponse } from './from-responses.js';
import type { ConjurToken } from './from-responses.js';
import {
  decodeFetchConjurTokenResponse,
  decodeHealthCheckResponse,
  decodeX509BundlesResponse,
  decodeX509SvidResponse,
  encodeEmpty,
  encodeHealthCheckRequest,
} from './response-codecs.js';
import { FETCH_CONJUR_TOKEN, FETCH_X509_BUNDLES, FETCH_X509_SVID, HEALTH_CHECK, SECURITY_HEADER } from './workload-api-methods.js';

export { SECURITY_HEADER } from './workload-api-methods.js';

export type HealthStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

export interface WorkloadApiClientOptions {
  /** `unix:///path`, `tcp://IP:port` or an absolute path; defaults to SPIFFE_ENDPOINT_SOCKET. */
  socket?: string | EndpointAddress;
  /** grpc-js's own reconnect backoff for the channel, in ms (defaults 1 s to 30 s). */
  reconnectBackoff?: { initialMs: number; maxMs: number };
}

/**
 * One channel to a Workload Endpoint and the calls a workload makes on it. Every call carries
 * `workload.spiffe.io: true`, and every response is converted to spiffe/ values before it is
 * returned. `watch*` follow one stream and end with a WorkloadApiError when it breaks: the
 * sources (X509Source, ConjurTokenSource) add reconnection on top.
 */
export class WorkloadApiClient {
  readonly address: EndpointAddress;
  /** One channel (one connection to the agent) for every service; messages coded by response-codecs.ts. */
  private readonly channel: grpc.Client;

  constructor(options: WorkloadApiClientOptions = {}) {
    this.address = resolveEndpointAddress(options.socket);
    const backoff = options.reconnectBackoff ?? { initialMs: 1000, maxMs: 30_000 };
    const { Client, credentials } = grpcLibrary();
    this.channel = new Client(toGrpcTarget(this.address), credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': backoff.initialMs,
      'grpc.max_reconnect_backoff_ms': backoff.maxMs,
    });
  }

  fetchX509Context(signal: AbortSignal = new AbortController().signal): Promise<X509Context> {
    return firstMessage(this.watchX509Contexts(signal), signal);
  }

  async *watchX509Contexts(signal: AbortSignal): AsyncGenerator<X509Context> {
    const call = this.channel.makeServerStreamRequest(FETCH_X509_SVID, encodeEmpty, decodeX509SvidResponse, {}, securityHeader());
    for await (const response of readStream(call, this.describe('FetchX509SVID'), signal)) {
      yield fromX509SvidResponse(response);
    }
  }

  fetchX509Bundles(signal: AbortSignal = new AbortController().signal): Promise<BundleSet> {
    return firstMessage(this.watchX509Bundles(signal), signal);
  }

  async *watchX509Bundles(signal: AbortSignal): AsyncGenerator<BundleSet> {
    const call = this.channel.makeServerStreamRequest(FETCH_X509_BUNDLES, encodeEmpty, decodeX509BundlesResponse, {}, securityHeader());
    for await (const response of readStream(call, this.describe('FetchX509Bundles'), signal)) {
      yield fromX509BundlesResponse(response);
    }
  }

  fetchConjurToken(signal: AbortSignal = new AbortController().signal): Promise<ConjurToken> {
    return firstMessage(this.watchConjurTokens(signal), signal);
  }

  async *watchConjurTokens(signal: AbortSignal): AsyncGenerator<ConjurToken> {
    const call = this.channel.makeServerStreamRequest(FETCH_CONJUR_TOKEN, encodeEmpty, decodeFetchConjurTokenResponse, {}, securityHeader());
    for await (const response of readStream(call, this.describe('FetchConjurToken'), signal)) {
      yield fromConjurTokenResponse(response);
    }
  }

  /** grpc.health.v1 Check; `service` '' asks about the agent as a whole. */
  checkHealth(signal?: AbortSignal, service = ''): Promise<HealthStatus> {
    const describe = this.describe('health check');
    return new Promise((resolve, reject) => {
      const onAbort = () => call.cancel();
      const call = this.channel.makeUnaryRequest(HEALTH_CHECK, encodeHealthCheckRequest, decodeHealthCheckResponse, { service }, (error, response) => {
        signal?.removeEventListener('abort', onAbort);
        if (signal?.aborted) reject(signal.reason);
        else if (error || !response) reject(toWorkloadApiError(error, describe));
        else resolve(response.status);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  close(): void {
    this.channel.close();
  }

  private describe(call: string): string {
    return `${call} to ${formatEndpointAddress(this.address)}`;
  }
}

function securityHeader(): grpc.Metadata {
  const metadata = new (grpcLibrary().Metadata)();
  metadata.set(SECURITY_HEADER, 'true');
  return metadata;
}
