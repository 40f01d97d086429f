import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as ProtoLoader from '@grpc/proto-loader';
import type { PackageDefinition } from '@grpc/proto-loader';

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

let described: PackageDefinition | undefined;

/**
 * proto-loader, loaded when first asked for. The agent serves from generated descriptors
 * (served-services.ts); proto-loader is for reflection, SDS and the tests, and loading it (with
 * protobufjs's parser and descriptor types) is about 10 ms of a start's CPU (README "Performance").
 */
export function protoLoader(): typeof ProtoLoader {
  return createRequire(import.meta.url)('@grpc/proto-loader') as typeof ProtoLoader;
}

/**
 * What reflection describes: proto/'s two services and grpc.health.v1 (its .proto as
 * grpc-health-check ships it), as proto-loader builds them; parsed once per process.
 */
export function describeServedProtos(): PackageDefinition {
  described ??= load();
  return described;
}

function load(): PackageDefinition {
  const { protoPath: healthProto } = createRequire(import.meta.url)('grpc-health-check') as { protoPath: string };
  const loader = protoLoader();
  return {
    ...loader.loadSync([WORKLOAD_PROTO, TOKEN_PROTO], { ...PROTO_LOADER_OPTIONS, includeDirs: [protoDir()] }),
    ...loader.loadSync(healthProto, PROTO_LOADER_OPTIONS),
  };
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
