/**
 * A Conjur access token exactly as Conjur returned it (the JSON bytes). Never log `raw`.
 * `expiresAt` is the token's `exp` claim in milliseconds since the epoch.
 */
export interface AccessToken {
  readonly raw: Buffer;
  readonly login: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}
