import { constants } from 'node:http2';
import type { ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import type { EndpointAddress } from './endpoint-address.js';
import { toWorkloadApiError } from './grpc-calls.js';
import { GRPC_STATUS as Status } from './grpc-status.js';
import { authorityOf, cannotConnectReason, connectErrorOf, connectHttp2 } from './http2-connect.js';
import { WorkloadApiError } from './workload-api-error.js';

/**
 * grpc-js's default limit on a received message (4 MiB): the one-shot call keeps the bound the
 * grpc-js client had, and fails the same way past it (RESOURCE_EXHAUSTED).
 */
export const MAX_RECEIVE_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface GrpcCall<T> {
  readonly address: EndpointAddress;
  /** `/Service/Method`. */
  readonly path: string;
  /** The one request message, unframed. */
  readonly request: Buffer;
  /** Extra request headers (gRPC metadata), e.g. the Workload API's security header. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The response message's decoder; a throw fails the call as grpc-js does (INTERNAL). */
  readonly decode: (bytes: Uint8Array) => T;
  /** Names the call and the endpoint in every error message, e.g. "FetchX509SVID to unix:///x". */
  readonly describe: string;
  readonly signal: AbortSignal;
}

/**
 * One gRPC call as a single HTTP/2 request on a connection of its own, without grpc-js: sends
 * the request, resolves with the first response message, then cancels the stream and closes
 * the connection. For the one-shot `api fetch` commands, which would otherwise spend most of
 * their time loading grpc-js (issue 14); long-lived streams stay on WorkloadApiClient.
 *
 * Failures are the WorkloadApiErrors the grpc-js client gives for the same answer (grpc-calls.ts
 * reads both): the status and message from the trailers, HTTP statuses and RST_STREAM codes
 * mapped as grpc-js maps them, "the stream ended" for a stream closed without a message.
 * If `signal` aborts first, rejects with its reason.
 */
export function firstGrpcMessage<T>(call: GrpcCall<T>): Promise<T> {
  const { signal, describe } = call;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const session = connectHttp2(call.address);
    let connected = false;
    let settled = false;
    let stream: ClientHttp2Stream | undefined;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      // Cancel (RST_STREAM) rather than leave the agent a subscription nobody reads, then close;
      // a connection still being made is dropped, so that nothing keeps the process waiting.
      if (stream && !stream.closed) stream.close(constants.NGHTTP2_CANCEL);
      if (connected) session.close();
      else session.destroy();
      outcome();
    };
    const fail = (error: unknown) => finish(() => reject(toWorkloadApiError(error, describe)));
    const failStatus = (code: number, details: string) => fail(new GrpcStatusError(code, details));
    const cannotConnect = (error: NodeJS.ErrnoException) =>
      fail(new WorkloadApiError('unavailable', `${describe} failed: ${cannotConnectReason(error)}`, { cause: error }));
    const onAbort = () => finish(() => reject(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });

    session.once('connect', () => (connected = true));
    session.on('error', (error: NodeJS.ErrnoException) => (connected ? failStatus(Status.UNAVAILABLE, 'Connection dropped') : cannotConnect(error)));

    stream = session.request({ ':method': 'POST', ':authority': authorityOf(call.address), ':path': call.path, 'content-type': 'application/grpc', te: 'trailers', ...call.metadata });
    const frames = new MessageFrames(MAX_RECEIVE_MESSAGE_BYTES);
    let httpStatus: number | undefined;
    let status: { code: number; details: string } | undefined;
    stream.on('response', (headers, flags) => {
      httpStatus = Number(headers[':status']);
      // A trailers-only answer (an error before any message) carries its status in the headers.
      if (flags & constants.NGHTTP2_FLAG_END_STREAM) status = statusOf(headers, httpStatus);
    });
    stream.on('trailers', (trailers) => (status = statusOf(trailers, httpStatus)));
    stream.on('data', (chunk: Buffer) => {
      if (settled) return;
      let message: Buffer | undefined;
      try {
        message = frames.push(chunk);
      } catch (error) {
        // As grpc-js: an HTML error page read as a frame says less than its HTTP status does.
        const mapped = httpStatus !== undefined && httpStatus !== 200 ? httpStatusToGrpc(httpStatus) : undefined;
        return mapped ? failStatus(mapped.code, mapped.details) : failStatus(Status.RESOURCE_EXHAUSTED, (error as Error).message);
      }
      if (message === undefined) return;
      let value: T;
      try {
        value = call.decode(message);
      } catch (error) {
        return failStatus(Status.INTERNAL, `Response message parsing error: ${error instanceof Error ? error.message : String(error)}`);
      }
      finish(() => resolve(value));
    });
    let streamError: NodeJS.ErrnoException | undefined;
    stream.on('error', (error: NodeJS.ErrnoException) => {
      const connectError = connectErrorOf(error);
      if (connectError && !connected) cannotConnect(connectError);
      else streamError = error;
    });
    // 'close' comes after 'end' and any 'error'; the RST_STREAM code is known a tick later (as grpc-js reads it).
    stream.on('close', () => process.nextTick(() => onClose(stream!.rstCode ?? constants.NGHTTP2_NO_ERROR)));
    const onClose = (rstCode: number) => {
      if (settled) return;
      if (status !== undefined) {
        // The stream ended with a status and no message: an OK one is a stream that ended early.
        if (status.code === Status.OK) return fail(new WorkloadApiError('unavailable', `${describe} failed: the stream ended`));
        return failStatus(status.code, status.details);
      }
      // Node closes every stream when the connection goes: that is a dropped connection, not a reset.
      if (session.destroyed || session.closed) return failStatus(Status.UNAVAILABLE, 'Connection dropped');
      const closed = closeStatus(rstCode, httpStatus, streamError);
      failStatus(closed.code, closed.details);
    };
    stream.end(frame(call.request));
  });
}

/** A gRPC status as a call failed with it; shaped like grpc-js's ServiceError (code, details). */
class GrpcStatusError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(details);
  }
}

/** The 5-byte gRPC message prefix (not compressed, big-endian length) before the message. */
function frame(message: Buffer): Buffer {
  const framed = Buffer.alloc(5 + message.length);
  framed.writeUInt32BE(message.length, 1);
  message.copy(framed, 5);
  return framed;
}

/** Collects DATA chunks until one whole length-prefixed message is there (copied once, at the end). */
class MessageFrames {
  private readonly chunks: Buffer[] = [];
  private received = 0;
  private length: number | undefined;

  constructor(private readonly maxBytes: number) {}

  /** The first complete message, once it has arrived; throws on a frame this client cannot read. */
  push(chunk: Buffer): Buffer | undefined {
    this.chunks.push(chunk);
    this.received += chunk.length;
    if (this.received < 5) return undefined;
    if (this.length === undefined) {
      const prefix = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks);
      const compressed = prefix[0]!;
      const length = prefix.readUInt32BE(1);
      if (length > this.maxBytes) throw new Error(`Received message larger than max (${length} vs ${this.maxBytes})`);
      // This client advertises no compression (no grpc-accept-encoding), so a compressed message is a broken answer.
      if (compressed !== 0) throw new Error(`Received a compressed message (flag ${compressed}) without asking for compression`);
      this.length = length;
    }
    if (this.received < 5 + this.length) return undefined;
    const data = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks);
    return data.subarray(5, 5 + this.length);
  }
}

function statusOf(headers: IncomingHttpHeaders, httpStatus: number | undefined): { code: number; details: string } {
  const code = headers['grpc-status'];
  if (typeof code === 'string') return { code: Number(code), details: decodeDetails(headers['grpc-message']) };
  if (httpStatus !== undefined) return httpStatusToGrpc(httpStatus);
  return { code: Status.UNKNOWN, details: 'No status information received' };
}

/** grpc-message is percent-encoded; a malformed encoding is shown as it came (as grpc-js does). */
function decodeDetails(value: string | string[] | undefined): string {
  const text = Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
  try {
    return decodeURI(text);
  } catch {
    return text;
  }
}

/** The gRPC status an HTTP status stands for (the gRPC spec's http-grpc-status-mapping, as grpc-js). */
function httpStatusToGrpc(httpStatus: number): { code: number; details: string } {
  const code =
    httpStatus === 400
      ? Status.INTERNAL
      : httpStatus === 401
        ? Status.UNAUTHENTICATED
        : httpStatus === 403
          ? Status.PERMISSION_DENIED
          : httpStatus === 404
            ? Status.UNIMPLEMENTED
            : [429, 502, 503, 504].includes(httpStatus)
              ? Status.UNAVAILABLE
              : Status.UNKNOWN;
  return { code, details: `Received HTTP status code ${httpStatus}` };
}

/** A stream closed without any gRPC status: what its RST_STREAM code means, as grpc-js reads it. */
function closeStatus(rstCode: number, httpStatus: number | undefined, streamError: NodeJS.ErrnoException | undefined): { code: number; details: string } {
  switch (rstCode) {
    case constants.NGHTTP2_NO_ERROR:
      if (httpStatus !== undefined && httpStatus !== 200) return httpStatusToGrpc(httpStatus);
      return { code: Status.INTERNAL, details: `Received RST_STREAM with code ${rstCode} (Call ended without gRPC status)` };
    case constants.NGHTTP2_REFUSED_STREAM:
      return { code: Status.UNAVAILABLE, details: 'Stream refused by server' };
    case constants.NGHTTP2_CANCEL:
      return { code: Status.CANCELLED, details: 'Call cancelled' };
    case constants.NGHTTP2_ENHANCE_YOUR_CALM:
      return { code: Status.RESOURCE_EXHAUSTED, details: 'Bandwidth exhausted or memory limit exceeded' };
    case constants.NGHTTP2_INADEQUATE_SECURITY:
      return { code: Status.PERMISSION_DENIED, details: 'Protocol not secure enough' };
    case constants.NGHTTP2_INTERNAL_ERROR:
      if (streamError?.code === 'ECONNRESET' || streamError?.code === 'ETIMEDOUT') return { code: Status.UNAVAILABLE, details: streamError.message };
      return { code: Status.INTERNAL, details: `Received RST_STREAM with code ${rstCode} (Internal server error)` };
    default:
      return { code: Status.INTERNAL, details: `Received RST_STREAM with code ${rstCode}` };
  }
}
