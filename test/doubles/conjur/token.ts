import { constants, createHash, createPublicKey, privateEncrypt, publicDecrypt, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { railsJson } from './http.js';

// Conjur access tokens (protocol §11.1): a JSON object of three URL-safe base64 parts *with*
// padding, signed with Slosilo's salted scheme, which is not RS256: the RSA private-key
// "encryption" (PKCS#1 v1.5 type 1 padding, no DigestInfo) of SHA-256(salt ‖ m), followed by
// the 32-byte salt. The header's kid is the SHA-256 of the signing key's SPKI DER and is how
// verifiers find the key, so a token without a known kid is invalid.

export const SLOSILO_ALG = 'conjur.org/slosilo/v2';
export const DEFAULT_TTL_SECONDS = 480;
export const MAX_TTL_SECONDS = 5 * 60 * 60;

export interface TokenJson {
  readonly protected: string;
  readonly payload: string;
  readonly signature: string;
}

/** The account's token-signing key (Slosilo key `authn:<account>`). */
export class TokenSigner {
  readonly kid: string;
  readonly publicKey: KeyObject;

  constructor(
    readonly account: string,
    private readonly privateKey: KeyObject,
  ) {
    this.publicKey = createPublicKey(privateKey);
    this.kid = createHash('sha256').update(this.publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
  }

  /** Signs any header and claims; `issue` is the normal path, this one also serves forged-token tests. */
  sign(header: Record<string, unknown>, claims: Record<string, unknown>): TokenJson {
    const protectedPart = b64u(Buffer.from(railsJson(header)));
    const payload = b64u(Buffer.from(railsJson(claims)));
    const salt = randomBytes(32);
    const digest = createHash('sha256').update(salt).update(`${protectedPart}.${payload}`).digest();
    const signed = privateEncrypt({ key: this.privateKey, padding: constants.RSA_PKCS1_PADDING }, digest);
    return { protected: protectedPart, payload, signature: b64u(Buffer.concat([signed, salt])) };
  }

  /** Claims exactly `iat`, `sub`, `exp`, in that order; the TTL is clamped to [0, 5 h]. */
  issue(login: string, nowMs: number, ttlSeconds: number): TokenJson {
    const iat = Math.floor(nowMs / 1000);
    const ttl = Math.min(Math.max(0, Math.floor(ttlSeconds)), MAX_TTL_SECONDS);
    return this.sign({ alg: SLOSILO_ALG, kid: this.kid }, { iat, sub: login, exp: iat + ttl });
  }

  /** Slosilo's verification: alg, iat, expiry (`exp <= now` is expired; no exp means iat + 480), signature. */
  verify(token: TokenJson, header: Record<string, unknown>, claims: Record<string, unknown>, nowMs: number): boolean {
    if (header['alg'] !== SLOSILO_ALG || header['kid'] !== this.kid || typeof claims['iat'] !== 'number') return false;
    const exp = typeof claims['exp'] === 'number' ? claims['exp'] : claims['iat'] + DEFAULT_TTL_SECONDS;
    if (exp <= nowMs / 1000) return false;
    const signature = Buffer.from(token.signature, 'base64url');
    const size = (this.publicKey.asymmetricKeyDetails?.modulusLength ?? 2048) / 8;
    if (signature.length !== size + 32) return false;
    try {
      const digest = publicDecrypt({ key: this.publicKey, padding: constants.RSA_PKCS1_PADDING }, signature.subarray(0, size));
      const expected = createHash('sha256').update(signature.subarray(size)).update(`${token.protected}.${token.payload}`).digest();
      return digest.equals(expected);
    } catch {
      return false;
    }
  }
}

/** Ruby's `urlsafe_encode64`: URL-safe alphabet, `=` padding kept. */
export function b64u(bytes: Buffer): string {
  return bytes.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** What `Authorization: Token token="…"` carries: standard base64 of the token JSON. */
export function toAuthorizationHeader(token: TokenJson): string {
  return `Token token="${Buffer.from(JSON.stringify(token)).toString('base64')}"`;
}
