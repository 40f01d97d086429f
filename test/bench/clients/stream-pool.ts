import * as grpc from '@grpc/grpc-js';
import { connect, FETCH_X509_SVID, openDuplex, openStream } from './raw-grpc.js';
import { encodeDiscoveryRequest, readVersionAndNonce, STREAM_SECRETS } from './sds-wire.js';

/** Which API the streams use: FetchX509SVID, or Envoy SDS (StreamSecrets for default + ROOTCA, ACKing each response). */
export type StreamKind = 'x509' | 'sds';

/** The names an Envoy sidecar asks for: its certificate and its validation context. */
export const SDS_NAMES = ['default', 'ROOTCA'] as const;

// Many long-lived FetchX509SVID (or SDS) streams held by one workload process over a fixed set of its own
// connections (streams are spread round-robin), as a busy application or several containers
// sharing a process would. Records when each stream got its first message and, once armed, its
// next one, as CLOCK_MONOTONIC nanoseconds, which every process on the machine shares.

/** A stream that ends Unavailable is opened again after this long, as SPIFFE clients retry. */
const REOPEN_DELAY_MS = 500;
/** ... at most this many times per stream, so a broken agent still fails the bench. */
const MAX_REOPENS = 60;

interface HeldStream {
  call: grpc.ClientReadableStream<Buffer> | grpc.ClientDuplexStream<Buffer, Buffer>;
  /** When the first attempt opened: a figure includes the time its retries took. */
  readonly openedAt: bigint;
  reopens: number;
  firstAt?: bigint;
  armedAt?: bigint;
  ended?: string;
  armed: boolean;
}

export class StreamPool {
  private readonly connections: grpc.Client[] = [];
  private readonly streams: HeldStream[] = [];
  private readonly waiters = new Set<() => void>();
  private next = 0;

  constructor(
    private readonly socketPath: string,
    private readonly connectionCount: number,
    private readonly kind: StreamKind = 'x509',
  ) {}

  get size(): number {
    return this.streams.length;
  }

  /** Starts `count` streams now (the agent attests each call as it arrives). */
  open(count: number): void {
    while (this.connections.length < this.connectionCount) this.connections.push(connect(this.socketPath));
    for (let i = 0; i < count; i++) {
      const client = this.connections[this.next++ % this.connections.length]!;
      const held: HeldStream = { call: this.openCall(client), openedAt: process.hrtime.bigint(), reopens: 0, armed: false };
      this.watch(held, client);
      this.streams.push(held);
    }
  }

  /** Times the stream's messages; on Unavailable (the agent or Conjur busy) opens it again. */
  private watch(held: HeldStream, client: grpc.Client): void {
    const call = held.call;
    call.on('data', (message: Buffer) => this.onMessage(held, message));
    call.on('status', (status: grpc.StatusObject) => {
      if (status.code === grpc.status.UNAVAILABLE && held.reopens < MAX_REOPENS && this.streams.includes(held)) {
        held.reopens++;
        setTimeout(() => {
          if (!this.streams.includes(held)) return;
          held.call = this.openCall(client);
          this.watch(held, client);
        }, REOPEN_DELAY_MS).unref();
        return;
      }
      held.ended = `${grpc.status[status.code]} ${status.details}`;
      this.wake();
    });
  }

  /** Milliseconds from open to first message, once every stream has one; rejects if one ends first. */
  async awaitFirst(timeoutMs: number): Promise<number[]> {
    await this.until((s) => s.firstAt !== undefined, timeoutMs, 'first messages');
    return this.streams.map((s) => Number(s.firstAt! - s.openedAt) / 1e6);
  }

  /** From now on, the next message on each stream is timed. */
  arm(): void {
    for (const s of this.streams) {
      s.armed = true;
      delete s.armedAt;
    }
  }

  /** CLOCK_MONOTONIC ns at which each stream got its first message after arm(). */
  async collectArmed(timeoutMs: number): Promise<number[]> {
    await this.until((s) => s.armedAt !== undefined, timeoutMs, 'messages after the change');
    return this.streams.map((s) => Number(s.armedAt!));
  }

  closeAll(): void {
    for (const s of this.streams) s.call.cancel();
    for (const c of this.connections) c.close();
    this.streams.length = 0;
    this.connections.length = 0;
    this.next = 0;
  }

  private openCall(client: grpc.Client): HeldStream['call'] {
    if (this.kind === 'x509') return openStream(client, FETCH_X509_SVID);
    const call = openDuplex(client, STREAM_SECRETS);
    call.write(encodeDiscoveryRequest({ names: SDS_NAMES }));
    return call;
  }

  private onMessage(held: HeldStream, message: Buffer): void {
    const now = process.hrtime.bigint();
    // Envoy ACKs every response it applies (same names, the response's version and nonce).
    if (this.kind === 'sds') (held.call as grpc.ClientDuplexStream<Buffer, Buffer>).write(encodeDiscoveryRequest({ names: SDS_NAMES, ...readVersionAndNonce(message) }));
    held.firstAt ??= now;
    if (held.armed && held.armedAt === undefined) held.armedAt = now;
    this.wake();
  }

  private until(isDone: (s: HeldStream) => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const waiting = this.streams.filter((s) => !isDone(s));
        const failed = waiting.find((s) => s.ended !== undefined);
        if (waiting.length === 0) return finish(), resolve();
        if (failed) return finish(), reject(new Error(`a stream ended while waiting for ${what}: ${failed.ended}`));
      };
      const timer = setTimeout(() => {
        finish();
        const waiting = this.streams.filter((s) => !isDone(s)).length;
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${waiting} of ${this.streams.length} streams)`));
      }, timeoutMs);
      const finish = () => (clearTimeout(timer), this.waiters.delete(check));
      this.waiters.add(check);
      check();
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
