import type { TokenJson, TokenSigner } from './token.js';
import { ipInCidrs } from './cidr.js';

// conjur-rack's token check (protocol §11.3), in its order: the header must match
// /^Token token="(.*)"/m (any other scheme counts as no header at all); the value is lenient
// standard base64 of the token JSON; the verifying key is looked up by the header's kid; then
// unknown claims, then the `cidr` claim. Messages and statuses are the middleware's own.

export type Authorization =
  | { readonly kind: 'none' }
  | { readonly kind: 'ok'; readonly account: string; readonly login: string; readonly issuedAt: number }
  | { readonly kind: 'error'; readonly status: 401 | 403; readonly message: string };

const TOKEN_HEADER = /^Token token="([\s\S]*)"/m;
const KNOWN_CLAIMS = new Set(['iat', 'exp', 'cidr', 'sub', 'iss', 'aud', 'jti']);
const INVALID: Authorization = { kind: 'error', status: 401, message: 'Unauthorized: Invalid token' };
const MALFORMED: Authorization = { kind: 'error', status: 401, message: 'Malformed authorization token' };

export function authorize(header: string | undefined, signers: readonly TokenSigner[], nowMs: number, ip: string): Authorization {
  const match = TOKEN_HEADER.exec(header ?? '');
  if (!match) return { kind: 'none' };
  const token = parseJsonObject(decode64Lenient(match[1]!.trim()).toString('utf8'));
  if (!token) return MALFORMED;
  if (!isJwt(token)) return INVALID;
  const header64 = parseJsonObject(Buffer.from(token.protected, 'base64url').toString('utf8'));
  const claims = parseJsonObject(Buffer.from(token.payload, 'base64url').toString('utf8'));
  if (!header64 || !claims) return MALFORMED;
  const signer = signers.find((s) => s.kid === header64['kid']);
  if (!signer || !signer.verify(token, header64, claims, nowMs)) return INVALID;
  if (Object.keys(claims).some((claim) => !KNOWN_CLAIMS.has(claim))) {
    return { kind: 'error', status: 401, message: 'token contains unrecognized claims' };
  }
  const cidr = claims['cidr'];
  if (cidr !== undefined && !ipInCidrs(ip, Array.isArray(cidr) ? cidr.map(String) : [String(cidr)])) {
    return { kind: 'error', status: 403, message: 'IP address rejected' };
  }
  return { kind: 'ok', account: signer.account, login: String(claims['sub'] ?? ''), issuedAt: Number(claims['iat']) };
}

/**
 * Ruby's `Base64.decode64` (`unpack("m")`): characters outside the standard alphabet are
 * skipped and decoding stops at the first `=`; URL-safe `-`/`_` are therefore dropped, which
 * corrupts a URL-safe encoded token as it does in Conjur.
 */
export function decode64Lenient(text: string): Buffer {
  let clean = '';
  for (const ch of text) {
    if (ch === '=') break;
    if (/[A-Za-z0-9+/]/.test(ch)) clean += ch;
  }
  return Buffer.from(clean.length % 4 === 1 ? clean.slice(0, -1) : clean, 'base64');
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isJwt(value: Record<string, unknown>): value is Record<string, unknown> & TokenJson {
  return typeof value['protected'] === 'string' && typeof value['payload'] === 'string' && typeof value['signature'] === 'string';
}
