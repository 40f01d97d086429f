import { connect as connectHttp2 } from 'node:http2';
import type { ClientHttp2Session } from 'node:http2';
import { createRequire } from 'node:module';
import { connect as connectSocket } from 'node:net';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import type { ProtoGrpcType as WorkloadProto } from '../../src/gen/workload.js';
import type { ProtoGrpcType as TokenProto } from '../../src/gen/token.js';
import type { SpiffeWorkloadAPIClient } from '../../src/gen/SpiffeWorkloadAPI.js';
import type { ConjurTokenServiceClient } from '../../src/gen/conjur/spiffe/v1/ConjurTokenService.js';

// A small Workload API client for tests, built independently of src/ (its own proto loading),
// so the server is checked against what a client actually sends and receives.

// From the sources (test/support) or from the bench's build (dist/test/support).
const PROTO_DIR = [new URL('../../proto/', import.meta.url), new URL('../../../proto/', import.meta.url)].map((u) => fileURLToPath(u)).find((dir) => existsSync(dir))!;
const REFLECTION_PROTO = join(dirname(createRequire(import.meta.url).resolve('@grpc/reflection')), '../proto/grpc/reflection/v1/reflection.proto');
const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

interface HealthClient extends grpc.Client {
  Watch(request: { service: string }): grpc.ClientReadableStream<{ status: string }>;
  Check(request: { service: string }, callback: (error: grpc.ServiceError | null, response?: { status: string }) => void): void;
  List(request: Record<string, never>, callback: (error: grpc.ServiceError | null, response?: { statuses: Record<string, { status: string }> }) => void): void;
}
interface ReflectionRequest {
  list_services?: string;
  file_containing_symbol?: string;
}
interface ReflectionResponse {
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_code: number; error_message: string };
}
interface ReflectionClient extends grpc.Client {
  ServerReflectionInfo(): grpc.ClientDuplexStream<ReflectionRequest, ReflectionResponse>;
}

const protos = (() => {
  const main = protoLoader.loadSync(['spiffe/workload/workload.proto', 'conjur/spiffe/v1/token.proto'], { ...LOADER_OPTIONS, includeDirs: [PROTO_DIR] });
  const loaded = grpc.loadPackageDefinition(main) as unknown as WorkloadProto & TokenProto;
  const health = grpc.loadPackageDefinition(protoLoader.loadSync(healthProtoPath, LOADER_OPTIONS)) as unknown as {
    grpc: { health: { v1: { Health: new (target: string, creds: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => HealthClient } } };
  };
  const reflection = grpc.loadPackageDefinition(protoLoader.loadSync(REFLECTION_PROTO, LOADER_OPTIONS)) as unknown as {
    grpc: { reflection: { v1: { ServerReflection: new (target: string, creds: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => ReflectionClient } } };
  };
  return { loaded, health, reflection };
})();

export interface WorkloadClientOptions {
  /** true (default): `workload.spiffe.io: true`; false: no header; a list: exactly those values. */
  securityHeader?: boolean | string[];
}

/** One client = one connection (a local subchannel pool, so clients never share a socket). */
export class WorkloadClient {
  readonly workload: SpiffeWorkloadAPIClient;
  readonly token: ConjurTokenServiceClient;
  private readonly healthClient: HealthClient;
  private readonly reflectionClient: ReflectionClient;

  constructor(socketPath: string, private readonly options: WorkloadClientOptions = {}) {
    const target = `unix://${socketPath}`;
    const creds = grpc.credentials.createInsecure();
    const channelOptions = { 'grpc.use_local_subchannel_pool': 1 };
    this.workload = new protos.loaded.SpiffeWorkloadAPI(target, creds, channelOptions);
    // The other clients share the workload client's channel, hence its connection.
    const channelOverride = { channelOverride: this.workload.getChannel() as grpc.Channel };
    this.token = new protos.loaded.conjur.spiffe.v1.ConjurTokenService(target, creds, channelOverride);
    this.healthClient = new protos.health.grpc.health.v1.Health(target, creds, channelOverride);
    this.reflectionClient = new protos.reflection.grpc.reflection.v1.ServerReflection(target, creds, channelOverride);
  }

  metadata(): grpc.Metadata {
    const metadata = new grpc.Metadata();
    const header = this.options.securityHeader ?? true;
    const values = header === true ? ['true'] : header === false ? [] : header;
    for (const value of values) metadata.add('workload.spiffe.io', value);
    return metadata;
  }

  fetchX509Svid() {
    return this.workload.FetchX509SVID({}, this.metadata());
  }

  fetchX509Bundles() {
    return this.workload.FetchX509Bundles({}, this.metadata());
  }

  fetchJwtBundles() {
    return this.workload.FetchJWTBundles({}, this.metadata());
  }

  fetchWitSvid() {
    return this.workload.FetchWITSVID({}, this.metadata());
  }

  fetchWitBundles() {
    return this.workload.FetchWITBundles({}, this.metadata());
  }

  fetchConjurToken() {
    return this.token.FetchConjurToken({}, this.metadata());
  }

  fetchJwtSvid(audience: string[]): Promise<unknown> {
    return unary((cb) => this.workload.FetchJWTSVID({ audience }, this.metadata(), cb));
  }

  validateJwtSvid(audience: string, svid: string): Promise<unknown> {
    return unary((cb) => this.workload.ValidateJWTSVID({ audience, svid }, this.metadata(), cb));
  }

  /** grpc.health.v1 Check (no security header: health is open, as in SPIRE). */
  healthCheck(service = ''): Promise<string> {
    return unary<{ status: string }>((cb) => this.healthClient.Check({ service }, cb)).then((r) => r.status);
  }

  /** grpc.health.v1 List: every service name the server reports, with its status. */
  healthList(): Promise<Record<string, string>> {
    return unary<{ statuses: Record<string, { status: string }> }>((cb) => this.healthClient.List({}, cb)).then((r) =>
      Object.fromEntries(Object.entries(r.statuses).map(([name, { status }]) => [name, status])),
    );
  }

  /** grpc.health.v1 Watch: a stream that stays open, pushing every status change. */
  watchHealth(service = ''): grpc.ClientReadableStream<{ status: string }> {
    return this.healthClient.Watch({ service });
  }

  /** Service names from server reflection (v1 ListServices). */
  async listServices(): Promise<string[]> {
    const response = await this.reflect({ list_services: '*' });
    return (response.list_services_response?.service ?? []).map((s) => s.name);
  }

  /** How many file descriptors reflection returns for a symbol (0 when it reports an error). */
  async describeSymbol(symbol: string): Promise<number> {
    const response = await this.reflect({ file_containing_symbol: symbol });
    return response.file_descriptor_response?.file_descriptor_proto.length ?? 0;
  }

  private reflect(request: ReflectionRequest): Promise<ReflectionResponse> {
    return new Promise((resolve, reject) => {
      const call = this.reflectionClient.ServerReflectionInfo();
      call.on('data', (response: ReflectionResponse) => {
        resolve(response);
        call.end();
      });
      call.on('error', reject);
      call.write(request);
    });
  }

  close(): void {
    this.workload.close();
  }
}

function unary<T>(start: (callback: (error: grpc.ServiceError | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value as T))));
}

export interface StreamEnd {
  code: grpc.status;
  details: string;
}

/** Buffers a server stream's messages and its final status, so a test can await them in order. */
export class StreamReader<T> {
  private readonly queue: T[] = [];
  private readonly waiters = new Set<() => void>();
  private end: StreamEnd | undefined;
  /** Resolves with the stream's final status (OK included). */
  readonly ended: Promise<StreamEnd>;
  received = 0;

  constructor(readonly stream: grpc.ClientReadableStream<T>) {
    stream.on('data', (message: T) => {
      this.queue.push(message);
      this.received += 1;
      this.wake();
    });
    // 'error' precedes 'status' for non-OK ends; the status carries everything a test checks.
    stream.on('error', () => {});
    this.ended = new Promise((resolve) => {
      stream.on('status', (status: grpc.StatusObject) => {
        this.end = { code: status.code, details: status.details };
        resolve(this.end);
        this.wake();
      });
    });
  }

  /** The next message; rejects when the stream ends first (the error names the status). */
  async next(): Promise<T> {
    for (;;) {
      const message = this.queue.shift();
      if (message !== undefined) return message;
      if (this.end) throw new Error(`stream ended (${grpc.status[this.end.code]}: ${this.end.details}) before a message`);
      await new Promise<void>((resolve) => this.waiters.add(resolve));
    }
  }

  cancel(): void {
    this.stream.cancel();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
    this.waiters.clear();
  }
}

export function firstMessage<T>(stream: grpc.ClientReadableStream<T>): Promise<T> {
  return new StreamReader(stream).next();
}

export function streamEnd<T>(stream: grpc.ClientReadableStream<T>): Promise<StreamEnd> {
  return new StreamReader(stream).ended;
}

/** The status a failed unary call ended with. */
export async function unaryError(call: Promise<unknown>): Promise<StreamEnd> {
  try {
    await call;
  } catch (error) {
    const { code, details } = error as grpc.ServiceError;
    return { code, details };
  }
  throw new Error('the call succeeded');
}

/**
 * A gRPC call made by hand over node:http2, for what grpc-js clients never do: vanish mid-stream.
 * `destroy()` tears the connection down at once, like a workload that crashed.
 */
export interface RawStream {
  /** Resolves with the first DATA bytes the server sends (a length-prefixed message). */
  firstData: Promise<Buffer>;
  destroy(): void;
}

export function openRawStream(socketPath: string, path = '/SpiffeWorkloadAPI/FetchX509SVID'): RawStream {
  const session: ClientHttp2Session = connectHttp2('http://localhost', { createConnection: () => connectSocket(socketPath) });
  session.on('error', () => {});
  const stream = session.request({
    ':method': 'POST',
    ':path': path,
    'content-type': 'application/grpc',
    te: 'trailers',
    'workload.spiffe.io': 'true',
  });
  stream.on('error', () => {});
  stream.end(Buffer.from([0, 0, 0, 0, 0])); // one empty, uncompressed message
  const firstData = new Promise<Buffer>((resolve, reject) => {
    stream.once('data', (chunk: Buffer) => resolve(chunk));
    stream.once('close', () => reject(new Error('stream closed before any data')));
  });
  firstData.catch(() => {});
  return { firstData, destroy: () => session.destroy() };
}
