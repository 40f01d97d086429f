import type { ServerDuplexStream, ServerWritableStream } from '@grpc/grpc-js';
import { describeError, F } from '../log/index.js';
import type { LogFields, Logger } from '../log/index.js';
import type { AcceptedPeer } from '../peer/index.js';
import type { OpenStreams } from './open-streams.js';
import type { PeerRegistry } from './peer-registry.js';
import { toGrpcStatus } from './status.js';
import { WorkloadApiError } from './workload-api-error.js';

export interface StreamDeps {
  readonly peers: PeerRegistry;
  readonly streams: OpenStreams;
  readonly logger: Logger;
}

/** What a streaming handler body gets: its caller, its cancellation and a flow-controlled send. */
export interface StreamContext<Res> {
  readonly peer: AcceptedPeer;
  /** Aborts when the client cancels or disconnects, or the agent shuts down. */
  readonly signal: AbortSignal;
  /** Resolves once the message is buffered below the high-water mark (or the call is gone). */
  send(message: Res): Promise<void>;
  /** Fields added here go into the log line of the call's outcome (e.g. the SPIFFE ID). */
  readonly logFields: LogFields;
}

/** A server-streaming call, or a bidirectional one (Envoy SDS) whose requests the body reads. */
export type StreamingCall<Req, Res> = ServerWritableStream<Req, Res> | ServerDuplexStream<Req, Res>;

const CANCELLED_BY_CLIENT = Symbol('cancelled by client');
/** What grpc-js's getPeer() says once the call's HTTP/2 stream is gone. */
const UNKNOWN_PEER = 'unknown';

/**
 * Runs a server-streaming handler body and owns the call's end: a body that returns (its
 * subscription ended) or throws ends the stream with the status `toGrpcStatus` picks; a client that
 * cancels gets nothing more. The body's `for await` loops release their subscriptions through
 * `signal`, which is why every wait in a body must take it.
 */
export function serveStream<Req, Res>(
  call: StreamingCall<Req, Res>,
  deps: StreamDeps,
  body: (context: StreamContext<Res>) => Promise<void>,
): void {
  void runStream(call, deps, body);
}

async function runStream<Req, Res>(
  call: StreamingCall<Req, Res>,
  deps: StreamDeps,
  body: (context: StreamContext<Res>) => Promise<void>,
): Promise<void> {
  const controller = new AbortController();
  const unregister = deps.streams.add(controller);
  const onCancel = () => controller.abort(CANCELLED_BY_CLIENT);
  call.on('cancelled', onCancel);
  if (call.cancelled) onCancel();
  const peer = deps.peers.peerOf(call);
  const logFields: LogFields = { [F.method]: call.getPath(), [F.connectionId]: call.getPeer(), [F.pid]: peer?.credentials.pid };
  try {
    if (!peer) {
      // A stream reset as soon as it was opened is gone before its handler runs (grpc-js then
      // reports no peer): nothing to answer, and nothing worth an error line per stream.
      if (call.getPeer() === UNKNOWN_PEER) return;
      throw new WorkloadApiError('unknown-peer', `no peer credentials stored for connection ${call.getPeer()}`);
    }
    const send = async (message: Res) => {
      // A connection can outlive the process that opened the stream (handed to a child, or the
      // pid's process replaced): renewed credentials go only to the process that was attested.
      if (!(await peer.isStillAlive())) {
        throw new WorkloadApiError('caller-exited', `process ${peer.credentials.pid} that opened the stream has exited`);
      }
      await sendWithBackpressure(call, message, controller.signal);
    };
    await body({ peer, signal: controller.signal, send, logFields });
    // A call the client cancelled ends its subscription normally: no error (and stack) to build.
    if (controller.signal.reason === CANCELLED_BY_CLIENT) return;
    throw new WorkloadApiError('stream-ended', 'subscription ended without an error');
  } catch (error) {
    const outcome: unknown = controller.signal.aborted ? controller.signal.reason : error;
    if (outcome !== CANCELLED_BY_CLIENT) endWithStatus(call, outcome, deps.logger, logFields);
  } finally {
    call.off('cancelled', onCancel);
    unregister();
  }
}

function endWithStatus<Req, Res>(call: StreamingCall<Req, Res>, error: unknown, logger: Logger, fields: LogFields): void {
  const failure = toGrpcStatus(error);
  // The workload gets the generic details; the log gets the cause chain (messages only, no keys).
  logger[failure.logLevel](failure.logMessage, { ...fields, [F.status]: failure.code, [F.cause]: describeError(error) });
  call.emit('error', { code: failure.code, details: failure.details });
}

async function sendWithBackpressure<Req, Res>(call: StreamingCall<Req, Res>, message: Res, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  if (call.write(message)) return;
  // A client that stops reading must not make us buffer every rotation: wait for it, and since
  // subscriptions yield only the newest state, the next send is always current.
  await new Promise<void>((resolve) => {
    const done = () => {
      call.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    call.on('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
