import { request } from 'node:https';
import type { Agent } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from '../async/index.js';
import { ConjurError } from './conjur-error.js';
import { linkedSignal } from './linked-signal.js';

export interface HttpsExchange {
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Decides trust (Conjur CA only) and, for authenticate, the client certificate. */
  readonly agent: Agent;
  readonly timeoutMs: number;
  readonly clock: Clock;
}

export interface HttpsResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

// Tokens are ~1 KiB and secrets small; a larger answer is a broken or hostile server.
const MAX_BODY_BYTES = 4 * 1024 * 1024;

// Failures before any answer that mean the request never reached Conjur's application.
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * One HTTPS request/response, bounded by `timeoutMs` (via the Clock) and the caller's signal.
 * Transport failures and timeouts become ConjurError 'unavailable' (connection-level when no
 * answer had started); the caller's own abort rejects with the signal's reason so cancellation is
 * never mistaken for an outage.
 */
export function exchange(x: HttpsExchange, signal: AbortSignal): Promise<HttpsResponse> {
  if (signal.aborted) return Promise.reject(signal.reason);
  const bounded = linkedSignal([signal], { clock: x.clock, timeoutMs: x.timeoutMs });
  return new Promise<HttpsResponse>((resolve, reject) => {
    let answered = false;
    const fail = (cause: unknown) => {
      if (signal.aborted) return reject(signal.reason);
      if (bounded.timedOut()) return reject(new ConjurError('unavailable', `conjur did not answer within ${x.timeoutMs} ms`));
      const connectionLevel = !answered && isConnectionFailure(cause);
      reject(new ConjurError('unavailable', `conjur request failed: ${describe(cause)}`, { cause, connectionLevel }));
    };
    const req = request(x.url, { method: x.method, headers: x.headers, agent: x.agent, signal: bounded.signal }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) req.destroy(new Error('response body too large'));
        else chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', fail);
      // A connection cut mid-body must not leave the promise pending (settling twice is a no-op).
      res.on('close', () => res.complete || fail(new Error('connection closed before the response ended')));
    });
    req.on('error', fail);
    req.end(x.body);
  }).finally(() => bounded.dispose());
}

// Errors are read by shape: they may come from another realm (a test runner's VM context).
function describe(cause: unknown): string {
  const { code, message } = (cause ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') return code;
  return typeof message === 'string' ? message : String(cause);
}

function isConnectionFailure(cause: unknown): boolean {
  const { code, message } = (cause ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') return CONNECTION_CODES.has(code);
  // A TLS handshake cut by the peer is reported without a code.
  return typeof message === 'string' && /socket disconnected before secure TLS connection|socket hang up/i.test(message);
}
