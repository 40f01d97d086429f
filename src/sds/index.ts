// Envoy's Secret Discovery Service (SDS v3) on the Workload API socket: which Secrets a caller
// gets for the names it asks (SPIRE's names), their Envoy shapes, and the xDS bookkeeping of a
// stream. It never attests or issues itself: callers go through the Workload API's own
// attestation and SVID subscriptions, so both APIs hand a pod the same identity.
export { addSdsService, DELTA_UNIMPLEMENTED } from './sds-service.js';
export type { SdsService, SdsServiceDeps } from './sds-service.js';
export type { SdsObserver } from './ports.js';
export { DEFAULT_SDS_OPTIONS } from './sds-options.js';
export type { SdsOptions } from './sds-options.js';
export { SdsError } from './sds-error.js';
export type { SdsErrorCode } from './sds-error.js';
export { SecretStream } from './secret-stream.js';
export type { PlannedResponse, RequestKind, RequestStep } from './secret-stream.js';
export { selectSecrets } from './select-secrets.js';
export type { SdsSecret, SpiffeValidatorDomain, ValidationForm } from './sds-secret.js';
export { toDiscoveryResponse, SECRET_TYPE_URL, SPIFFE_VALIDATOR_TYPE_URL, SPIFFE_VALIDATOR_NAME } from './discovery-response.js';
export { encodeSecret } from './encode-secret.js';
export { buildSecretSet, SecretSetCache } from './secret-set.js';
export type { EncodedSecret, SecretSet } from './secret-set.js';
export { validationFormFor } from './envoy-version.js';
export { loadSdsProtos, SDS_PROTO } from './sds-proto.js';
export type { SdsProtos } from './sds-proto.js';
