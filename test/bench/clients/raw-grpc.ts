import * as grpc from '@grpc/grpc-js';

// The bench's gRPC client side, as thin as grpc-js allows: generic calls on raw bytes (no proto
// decoding), so client work is the same for the agent and for the floor and never hides agent
// cost. Every Client gets its own subchannel pool, hence its own Unix-socket connection.

export const FETCH_X509_SVID = '/SpiffeWorkloadAPI/FetchX509SVID';
export const FETCH_CONJUR_TOKEN = '/conjur.spiffe.v1.ConjurTokenService/FetchConjurToken';
/** The floor's only method (see cached-path/floor-server.ts). */
export const FLOOR_PING = '/bench.Floor/Ping';

const EMPTY = Buffer.alloc(0);
const toBytes = (): Buffer => EMPTY; // every request here is an empty message
const asBytes = (bytes: Buffer): Buffer => bytes;

export function connect(socketPath: string): grpc.Client {
  return new grpc.Client(`unix://${socketPath}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
}

export function waitForReady(client: grpc.Client, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => client.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(error) : resolve())));
}

/** A server stream with the Workload API's security header; errors (e.g. our own cancel) are left to the caller. */
export function openStream(client: grpc.Client, method: string): grpc.ClientReadableStream<Buffer> {
  const metadata = new grpc.Metadata();
  metadata.set('workload.spiffe.io', 'true');
  const stream = client.makeServerStreamRequest(method, toBytes, asBytes, {}, metadata);
  stream.on('error', () => {});
  return stream;
}

/** A StreamSecrets call as Envoy opens it: no security header, requests written by the caller. */
export function openDuplex(client: grpc.Client, method: string): grpc.ClientDuplexStream<Buffer, Buffer> {
  const stream = client.makeBidiStreamRequest(method, asBytes, asBytes, new grpc.Metadata());
  stream.on('error', () => {});
  return stream;
}

/** Resolves on the stream's first message; rejects if it ends first. */
export function firstMessage(stream: grpc.ClientReadableStream<Buffer> | grpc.ClientDuplexStream<Buffer, Buffer>): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('data', () => resolve());
    stream.once('status', (status: grpc.StatusObject) => reject(new Error(`stream ended before a message: ${grpc.status[status.code]} ${status.details}`)));
  });
}

export function ping(client: grpc.Client): Promise<void> {
  return new Promise((resolve, reject) => client.makeUnaryRequest(FLOOR_PING, toBytes, asBytes, {}, (error) => (error ? reject(error) : resolve())));
}
