// Conjur's routes as Rails matches them (protocol §2.1): on the still-encoded path, after
// collapsing repeated slashes and dropping a trailing one; each parameter is percent-decoded
// afterwards without turning `+` into a space. `{svc}` uses Rails' default segment pattern, so a
// dot makes the route miss; `{account}` must not contain an encoded slash; `{login}` must be one
// segment (its slashes encoded as %2F). Everything else is a 404. Query strings are ignored except
// where a handler reads them.

export type Route =
  | { readonly kind: 'inject'; readonly serviceId: string }
  | { readonly kind: 'authenticate'; readonly serviceId: string; readonly account: string; readonly login: string }
  | { readonly kind: 'secret'; readonly account: string; readonly resourceKind: string; readonly identifier: string }
  | { readonly kind: 'batch-secrets' }
  | { readonly kind: 'whoami' }
  | { readonly kind: 'authenticators' }
  | { readonly kind: 'not-found' };

const NOT_FOUND: Route = { kind: 'not-found' };
/** Rails' default segment pattern: no `/`, `.` or `?` (matched on the encoded text). */
const DEFAULT_SEGMENT = /^[^/.?]+$/;
const ENCODED_SLASH = /%2f/i;

export function matchRoute(method: string, rawUrl: string): Route {
  const [rawPath = '/'] = rawUrl.split('?', 1);
  const segments = normalizePath(rawPath).split('/').slice(1);
  const [first, ...rest] = segments;
  if (method === 'POST' && first === 'authn-k8s') return matchAuthnK8s(rest);
  if (method !== 'GET') return NOT_FOUND;
  if (first === 'secrets') return matchSecrets(rest);
  if (segments.length === 1 && first === 'whoami') return { kind: 'whoami' };
  if (segments.length === 1 && first === 'authenticators') return { kind: 'authenticators' };
  return NOT_FOUND;
}

function matchAuthnK8s(rest: string[]): Route {
  const [svc = '', a, b, c] = rest;
  if (!DEFAULT_SEGMENT.test(svc)) return NOT_FOUND;
  if (rest.length === 2 && a === 'inject_client_cert') return { kind: 'inject', serviceId: decodeParam(svc) };
  if (rest.length === 4 && c === 'authenticate' && a && b && !ENCODED_SLASH.test(a)) {
    return { kind: 'authenticate', serviceId: decodeParam(svc), account: decodeParam(a), login: decodeParam(b) };
  }
  return NOT_FOUND;
}

function matchSecrets(rest: string[]): Route {
  if (rest.length === 0) return { kind: 'batch-secrets' };
  const [account = '', resourceKind = '', ...identifier] = rest;
  if (identifier.length === 0 || ENCODED_SLASH.test(account)) return NOT_FOUND;
  // `*identifier` is a glob: literal and encoded slashes decode to the same id
  return { kind: 'secret', account: decodeParam(account), resourceKind: decodeParam(resourceKind), identifier: identifier.map(decodeParam).join('/') };
}

/** Repeated slashes collapse and a trailing slash goes, as in Rails' Journey router. */
export function normalizePath(path: string): string {
  const collapsed = path.replace(/\/{2,}/g, '/');
  return collapsed.length > 1 ? collapsed.replace(/\/$/, '') : collapsed;
}

/**
 * Rails' `unescape_uri`: every `%XX` becomes its byte, anything else (a stray `%`, a `+`) stays
 * as it is, and the bytes are read as UTF-8.
 */
export function decodeParam(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
