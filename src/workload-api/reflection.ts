import type { Server } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

/** The internals of @grpc/reflection 1.0's v1 and v1alpha implementations that need the fix below. */
interface ReflectionIndex {
  services?: Record<string, unknown>;
  symbols?: Record<string, unknown>;
}

/**
 * gRPC server reflection (SHOULD, Workload Endpoint §7) for everything in `packageDefinition`.
 *
 * @grpc/reflection 1.0 indexes the symbols of a file without a `package` under a leading '.',
 * so it would list `.SpiffeWorkloadAPI` and answer "not found" for `SpiffeWorkloadAPI`, the
 * name the standard fixes. The index is corrected after construction; a test fails if an
 * upgrade changes these internals (or fixes the bug, making this function removable).
 */
export function addReflection(server: Server, packageDefinition: PackageDefinition): void {
  const reflection = new ReflectionService(packageDefinition);
  const { v1, v1Alpha } = reflection as unknown as { v1?: ReflectionIndex; v1Alpha?: ReflectionIndex };
  for (const index of [v1, v1Alpha]) {
    if (index?.services) index.services = withoutLeadingDots(index.services);
    if (index?.symbols) index.symbols = { ...withoutLeadingDots(index.symbols), ...index.symbols };
  }
  reflection.addToServer(server);
}

function withoutLeadingDots(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).map(([name, value]) => [name.startsWith('.') ? name.slice(1) : name, value]));
}
