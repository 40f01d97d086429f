import { isIP } from 'node:net';

/**
 * Where the Workload API listens, parsed from the forms the SPIFFE Workload Endpoint spec (§4)
 * allows: `unix:///absolute/path` or `tcp://<IP>:<port>`. The rules and messages follow
 * go-spiffe's `workloadapi/addr.go`, plus the spec's "no authority" rule for unix.
 */
export type EndpointAddress =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

export type EndpointAddressErrorCode = 'missing' | 'invalid';

export class EndpointAddressError extends Error {
  override readonly name = 'EndpointAddressError';
  constructor(
    readonly code: EndpointAddressErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const ENDPOINT_SOCKET_ENV = 'SPIFFE_ENDPOINT_SOCKET';

// RFC 3986 appendix B, with "did the authority start with //" kept apart from "is it empty".
const URI = /^([a-zA-Z][a-zA-Z0-9+.-]*):(\/\/([^/?#]*))?([^?#]*)(\?[^#]*)?(#.*)?$/;

export function parseEndpointAddress(text: string): EndpointAddress {
  const m = URI.exec(text);
  if (!m) throw invalid(`workload endpoint socket "${text}" is not a URI: use unix:///path or tcp://IP:port`);
  const [, scheme = '', hasAuthority, authority = '', path = '', query, fragment] = m;
  switch (scheme.toLowerCase()) {
    case 'unix':
      return parseUnix({ hasAuthority: hasAuthority !== undefined, authority, path, query, fragment });
    case 'tcp':
      return parseTcp({ hasAuthority: hasAuthority !== undefined, authority, path, query, fragment });
    default:
      throw invalid(`workload endpoint socket URI must have a "unix" or "tcp" scheme, not "${scheme}"`);
  }
}

interface UriParts {
  hasAuthority: boolean;
  authority: string;
  path: string;
  query: string | undefined;
  fragment: string | undefined;
}

function parseUnix(u: UriParts): EndpointAddress {
  const rule = 'workload endpoint unix socket URI';
  if (!u.hasAuthority && u.path !== '' && !u.path.startsWith('/')) throw invalid(`${rule} must not be opaque (use unix:///absolute/path)`);
  if (u.authority.includes('@')) throw invalid(`${rule} must not include user info`);
  if (u.authority !== '') throw invalid(`${rule} must not include an authority (use unix:///absolute/path)`);
  if (u.path === '') throw invalid(`${rule} must include a path`);
  if (u.query !== undefined) throw invalid(`${rule} must not include query values`);
  if (u.fragment !== undefined) throw invalid(`${rule} must not include a fragment`);
  return { kind: 'unix', path: decodePath(u.path) };
}

function parseTcp(u: UriParts): EndpointAddress {
  const rule = 'workload endpoint tcp socket URI';
  if (!u.hasAuthority) throw invalid(`${rule} must not be opaque (use tcp://IP:port)`);
  if (u.authority.includes('@')) throw invalid(`${rule} must not include user info`);
  if (u.authority === '') throw invalid(`${rule} must include a host`);
  if (u.path !== '') throw invalid(`${rule} must not include a path`);
  if (u.query !== undefined) throw invalid(`${rule} must not include query values`);
  if (u.fragment !== undefined) throw invalid(`${rule} must not include a fragment`);
  const hostPort = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(u.authority);
  const host = (hostPort?.[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) === 0) throw invalid(`${rule} host component must be an IP:port`);
  const port = hostPort?.[2];
  if (port === undefined || port === '') throw invalid(`${rule} host component must include a port`);
  const portNumber = Number(port);
  if (portNumber < 1 || portNumber > 65535) throw invalid(`${rule} port must be between 1 and 65535`);
  return { kind: 'tcp', host, port: portNumber };
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch (error) {
    throw invalid('workload endpoint unix socket URI has a malformed percent-encoding', error);
  }
}

function invalid(message: string, cause?: unknown): EndpointAddressError {
  return new EndpointAddressError('invalid', message, { cause });
}

/**
 * The address named by `SPIFFE_ENDPOINT_SOCKET`, or undefined when it is unset or empty.
 * The client library's only read of the environment (the agent itself reads env in config/).
 */
export function endpointFromEnvironment(env: NodeJS.ProcessEnv = process.env): EndpointAddress | undefined {
  const value = env[ENDPOINT_SOCKET_ENV];
  if (value === undefined || value === '') return undefined;
  try {
    return parseEndpointAddress(value);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new EndpointAddressError('invalid', `${ENDPOINT_SOCKET_ENV} is invalid: ${reason}`, { cause: error });
  }
}

/** Accepts what people type for a socket: a URI as above, or a plain absolute path (as SPIRE's CLI does). */
export function toEndpointAddress(socket: string | EndpointAddress): EndpointAddress {
  if (typeof socket !== 'string') return socket;
  if (socket.startsWith('/')) return { kind: 'unix', path: socket };
  return parseEndpointAddress(socket);
}

/** The canonical URI text, used in every message that names the endpoint. */
export function formatEndpointAddress(address: EndpointAddress): string {
  if (address.kind === 'unix') return `unix://${address.path}`;
  return isIP(address.host) === 6 ? `tcp://[${address.host}]:${address.port}` : `tcp://${address.host}:${address.port}`;
}

/** The grpc-js channel target for an address (grpc-js knows `unix:` and `ipv4:`/`ipv6:` targets). */
export function toGrpcTarget(address: EndpointAddress): string {
  if (address.kind === 'unix') return `unix:${address.path}`;
  return isIP(address.host) === 6 ? `ipv6:[${address.host}]:${address.port}` : `ipv4:${address.host}:${address.port}`;
}

/** The address a client is given (see toEndpointAddress), else SPIFFE_ENDPOINT_SOCKET's; throws 'missing' without either. */
export function resolveEndpointAddress(socket: string | EndpointAddress | undefined): EndpointAddress {
  if (socket !== undefined) return toEndpointAddress(socket);
  const fromEnv = endpointFromEnvironment();
  if (!fromEnv) throw new EndpointAddressError('missing', 'no Workload API socket: pass one or set SPIFFE_ENDPOINT_SOCKET');
  return fromEnv;
}
