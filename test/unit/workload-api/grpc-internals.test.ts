import { connect as connectSocket, createServer } from 'node:net';
import { connect } from 'node:http2';
import type { ServerHttp2Session } from 'node:http2';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { addHttp2ServerOptions, onHttp2Session } from '../../../src/workload-api/grpc-internals.js';

// The two grpc-js private fields the endpoint relies on (src/workload-api/grpc-internals.ts):
// if a grpc-js upgrade moves them, this fails here rather than as a silent loss of the
// handshake timeout, the stream-reset policy and Node >= 23's reset limit.

describe('grpc-internals', () => {
  it('passes http2 server options to the sessions of injected connections, and reports each session', async () => {
    const server = new Server();
    addHttp2ServerOptions(server, { settings: { maxConcurrentStreams: 7 } });
    const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
    const sessions: ServerHttp2Session[] = [];
    onHttp2Session(server, (session) => sessions.push(session));
    const dir = mkdtempSync(join(tmpdir(), 'grpc-internals-'));
    const socketPath = join(dir, 's.sock');
    const listener = createServer((socket) => injector.injectConnection(socket));
    await new Promise<void>((resolve) => listener.listen(socketPath, resolve));
    const client = connect('http://localhost', { createConnection: () => connectSocket(socketPath) });
    try {
      const settings = await new Promise<{ maxConcurrentStreams?: number }>((resolve) => client.once('remoteSettings', resolve));
      expect(settings.maxConcurrentStreams).toBe(7);
      expect(sessions).toHaveLength(1);
    } finally {
      client.destroy();
      injector.destroy();
      server.forceShutdown();
      listener.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says which file to fix when grpc-js has no such fields', () => {
    const notGrpcJs = {} as Server;
    expect(() => addHttp2ServerOptions(notGrpcJs, {})).toThrow(/grpc-js has no commonServerOptions: .* src\/workload-api\/grpc-internals\.ts/);
    expect(() => onHttp2Session(notGrpcJs, () => {})).toThrow(/grpc-js has no http2Servers/);
  });
});
