import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
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
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
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

/** Loads proto/ once per process (a few ms of parsing that every server would repeat). */
export function loadWorkloadApiProtos(): WorkloadApiProtos {
  cached ??= load();
  return cached;
}

function load(): WorkloadApiProtos {
  const packageDefinition = protoLoader.loadSync([WORKLOAD_PROTO, TOKEN_PROTO], {
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
