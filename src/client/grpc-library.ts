import { createRequire } from 'node:module';

/**
 * grpc-js, loaded on first use rather than when the client library is imported: the library's
 * index is one entrance for everything, and `healthcheck` (health-probe.ts, plain HTTP/2) must
 * not pay about 50 ms of CPU and 12 MiB for a gRPC stack it never uses (issue 14). A channel is
 * made only by WorkloadApiClient, which calls this in its constructor. Types come from
 * `import type`, which loads nothing.
 */
let loaded: typeof import('@grpc/grpc-js') | undefined;

export function grpcLibrary(): typeof import('@grpc/grpc-js') {
  loaded ??= createRequire(import.meta.url)('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
  return loaded;
}
