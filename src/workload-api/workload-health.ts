import { createRequire } from 'node:module';
import type { Server, ServerUnaryCall, ServerWritableStream, ServiceDefinition, sendUnaryData, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { HealthImplementation } from 'grpc-health-check';

/** Service names a `grpc.health.v1` client may ask about; '' is the server as a whole. */
export const HEALTH_SERVICE_NAMES = ['', 'SpiffeWorkloadAPI', 'conjur.spiffe.v1.ConjurTokenService'] as const;

type Unary = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => void;
type HealthHandlers = { check: Unary; list: Unary; watch: (call: ServerWritableStream<unknown, unknown>) => void };

/**
 * `grpc.health.v1.Health` on the Workload API socket (SPIRE serves it there too), so node-local
 * probes can ask the agent itself. Readiness drives it: NOT_SERVING until the agent can issue.
 *
 * grpc-health-check answers the calls. It parses its .proto when it loads (about 10 ms of CPU),
 * and the DaemonSet's probes use HTTP, so it is loaded on the first health call; the service is
 * registered at start from the generated descriptors (served-services.ts).
 */
export class WorkloadHealth {
  private implementation: { health: HealthImplementation; handlers: HealthHandlers } | undefined;
  private serving: boolean;

  constructor(serving: boolean) {
    this.serving = serving;
  }

  /** Sets every name's status; open Watch streams are told at once. */
  setServing(serving: boolean): void {
    this.serving = serving;
    if (this.implementation === undefined) return;
    for (const name of HEALTH_SERVICE_NAMES) this.implementation.health.setStatus(name, serving ? 'SERVING' : 'NOT_SERVING');
  }

  isServing(): boolean {
    return this.serving;
  }

  /** Serves grpc.health.v1.Health under `definition` (its Check, List and Watch). */
  addToServer(server: Server, definition: ServiceDefinition): void {
    server.addService(definition, {
      Check: (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => this.handlers().check(call, callback),
      List: (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => this.handlers().list(call, callback),
      Watch: (call: ServerWritableStream<unknown, unknown>) => this.handlers().watch(call),
    });
  }

  private handlers(): HealthHandlers {
    if (this.implementation === undefined) {
      const { HealthImplementation: Implementation } = createRequire(import.meta.url)('grpc-health-check') as { HealthImplementation: typeof HealthImplementation };
      const status = this.serving ? 'SERVING' : 'NOT_SERVING';
      const health = new Implementation(Object.fromEntries(HEALTH_SERVICE_NAMES.map((name) => [name, status])));
      // addToServer only calls addService: keep the handlers it would register.
      let handlers: HealthHandlers | undefined;
      health.addToServer({ addService: (_definition: ServiceDefinition, implementation: UntypedServiceImplementation) => (handlers = implementation as unknown as HealthHandlers) } as unknown as Server);
      if (handlers === undefined) throw new Error('grpc-health-check registered no handlers');
      this.implementation = { health, handlers };
    }
    return this.implementation.handlers;
  }
}
