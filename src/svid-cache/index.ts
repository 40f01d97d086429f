// Issued SVIDs per workload identity: issue on first demand (one in flight per identity),
// renew before expiry, push updates and bundle changes to subscribers, evict on pod loss.
// Never imports an adapter: issuers and bundle sources come in through ports.ts.
export { IssuanceError } from './issuance-error.js';
export type { IssuanceErrorCode } from './issuance-error.js';
export type { X509Issuer, BundleSource } from './ports.js';
export type { TokenIssuer } from './ports.js';
export type { AccessToken } from './access-token.js';
export { SvidCache } from './svid-cache.js';
export type { SvidCacheParams } from './svid-cache.js';
export { DEFAULT_SVID_CACHE_OPTIONS } from './svid-cache-options.js';
export type { SvidCacheOptions } from './svid-cache-options.js';
export { refreshAt, tokenRefreshAt } from './refresh-schedule.js';
export type { RenewalOptions } from './refresh-schedule.js';
export type { FailurePolicy } from './failure-state.js';
