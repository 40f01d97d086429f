import { ConjurError } from './conjur-error.js';

/** A login split the way the reference client splits it (protocol §3.2). */
export interface SplitHostId {
  /** The `Host-Id-Prefix` header value, dot form (e.g. `host.conjur.authn-k8s.dev.apps`). */
  readonly prefix: string;
  /** The CSR common name (e.g. `ns1.service_account.app`). */
  readonly suffix: string;
}

/**
 * Splits `host/...` into prefix and suffix: with 4 or more `/`-parts the suffix is the last 3
 * (the legacy `<ns>/<type>/<name>` host-id style), else the last 1; both are joined with `.`.
 * Stricter than the reference client on purpose: an empty segment or a segment with a dot can
 * never authenticate (Conjur maps every `.` of the CN back to `/`), so it is refused here with a
 * clear message instead of a bare 401 from Conjur later.
 */
export function splitHostId(login: string): SplitHostId {
  const parts = login.split('/');
  if (parts[0] !== 'host' || parts.length < 2) throw new ConjurError('denied', 'conjur login must start with host/');
  if (parts.some((p) => p === '')) throw new ConjurError('denied', 'conjur login has an empty segment');
  if (parts.some((p) => p.includes('.'))) throw new ConjurError('denied', 'conjur login segments cannot contain a dot');
  const suffixLength = parts.length >= 4 ? 3 : 1;
  return {
    prefix: parts.slice(0, parts.length - suffixLength).join('.'),
    suffix: parts.slice(parts.length - suffixLength).join('.'),
  };
}

/** The CN Conjur puts in the certificate for this login: every `/` becomes `.` (§3.1). */
export function commonNameOf(login: string): string {
  return login.split('/').join('.');
}

/**
 * The login as one URL path segment, like Go's url.QueryEscape (what the reference client
 * sends): only `A-Za-z0-9-_.~` stay literal, space becomes `+`, everything else is `%XX`.
 * Rails' `[^/?]+` route needs the `/` of `host/...` encoded as `%2F`.
 */
export function encodeLoginSegment(login: string): string {
  return encodeURIComponent(login)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}
