// Issued SVIDs per workload identity: issue on first demand (one in flight per identity),
// renew before expiry, push updates and bundle changes to subscribers, evict on pod loss.
export { IssuanceError } from './issuance-error.js';
export type { IssuanceErrorCode } from './issuance-error.js';
export type { X509Issuer, BundleSource } from './ports.js';
export type { TokenIssuer } from './ports.js';
export type { AccessToken } from './access-token.js';
