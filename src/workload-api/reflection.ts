import { createRequire } from 'node:module';
import type { Server, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import type { ReflectionService } from '@grpc/reflection';
import { lazyServiceDefinition } from './lazy-service.js';

/** The internals of @grpc/reflection 1.0's v1 and v1alpha implementations that need the fix below. */
interface ReflectionIndex {
  services?: Record<string, unknown>;
  symbols?: Record<string, unknown>;
}

/** Both versions of the reflection service: grpcurl and most tools still ask v1alpha first. */
const REFLECTION_SERVICES = ['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'] as const;
const METHOD = 'ServerReflectionInfo';

interface BuiltService {
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

/**
 * gRPC server reflection (SHOULD, Workload Endpoint §7) for everything `describe` returns.
 *
 * Built on the first reflection call, not at start: indexing the descriptors and loading the
 * reflection protos costs about 120 ms of CPU before the socket could listen, for a service only
 * people with grpcurl use (issue 14, start to socket ready). The two services are registered at
 * once (lazy-service.ts); their codecs and handler build the real ones when first used.
 *
 * @grpc/reflection 1.0 indexes the symbols of a file without a `package` under a leading '.',
 * so it would list `.SpiffeWorkloadAPI` and answer "not found" for `SpiffeWorkloadAPI`, the
 * name the standard fixes. The index is corrected after construction; a test fails if an
 * upgrade changes these internals (or fixes the bug, making this function removable).
 */
export function addReflection(server: Server, describe: () => PackageDefinition): void {
  let built: Map<string, BuiltService> | undefined;
  const real = (service: string): BuiltService => {
    built ??= buildReflection(describe());
    const found = built.get(service);
    if (found === undefined) throw new Error(`@grpc/reflection registered no ${service}`);
    return found;
  };
  for (const service of REFLECTION_SERVICES) {
    const definition = lazyServiceDefinition(service, { [METHOD]: { requestStream: true, responseStream: true, originalName: 'serverReflectionInfo' } }, () => real(service).definition);
    const handler = (call: unknown) => (real(service).implementation[METHOD] as (call: unknown) => void)(call);
    server.addService(definition, { [METHOD]: handler });
  }
}

/** Builds @grpc/reflection's services and keeps what they would register, by service name. */
function buildReflection(packageDefinition: PackageDefinition): Map<string, BuiltService> {
  // Loaded synchronously on first use (a codec cannot wait): createRequire, as for the peer addon.
  const { ReflectionService: Reflection } = createRequire(import.meta.url)('@grpc/reflection') as { ReflectionService: typeof ReflectionService };
  const reflection = new Reflection(packageDefinition);
  const { v1, v1Alpha } = reflection as unknown as { v1?: ReflectionIndex; v1Alpha?: ReflectionIndex };
  for (const index of [v1, v1Alpha]) {
    if (index?.services) index.services = withoutLeadingDots(index.services);
    if (index?.symbols) index.symbols = { ...withoutLeadingDots(index.symbols), ...index.symbols };
  }
  const services = new Map<string, BuiltService>();
  // addToServer only calls addService: collect what it adds instead of serving it twice.
  const collector = {
    addService(definition: ServiceDefinition, implementation: UntypedServiceImplementation) {
      const path = definition[METHOD]?.path ?? '';
      services.set(path.slice(1, path.lastIndexOf('/')), { definition, implementation });
    },
  };
  reflection.addToServer(collector as unknown as Server);
  return services;
}

function withoutLeadingDots(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).map(([name, value]) => [name.startsWith('.') ? name.slice(1) : name, value]));
}
