import type { BundleSet, X509Context } from '../spiffe/index.js';
import { formatEndpointAddress, resolveEndpointAddress } from './endpoint-address.js';
import type { EndpointAddress } from './endpoint-address.js';
import { firstGrpcMessage } from './first-grpc-message.js';
import { fromConjurTokenResponse, fromX509BundlesResponse, fromX509SvidResponse } from './from-responses.js';
import type { ConjurToken } from './from-responses.js';
import { decodeFetchConjurTokenResponse, decodeX509BundlesResponse, decodeX509SvidResponse } from './response-codecs.js';
import { FETCH_CONJUR_TOKEN, FETCH_X509_BUNDLES, FETCH_X509_SVID, SECURITY_HEADER } from './workload-api-methods.js';

// One-shot fetches, as go-spiffe's workloadapi.FetchX509Context and friends: one request on a
// connection of its own, the first answer, then the connection is closed. They never load grpc-js
// (first-grpc-message.ts), which is what a process that asks once and exits would mostly spend
// its time on (`api fetch`, issue 14). A process that keeps its identity fresh uses X509Source or
// WorkloadApiClient instead: one channel, reconnects, updates. Results and errors are the same
// as WorkloadApiClient's fetch* methods.

export interface FetchOnceOptions {
  /** `unix:///path`, `tcp://IP:port` or an absolute path; defaults to SPIFFE_ENDPOINT_SOCKET. */
  socket?: string | EndpointAddress;
  /** Stops waiting; the fetch then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export async function fetchX509ContextOnce(options: FetchOnceOptions = {}): Promise<X509Context> {
  return fromX509SvidResponse(await fetchOnce(options, FETCH_X509_SVID, 'FetchX509SVID', decodeX509SvidResponse));
}

export async function fetchX509BundlesOnce(options: FetchOnceOptions = {}): Promise<BundleSet> {
  return fromX509BundlesResponse(await fetchOnce(options, FETCH_X509_BUNDLES, 'FetchX509Bundles', decodeX509BundlesResponse));
}

export async function fetchConjurTokenOnce(options: FetchOnceOptions = {}): Promise<ConjurToken> {
  return fromConjurTokenResponse(await fetchOnce(options, FETCH_CONJUR_TOKEN, 'FetchConjurToken', decodeFetchConjurTokenResponse));
}

const EMPTY_REQUEST = Buffer.alloc(0);

function fetchOnce<T>(options: FetchOnceOptions, path: string, name: string, decode: (bytes: Uint8Array) => T): Promise<T> {
  const address = resolveEndpointAddress(options.socket);
  return firstGrpcMessage({
    address,
    path,
    request: EMPTY_REQUEST,
    metadata: { [SECURITY_HEADER]: 'true' },
    decode,
    describe: `${name} to ${formatEndpointAddress(address)}`,
    signal: options.signal ?? new AbortController().signal,
  });
}
