// Liveness and readiness over HTTP for kubelet probes, from the components' own states.
// Ready means "can serve a workload now", never merely "process started".
export { HealthServer } from './health-server.js';
export type { ReadinessCheck, HealthServerOptions } from './health-server.js';
