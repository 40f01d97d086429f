// Prometheus metrics: one registry, a /metrics server on its own port, and decorators that
// count and time the agent's ports. Labels never carry SPIFFE IDs, pod names or secrets.
export { AgentMetrics } from './agent-metrics.js';
export type { MetricsProbes } from './agent-metrics.js';
export { MetricsServer } from './metrics-server.js';
export { instrumentAttestor, instrumentIssuer, instrumentTokenIssuer, resultOf } from './instrument.js';
