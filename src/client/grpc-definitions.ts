import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as WorkloadProtos } from '../gen/workload.js';
import type { ProtoGrpcType as TokenProtos } from '../gen/token.js';

/**
 * The gRPC client constructors, loaded once from the package's own proto/ files. The folder is
 * found by walking up from this module, so the same code works from src/client/ (ts-jest) and
 * from dist/src/client/ (the built package).
 */
export interface ClientConstructors {
  readonly SpiffeWorkloadAPI: WorkloadProtos['SpiffeWorkloadAPI'];
  readonly ConjurTokenService: TokenProtos['conjur']['spiffe']['v1']['ConjurTokenService'];
  readonly Health: grpc.ServiceClientConstructor;
}

const PROTO_FILES = ['spiffe/workload/workload.proto', 'conjur/spiffe/v1/token.proto'];
// The same options as scripts/generate-proto-types.mjs, so src/gen types describe what we get.
const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

let loaded: ClientConstructors | undefined;

export function clientConstructors(): ClientConstructors {
  loaded ??= load();
  return loaded;
}

function load(): ClientConstructors {
  const definition = protoLoader.loadSync(PROTO_FILES, { ...LOADER_OPTIONS, includeDirs: [findProtoRoot()] });
  const protos = grpc.loadPackageDefinition(definition) as unknown as WorkloadProtos & TokenProtos;
  const health = grpc.loadPackageDefinition(protoLoader.fromJSON(HEALTH_PROTO, LOADER_OPTIONS));
  return {
    SpiffeWorkloadAPI: protos.SpiffeWorkloadAPI,
    ConjurTokenService: protos.conjur.spiffe.v1.ConjurTokenService,
    Health: lookup(health, ['grpc', 'health', 'v1', 'Health']) as grpc.ServiceClientConstructor,
  };
}

function findProtoRoot(): string {
  let dir = new URL('.', import.meta.url);
  for (let depth = 0; depth < 6; depth++) {
    const candidate = new URL('proto/', dir);
    if (existsSync(new URL(PROTO_FILES[0]!, candidate))) return fileURLToPath(candidate);
    dir = new URL('..', dir);
  }
  throw new Error(`proto/ not found above ${fileURLToPath(new URL('.', import.meta.url))}`);
}

function lookup(root: grpc.GrpcObject, path: string[]): unknown {
  let node: unknown = root;
  for (const name of path) node = (node as Record<string, unknown>)[name];
  return node;
}

/**
 * grpc.health.v1 (the standard health service), as a protobufjs JSON descriptor: two small
 * messages do not justify shipping a copy of health.proto or reaching into grpc-health-check.
 */
const HEALTH_PROTO: Parameters<typeof protoLoader.fromJSON>[0] = {
  nested: {
    grpc: { nested: { health: { nested: { v1: { nested: {
      HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
      HealthCheckResponse: {
        fields: { status: { type: 'ServingStatus', id: 1 } },
        nested: { ServingStatus: { values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } } },
      },
      Health: { methods: { Check: { requestType: 'HealthCheckRequest', responseType: 'HealthCheckResponse', comment: '' } } },
    } } } } } },
  },
};
