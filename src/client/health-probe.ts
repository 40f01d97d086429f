import type { IncomingHttpHeaders } from 'node:http2';
import { formatEndpointAddress } from './endpoint-address.js';
import type { EndpointAddress } from './endpoint-address.js';
import { GRPC_STATUS, grpcStatusName } from './grpc-status.js';
import { cannotConnectReason, connectErrorOf, connectHttp2 } from './http2-connect.js';
import { decodeHealthCheckResponse, encodeHealthCheckRequest } from './response-codecs.js';
import type { HealthStatus } from './workload-api-client.js';
import { WorkloadApiError } from './workload-api-error.js';
import { HEALTH_CHECK } from './workload-api-methods.js';

/** A HealthCheckResponse is a few bytes; more is not an answer from a health service. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * One grpc.health.v1 Check as a single HTTP/2 request, without grpc-js: `healthcheck` runs in
 * exec probes on every node, and loading grpc-js is most of what it would cost (issue 14). It
 * speaks the gRPC wire protocol's unary form only: one length-prefixed request, one response,
 * the status in the trailers (or in the headers, for a trailers-only answer). Long-lived
 * clients use WorkloadApiClient.checkHealth. `signal` aborting rejects with its reason.
 */
export function probeHealth(address: EndpointAddress, signal: AbortSignal, service = ''): Promise<HealthStatus> {
  const describe = `health check to ${formatEndpointAddress(address)}`;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const session = connectHttp2(address);
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      session.destroy();
      outcome();
    };
    const fail = (reason: string, cause?: unknown) => finish(() => reject(new WorkloadApiError('unavailable', `${describe} failed: ${reason}`, cause === undefined ? undefined : { cause })));
    const onAbort = () => finish(() => reject(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    const cannotConnect = (error: NodeJS.ErrnoException) => fail(cannotConnectReason(error), error);
    session.on('error', cannotConnect);

    const body = encodeHealthCheckRequest({ service });
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, 5);
    const request = session.request({ ':method': 'POST', ':path': HEALTH_CHECK, 'content-type': 'application/grpc', te: 'trailers' });
    let headers: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    let received = 0;
    request.on('response', (h) => (headers = h));
    request.on('trailers', (t) => (trailers = t));
    request.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_RESPONSE_BYTES) fail(`the answer is larger than ${MAX_RESPONSE_BYTES} bytes`);
      else chunks.push(chunk);
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      const connectError = connectErrorOf(error);
      if (connectError) cannotConnect(connectError);
      else fail(error.message, error);
    });
    request.on('end', () => {
      const code = Number(trailers['grpc-status'] ?? headers['grpc-status']);
      if (Number(headers[':status']) !== 200 || Number.isNaN(code)) return fail(`not a gRPC answer (HTTP status ${headers[':status'] ?? 'none'})`);
      if (code !== GRPC_STATUS.OK) {
        const message = decodeURIComponent(String(trailers['grpc-message'] ?? headers['grpc-message'] ?? ''));
        return finish(() => reject(new WorkloadApiError(code === GRPC_STATUS.UNIMPLEMENTED ? 'unimplemented' : 'unavailable', `${describe} failed: ${grpcStatusName(code)}: ${message}`)));
      }
      const data = Buffer.concat(chunks);
      if (data.length < 5 || data[0] !== 0 || data.readUInt32BE(1) !== data.length - 5) return fail('the answer is not one uncompressed gRPC message');
      try {
        const { status } = decodeHealthCheckResponse(data.subarray(5));
        finish(() => resolve(status));
      } catch (error) {
        fail(`the answer does not decode: ${(error as Error).message}`, error);
      }
    });
    request.end(frame);
  });
}
