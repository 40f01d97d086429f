// NOT FOR PRODUCTION: the in-memory development CA behind `conjur-spiffe-agent dev`. It issues
// short-lived SVIDs from a root that lives only in this process and serves that root as the
// bundle; it must never be wired into the Conjur-backed agent.
export { DevelopmentIssuer } from './development-issuer.js';
export type { DevelopmentIssuerOptions } from './development-issuer.js';
