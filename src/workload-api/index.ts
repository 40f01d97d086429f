// The Workload Endpoint: the Unix-socket listener (connection → kernel peer), the security header,
// the SPIFFE Workload API and Conjur token handlers, proto ↔ domain conversion and error → status.
// The only folder that imports grpc-js and src/gen. Handlers never issue: attest, resolve, subscribe.
export type { Attestor, CallerGroups, IdentityResolver, SvidSubscriptions, TokenSubscriptions } from './ports.js';
export { createWorkloadApiServer } from './workload-api-server.js';
export type { WorkloadApiServer, WorkloadApiServerDeps } from './workload-api-server.js';
export { WorkloadEndpoint } from './endpoint.js';
export { CallerLimits, DEFAULT_ENDPOINT_LIMITS } from './caller-limits.js';
export type { EndpointLimits, LimitName, LimitRefusal } from './caller-limits.js';
export type { WorkloadEndpointOptions } from './endpoint.js';
export { EndpointError } from './endpoint-error.js';
export type { EndpointErrorCode } from './endpoint-error.js';
export { WorkloadHealth } from './workload-health.js';
export { PeerRegistry } from './peer-registry.js';
export type { CallOnConnection } from './peer-registry.js';
export { OpenStreams } from './open-streams.js';
export { SECURITY_HEADER, hasSecurityHeader } from './security-header.js';
export { toGrpcStatus } from './status.js';
export type { CallFailure } from './status.js';
export { WorkloadApiError } from './workload-api-error.js';
export type { WorkloadApiErrorCode } from './workload-api-error.js';
export { toX509SvidResponse } from './x509-svid-response.js';
export { toX509BundlesResponse } from './x509-bundles-response.js';
export { toConjurTokenResponse } from './conjur-token-response.js';
export { describeServedProtos, protoDir, protoLoader, PROTO_LOADER_OPTIONS } from './proto.js';
export { servedServices } from './served-services.js';
export type { ServedServices } from './served-services.js';
export { lazyServiceDefinition } from './lazy-service.js';
export type { MethodShape } from './lazy-service.js';
export { serveStream } from './serve-stream.js';
export type { StreamContext, StreamDeps, StreamingCall } from './serve-stream.js';
export { authorizeCaller } from './authorize-caller.js';
export type { CallerDeps } from './authorize-caller.js';
