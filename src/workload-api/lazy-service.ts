import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

/** How a method streams; its path is `/<service>/<name>`. */
export interface MethodShape {
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  readonly originalName?: string;
}

/**
 * A service definition registered at start whose codecs come from `real()` on first use: for a
 * service few callers use (SDS, reflection, gRPC health), whose protos are costly to load before
 * the socket listens (README "Performance"). A client sees no difference: the paths and streaming
 * are the real ones, and the first message loads the real codecs synchronously.
 */
export function lazyServiceDefinition(service: string, methods: Readonly<Record<string, MethodShape>>, real: () => ServiceDefinition): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const [name, shape] of Object.entries(methods)) {
    const method = (): MethodDefinition<unknown, unknown> => {
      const found = real()[name];
      if (found === undefined) throw new Error(`the ${service} protos define no method ${name}`);
      return found as MethodDefinition<unknown, unknown>;
    };
    definition[name] = {
      path: `/${service}/${name}`,
      requestStream: shape.requestStream,
      responseStream: shape.responseStream,
      ...(shape.originalName === undefined ? {} : { originalName: shape.originalName }),
      requestSerialize: (value) => method().requestSerialize(value),
      requestDeserialize: (bytes) => method().requestDeserialize(bytes),
      responseSerialize: (value) => method().responseSerialize(value),
      responseDeserialize: (bytes) => method().responseDeserialize(bytes),
    };
  }
  return definition;
}
