import * as grpc from '@grpc/grpc-js';

// The floor for the cached path: the cheapest thing grpc-js can do over a Unix socket, a unary
// call with an empty request and an empty answer, on grpc-js's own listener (no peer credentials,
// no interceptors). It runs in the agent's process so both share the same event loop conditions.

const EMPTY = Buffer.alloc(0);
const bytes = (value: Buffer): Buffer => value;

const FLOOR_SERVICE: grpc.ServiceDefinition = {
  Ping: {
    path: '/bench.Floor/Ping',
    requestStream: false,
    responseStream: false,
    requestSerialize: bytes,
    requestDeserialize: bytes,
    responseSerialize: bytes,
    responseDeserialize: bytes,
  },
};

export async function startFloorServer(socketPath: string): Promise<{ close(): void }> {
  const server = new grpc.Server();
  server.addService(FLOOR_SERVICE, { Ping: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, EMPTY) });
  await new Promise<void>((resolve, reject) => server.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())));
  return { close: () => server.forceShutdown() };
}
