// Liveness and readiness over HTTP for kubelet probes, from the components' own states.
// Ready means "can serve a workload now", never merely "process started".
export { createBoundedHttpServer, DEFAULT_HTTP_ENDPOINT_LIMITS } from './bounded-http-server.js';
export type { HttpEndpointLimits } from './bounded-http-server.js';
export { HealthServer } from './health-server.js';
export type { HealthServerOptions, ReadinessCheck } from './health-server.js';
