// Which identity a workload gets: WorkloadFacts → SPIFFE ID, hint and Conjur login. Pure.
export type { WorkloadIdentity } from './workload-identity.js';
export { KubernetesIdentityResolver, AUTHN_LOGIN_ANNOTATION } from './kubernetes-identity-resolver.js';
export type { KubernetesIdentityResolverOptions, IdentityResolution, NoIdentityLog } from './kubernetes-identity-resolver.js';
export { LoginTemplate, LoginTemplateError, LOGIN_PLACEHOLDERS } from './login-template.js';
export type { LoginTemplateErrorCode, LoginPlaceholder } from './login-template.js';
export { UidIdentityResolver } from './uid-identity-resolver.js';
export type { UidIdentityResolverOptions } from './uid-identity-resolver.js';
