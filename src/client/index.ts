// The Node.js client library (`conjur-spiffe-agent/client`): X509Source and ConjurTokenSource kept
// fresh from a Workload Endpoint, TLS options that authorize peers by SPIFFE ID, the low-level
// WorkloadApiClient, and one-shot fetches that do without grpc-js (fetch-once.ts). A separate entry point: it never imports the agent's own folders beyond spiffe/.
export { SpiffeId, TrustDomain, SpiffeIdError } from '../spiffe/index.js';
export type { X509Svid, X509Bundle, BundleSet, X509Context } from '../spiffe/index.js';
export {
  parseEndpointAddress,
  endpointFromEnvironment,
  resolveEndpointAddress,
  toEndpointAddress,
  formatEndpointAddress,
  EndpointAddressError,
  ENDPOINT_SOCKET_ENV,
} from './endpoint-address.js';
export type { EndpointAddress, EndpointAddressErrorCode } from './endpoint-address.js';
export { WorkloadApiError, isRetryable } from './workload-api-error.js';
export type { WorkloadApiErrorCode } from './workload-api-error.js';
export { splitDerCertificates } from './der-certificates.js';
export { certificatesToPem, privateKeyToPem } from './pem.js';
export type { ConjurToken } from './from-responses.js';
export { WorkloadApiClient, SECURITY_HEADER } from './workload-api-client.js';
export { fetchX509ContextOnce, fetchX509BundlesOnce, fetchConjurTokenOnce } from './fetch-once.js';
export type { FetchOnceOptions } from './fetch-once.js';
export { probeHealth } from './health-probe.js';
export type { WorkloadApiClientOptions, HealthStatus } from './workload-api-client.js';
export type { ReconnectOptions } from './reconnecting-stream.js';
export { X509Source } from './x509-source.js';
export type { X509SourceOptions } from './x509-source.js';
export { ConjurTokenSource } from './conjur-token-source.js';
export type { ConjurTokenSourceOptions } from './conjur-token-source.js';
export { authorizeAny, authorizeId, authorizeMemberOf, authorizeIf, PeerVerificationError } from './authorizers.js';
export type { Authorizer, PeerVerificationErrorCode } from './authorizers.js';
export { verifyPeer } from './verify-peer.js';
export { secureContextOf, tlsServerOptions, secureServer, tlsClientOptions, peerChainOf } from './tls-options.js';
export type { X509ContextSource, SecureServerOptions } from './tls-options.js';
