// What every client call names on the wire, shared by the grpc-js client (workload-api-client.ts)
// and the calls made without it (fetch-once.ts, health-probe.ts). Method paths: workload.proto
// has no package (the standard fixes `/SpiffeWorkloadAPI/...`).
export const FETCH_X509_SVID = '/SpiffeWorkloadAPI/FetchX509SVID';
export const FETCH_X509_BUNDLES = '/SpiffeWorkloadAPI/FetchX509Bundles';
export const FETCH_CONJUR_TOKEN = '/conjur.spiffe.v1.ConjurTokenService/FetchConjurToken';
export const HEALTH_CHECK = '/grpc.health.v1.Health/Check';

/** The header every Workload API call carries (`true`); the agent refuses calls without it. */
export const SECURITY_HEADER = 'workload.spiffe.io';
