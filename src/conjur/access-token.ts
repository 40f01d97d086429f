import { ConjurError } from './conjur-error.js';

/**
 * A Conjur access token exactly as Conjur returned it (the JSON bytes), the same shape as the
 * SVID cache's AccessToken. Never log `raw`. Times are milliseconds since the epoch on this
 * node's clock: `issuedAt` is when the token was received, `expiresAt` that plus the token's own
 * lifetime (`exp − iat`), so a skewed Conjur clock cannot make a token look expired or eternal.
 * `conjurIssuedAt` is the `iat` claim itself (Conjur's clock), for measuring the skew.
 */
export interface ConjurAccessToken {
  readonly raw: Buffer;
  readonly login: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly conjurIssuedAt: number;
}

// Conjur's default when a token carries no `exp` (protocol §11.1).
const DEFAULT_TTL_S = 480;

/**
 * Parses an authenticate response body received at `receivedAt` (this node's clock): the token
 * JSON `{protected, payload, signature}`, or the strict-base64 variant Conjur sends for
 * `Accept-Encoding: base64` (§11.2). The token must be for `login` (claim `sub`): a token for
 * anyone else is never handed out.
 */
export function parseAccessToken(body: Buffer, login: string, receivedAt: number): ConjurAccessToken {
  const raw = looksLikeJson(body) ? body : Buffer.from(body.toString('latin1').trim(), 'base64');
  const claims = decodeClaims(raw);
  if (claims.sub !== login) throw new ConjurError('confirm-failed', 'conjur token subject does not match the login');
  const lifetimeS = (claims.exp ?? claims.iat + DEFAULT_TTL_S) - claims.iat;
  if (lifetimeS <= 0) throw malformed('conjur token expires before it is issued');
  return { raw, login, issuedAt: receivedAt, expiresAt: receivedAt + lifetimeS * 1000, conjurIssuedAt: claims.iat * 1000 };
}

/** The `Authorization` header value for Conjur's API: standard base64 of the token JSON (§11.3). */
export function toAuthorizationHeader(token: ConjurAccessToken): string {
  return `Token token="${token.raw.toString('base64')}"`;
}

interface Claims {
  readonly iat: number;
  readonly exp?: number;
  readonly sub?: string;
}

function decodeClaims(raw: Buffer): Claims {
  const envelope = parseJson(raw.toString('utf8'));
  const payload = isRecord(envelope) ? envelope['payload'] : undefined;
  if (typeof payload !== 'string' || !isRecord(envelope) || typeof envelope['signature'] !== 'string') {
    throw malformed('conjur token is not a {protected, payload, signature} object');
  }
  // The parts are URL-safe base64 with padding; Node's 'base64url' decoder accepts the padding.
  const claims = parseJson(Buffer.from(payload, 'base64url').toString('utf8'));
  if (!isRecord(claims) || typeof claims['iat'] !== 'number') throw malformed('conjur token payload has no iat claim');
  const exp = typeof claims['exp'] === 'number' ? claims['exp'] : undefined;
  if (claims['exp'] !== undefined && exp === undefined) throw malformed('conjur token exp claim is not a number');
  const sub = typeof claims['sub'] === 'string' ? claims['sub'] : undefined;
  return { iat: claims['iat'], exp, sub };
}

function looksLikeJson(body: Buffer): boolean {
  return body.toString('latin1').trimStart().startsWith('{');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not chained as a cause: JSON.parse's message quotes the input, and the input is a token.
    throw malformed('conjur token is not valid JSON');
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// A 200 with a body we cannot read is a broken server, not a refusal: retried on the backoff.
function malformed(message: string): ConjurError {
  return new ConjurError('unavailable', message);
}
