/**
 * A Conjur access token exactly as Conjur returned it (the JSON bytes). Never log `raw`.
 * `issuedAt` and `expiresAt` are on this node's clock (milliseconds since the epoch): when the
 * token was received, and that plus the token's own lifetime.
 */
export interface AccessToken {
  readonly raw: Buffer;
  readonly login: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}
