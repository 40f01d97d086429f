import { connect } from 'node:http2';
import type { ClientHttp2Session } from 'node:http2';
import { connect as connectSocket } from 'node:net';
import type { EndpointAddress } from './endpoint-address.js';

/**
 * A plain HTTP/2 session to a Workload Endpoint, for the calls made without grpc-js (health-probe.ts,
 * first-grpc-message.ts).
 */
export function connectHttp2(address: EndpointAddress): ClientHttp2Session {
  if (address.kind === 'unix') return connect('http://localhost', { createConnection: () => connectSocket(address.path) });
  return connect(`http://${authorityOf(address)}`);
}

/** The :authority grpc-js sends: `localhost` over a Unix socket (node:http2 would add `:80`), else host:port. */
export function authorityOf(address: EndpointAddress): string {
  if (address.kind === 'unix') return 'localhost';
  return `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}

/**
 * The reason for a failed connection in the words the grpc-js client uses (grpc-calls.ts):
 * "cannot connect: connect ENOENT /x (is the agent running?)".
 */
export function cannotConnectReason(error: NodeJS.ErrnoException): string {
  const hint = error.code === 'ENOENT' || error.code === 'ECONNREFUSED' ? ' (is the agent running?)' : '';
  return `cannot connect: ${error.message}${hint}`;
}

/**
 * A stream opened before its session connected is cancelled when the connection fails, with the
 * socket's error as its cause: that cause, or undefined for any other stream error.
 */
export function connectErrorOf(error: NodeJS.ErrnoException): NodeJS.ErrnoException | undefined {
  if (error.code !== 'ERR_HTTP2_STREAM_CANCEL' || typeof error.cause !== 'object' || error.cause === null) return undefined;
  return error.cause as NodeJS.ErrnoException;
}
