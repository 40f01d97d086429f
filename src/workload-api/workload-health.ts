import { HealthImplementation } from 'grpc-health-check';
import type { Server } from '@grpc/grpc-js';

/** Service names a `grpc.health.v1` client may ask about; '' is the server as a whole. */
export const HEALTH_SERVICE_NAMES = ['', 'SpiffeWorkloadAPI', 'conjur.spiffe.v1.ConjurTokenService'] as const;

/**
 * `grpc.health.v1.Health` on the Workload API socket (SPIRE serves it there too), so node-local
 * probes can ask the agent itself. Readiness drives it: NOT_SERVING until the agent can issue.
 */
export class WorkloadHealth {
  private readonly implementation: HealthImplementation;
  private serving: boolean;

  constructor(serving: boolean) {
    this.serving = serving;
    const status = serving ? 'SERVING' : 'NOT_SERVING';
    this.implementation = new HealthImplementation(Object.fromEntries(HEALTH_SERVICE_NAMES.map((name) => [name, status])));
  }

  /** Sets every name's status; open Watch streams are told at once. */
  setServing(serving: boolean): void {
    this.serving = serving;
    for (const name of HEALTH_SERVICE_NAMES) this.implementation.setStatus(name, serving ? 'SERVING' : 'NOT_SERVING');
  }

  isServing(): boolean {
    return this.serving;
  }

  addToServer(server: Server): void {
    this.implementation.addToServer(server);
  }
}
