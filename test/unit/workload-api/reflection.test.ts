import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { PackageDefinition } from '@grpc/proto-loader';
import { describeServedProtos } from '../../../src/workload-api/proto.js';
import { addReflection } from '../../../src/workload-api/reflection.js';

// Reflection is built on its first call, not at start (issue 14): both versions must still
// answer as @grpc/reflection does, and the descriptors are indexed once, on first use.

const PROTO_ROOT = join(dirname(createRequire(import.meta.url).resolve('@grpc/reflection')), '../proto/grpc/reflection');
const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

interface Response {
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_code: number };
}
type Client = grpc.Client & { ServerReflectionInfo(): grpc.ClientDuplexStream<object, Response> };
type ClientClass = new (target: string, creds: grpc.ChannelCredentials) => Client;

function clientFor(version: 'v1' | 'v1alpha', target: string): Client {
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(join(PROTO_ROOT, version, 'reflection.proto'), LOADER_OPTIONS)) as unknown as {
    grpc: { reflection: Record<string, { ServerReflection: ClientClass }> };
  };
  return new pkg.grpc.reflection[version]!.ServerReflection(target, grpc.credentials.createInsecure());
}

function ask(client: Client, request: object): Promise<Response> {
  return new Promise((resolve, reject) => {
    const call = client.ServerReflectionInfo();
    call.on('data', (response: Response) => {
      resolve(response);
      call.end();
    });
    call.on('error', reject);
    call.write(request);
  });
}

let dir: string;
let server: grpc.Server;
let target: string;
let described = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reflection-'));
  target = `unix:${join(dir, 'r.sock')}`;
  server = new grpc.Server();
  addReflection(server, (): PackageDefinition => {
    described++;
    return describeServedProtos();
  });
  await new Promise<void>((resolve, reject) => server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())));
});

afterAll(() => {
  server?.forceShutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe('server reflection', () => {
  it('is not built until a client asks, then built once for both versions', async () => {
    expect(described).toBe(0);
    const v1alpha = clientFor('v1alpha', target);
    const v1 = clientFor('v1', target);
    try {
      const listed = await ask(v1alpha, { list_services: '*' });
      expect(listed.list_services_response?.service.map((s) => s.name)).toEqual(expect.arrayContaining(['SpiffeWorkloadAPI', 'conjur.spiffe.v1.ConjurTokenService']));
      const file = await ask(v1, { file_containing_symbol: 'SpiffeWorkloadAPI' });
      expect(file.file_descriptor_response?.file_descriptor_proto.length).toBeGreaterThan(0);
      const missing = await ask(v1, { file_containing_symbol: 'no.such.Symbol' });
      expect(missing.error_response?.error_code).toBe(grpc.status.NOT_FOUND);
      expect(described).toBe(1);
    } finally {
      v1alpha.close();
      v1.close();
    }
  });
});
