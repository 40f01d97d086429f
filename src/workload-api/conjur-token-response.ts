import type { AccessToken } from '../svid-cache/index.js';
import type { WorkloadIdentity } from '../identity/index.js';
import type { FetchConjurTokenResponse } from '../gen/conjur/spiffe/v1/FetchConjurTokenResponse.js';

/** FetchConjurToken's message: the token bytes as Conjur sent them, expiry in whole seconds. */
export function toConjurTokenResponse(token: AccessToken, identity: WorkloadIdentity): FetchConjurTokenResponse {
  return {
    token: token.raw,
    login: token.login,
    expires_at: String(Math.floor(token.expiresAt / 1000)),
    spiffe_id: identity.spiffeId.toString(),
  };
}
