// The Conjur adapter: authn-k8s inject-and-confirm for workload SVIDs, mTLS authenticate for
// Conjur tokens, the agent's own Conjur identity, and the authn-k8s CA as trust bundle.
// Satisfies svid-cache's X509Issuer/TokenIssuer/BundleSource structurally, never importing it;
// the only user of node:https for Conjur. Keys and tokens stay in memory and out of logs.
export { ConjurError } from './conjur-error.js';
export type { ConjurErrorCode, ConfirmCheck } from './conjur-error.js';
export { DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_RETRY, serviceIdOf } from './conjur-options.js';
export type { ConjurConnectionOptions, RetryOptions } from './conjur-options.js';
export { splitHostId, commonNameOf, encodeLoginSegment } from './host-id.js';
export type { SplitHostId } from './host-id.js';
export { parseAccessToken, toAuthorizationHeader } from './access-token.js';
export type { ConjurAccessToken } from './access-token.js';
export { ConjurClient } from './conjur-client.js';
export type { ClientCredentials, ConjurClientDeps } from './conjur-client.js';
export { ConjurIssuer } from './conjur-issuer.js';
export type { ConjurIssuerOptions, ConjurIssuerClient } from './conjur-issuer.js';
export { ConjurAgentIdentity } from './conjur-agent-identity.js';
export type { ConjurAgentIdentityOptions, AgentIdentityState, AgentConjurClient } from './conjur-agent-identity.js';
export { ConjurBundleSource } from './conjur-bundle-source.js';
export type { ConjurBundleSourceOptions } from './conjur-bundle-source.js';
export { FileBundleSource } from './file-bundle-source.js';
export type { FileBundleSourceOptions } from './file-bundle-source.js';
export { injectionTargetPaths, CONJUR_SSL_DIR } from './injection-target.js';
export type { PodVolumeLayout } from './injection-target.js';
export { DEFAULT_MAX_CERTIFICATE_FILE_BYTES } from './certificate-file.js';
export type { RefusalReason } from './certificate-file.js';
