import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as ProtoLoader from '@grpc/proto-loader';
import type { PackageDefinition } from '@grpc/proto-loader';
import type { ConjurTokenServiceDefinition } from '../gen/conjur/spiffe/v1/ConjurTokenService.js';
import type { SpiffeWorkloadAPIDefinition } from '../gen/SpiffeWorkloadAPI.js';

export const WORKLOAD_PROTO = 'spiffe/workload/workload.proto';
export const TOKEN_PROTO = 'conjur/spiffe/v1/token.proto';

/**
 * The same options `npm run generate` gives proto-loader-gen-types, so values at run time have
 * exactly the shapes of the src/gen types: snake_case fields, int64 as string, defaults filled,
 * bytes as Buffer (proto-loader's default).
 */
export const PROTO_LOADER_OPTIONS: ProtoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

export interface WorkloadApiProtos {
  /** Both files, for server reflection. */
  packageDefinition: PackageDefinition;
  workloadService: SpiffeWorkloadAPIDefinition;
  tokenService: ConjurTokenServiceDefinition;
}

let cached: WorkloadApiProtos | undefined;

/**
 * proto-loader, loaded when first asked for. The agent serves from generated descriptors
 * (served-services.ts); proto-loader is for reflection, SDS and the tests, and loading it (with
 * protobufjs's parser and descriptor types) is about 10 ms of a start's CPU (README "Performance").
 */
export function protoLoader(): typeof ProtoLoader {
  return createRequire(import.meta.url)('@grpc/proto-loader') as typeof ProtoLoader;
}

/** Parses proto/ once per process with proto-loader, for reflection and the tests. */
export function loadWorkloadApiProtos(): WorkloadApiProtos {
  cached ??= load();
  return cached;
}

/** What reflection describes: proto/'s two services and grpc.health.v1, as proto-loader builds them. */
export function describeServedProtos(): PackageDefinition {
  const { protoPath } = createRequire(import.meta.url)('grpc-health-check') as { protoPath: string };
  return { ...loadWorkloadApiProtos().packageDefinition, ...protoLoader().loadSync(protoPath, PROTO_LOADER_OPTIONS) };
}

function load(): WorkloadApiProtos {
  const packageDefinition = protoLoader().loadSync([WORKLOAD_PROTO, TOKEN_PROTO], {
    ...PROTO_LOADER_OPTIONS,
    includeDirs: [protoDir()],
  });
  return {
    packageDefinition,
    workloadService: serviceOf<SpiffeWorkloadAPIDefinition>(packageDefinition, 'SpiffeWorkloadAPI'),
    tokenService: serviceOf<ConjurTokenServiceDefinition>(packageDefinition, 'conjur.spiffe.v1.ConjurTokenService'),
  };
}

/** The src/gen types describe what proto-loader builds from these files; message entries have `format`. */
function serviceOf<T>(definition: PackageDefinition, name: string): T {
  const found = definition[name];
  if (found === undefined || 'format' in found) throw new Error(`proto/ defines no service ${name}`);
  return found as unknown as T;
}

/**
 * proto/ sits at the package root. This file runs from src/workload-api/ under ts-jest and from
 * dist/src/workload-api/ after a build, so walk up until proto/ is found.
 */
export function protoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level <= 5; level++) {
    if (existsSync(join(dir, 'proto', WORKLOAD_PROTO))) return join(dir, 'proto');
    dir = dirname(dir);
  }
  throw new Error(`proto/${WORKLOAD_PROTO} not found above ${fileURLToPath(import.meta.url)}: the package is incomplete`);
}
