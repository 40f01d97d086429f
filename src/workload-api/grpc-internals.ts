import type { Http2Server, ServerHttp2Session } from 'node:http2';
import type { Server } from '@grpc/grpc-js';

// grpc-js (1.14) has no public way to pass Node http2 server options beyond a few, nor to see
// the HTTP/2 session of an injected connection. The endpoint needs both (the stream-reset limit
// of Node >= 23, the handshake timeout, graceful closes), so this file reaches into two private
// fields, and is the only one that does. test/unit/workload-api/grpc-internals.test.ts fails if
// a grpc-js upgrade moves them.

interface GrpcServerInternals {
  commonServerOptions?: unknown;
  http2Servers?: unknown;
}

/** Adds options to the http2 servers grpc-js creates from now on (call before createConnectionInjector). */
export function addHttp2ServerOptions(server: Server, options: Readonly<Record<string, unknown>>): void {
  const common = (server as unknown as GrpcServerInternals).commonServerOptions;
  if (typeof common !== 'object' || common === null) {
    throw new Error('grpc-js has no commonServerOptions: this grpc-js version is not supported by src/workload-api/grpc-internals.ts');
  }
  Object.assign(common, options);
}

/** Calls `listener` with the HTTP/2 session of every connection injected from now on. */
export function onHttp2Session(server: Server, listener: (session: ServerHttp2Session) => void): void {
  const servers = (server as unknown as GrpcServerInternals).http2Servers;
  if (!(servers instanceof Map) || servers.size === 0) {
    throw new Error('grpc-js has no http2Servers: this grpc-js version is not supported by src/workload-api/grpc-internals.ts');
  }
  for (const http2Server of servers.keys() as IterableIterator<Http2Server>) http2Server.on('session', listener);
}
