// Liveness and readiness over HTTP for kubelet probes, from the components' own states.
// Ready means "can serve a workload now", never merely "process started".
export { boundHttpServer, DEFAULT_HTTP_ENDPOINT_LIMITS, HealthServer, httpServerOptions } from './health-server.js';
export type { HealthServerOptions, HttpEndpointLimits, ReadinessCheck } from './health-server.js';
