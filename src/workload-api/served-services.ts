import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs/light.js';
import type { ConjurTokenServiceDefinition } from '../gen/conjur/spiffe/v1/ConjurTokenService.js';
import { SERVED_DESCRIPTORS } from '../gen/served-descriptors.js';
import type { SpiffeWorkloadAPIDefinition } from '../gen/SpiffeWorkloadAPI.js';

/**
 * The service definitions the agent serves on its socket, built from descriptors generated from
 * proto/ at build time (src/gen/served-descriptors.ts) with protobufjs's light build. proto-loader
 * would parse the .proto files and encode a descriptor set for reflection before the socket
 * listens (README "Performance"); reflection loads it on its first call instead (reflection.ts).
 *
 * The codecs are proto-loader's, with the options `npm run generate` gives its type generator
 * (PROTO_LOADER_OPTIONS), so handlers see exactly the shapes of the src/gen types: snake_case
 * fields, int64 as string, enums as names, defaults filled, bytes as Buffer.
 * test/unit/workload-api/served-services.test.ts holds both byte for byte.
 */
export interface ServedServices {
  readonly workloadService: SpiffeWorkloadAPIDefinition;
  readonly tokenService: ConjurTokenServiceDefinition;
  /** grpc.health.v1.Health (its Check, List and Watch). */
  readonly healthService: ServiceDefinition;
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, defaults: true, oneofs: true };

let cached: ServedServices | undefined;

export function servedServices(): ServedServices {
  cached ??= build();
  return cached;
}

function build(): ServedServices {
  const root = protobuf.Root.fromJSON(SERVED_DESCRIPTORS as protobuf.INamespace);
  return {
    workloadService: serviceDefinition(root, 'SpiffeWorkloadAPI') as unknown as SpiffeWorkloadAPIDefinition,
    tokenService: serviceDefinition(root, 'conjur.spiffe.v1.ConjurTokenService') as unknown as ConjurTokenServiceDefinition,
    healthService: serviceDefinition(root, 'grpc.health.v1.Health'),
  };
}

function serviceDefinition(root: protobuf.Root, name: string): ServiceDefinition {
  const service = root.lookupService(name);
  const definition: Record<string, MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const request = method.resolvedRequestType!;
    const response = method.resolvedResponseType!;
    definition[method.name] = {
      path: `/${name}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response),
    };
  }
  return definition;
}

function serializer(type: protobuf.Type): (value: object) => Buffer {
  return (value) => {
    if (Array.isArray(value)) throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`);
    const bytes = type.encode(type.fromObject(value as Record<string, unknown>)).finish();
    return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer(type: protobuf.Type): (bytes: Buffer) => object {
  return (bytes) => type.toObject(type.decode(bytes), TO_OBJECT);
}
