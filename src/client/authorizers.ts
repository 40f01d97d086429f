import { SpiffeId, TrustDomain } from '../spiffe/index.js';

/**
 * Why a TLS peer was refused.
 * - malformed: its certificate is not an X509-SVID (no single URI SAN, a CA leaf, unreadable)
 * - untrusted: its chain does not verify against the bundle of its own trust domain
 * - unauthorized: the chain is fine but the Authorizer does not accept its SPIFFE ID
 */
export type PeerVerificationErrorCode = 'malformed' | 'untrusted' | 'unauthorized';

export class PeerVerificationError extends Error {
  override readonly name = 'PeerVerificationError';
  constructor(
    readonly code: PeerVerificationErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Decides whether a verified peer may talk to us, by its SPIFFE ID (go-spiffe's
 * `tlsconfig.Authorizer`). Runs only after the chain has verified; throws
 * PeerVerificationError('unauthorized') to refuse.
 */
export type Authorizer = (peerId: SpiffeId) => void;

/** Any peer whose SVID verifies against its trust domain's bundle. */
export function authorizeAny(): Authorizer {
  return () => undefined;
}

/** Exactly this SPIFFE ID. */
export function authorizeId(expected: SpiffeId | string): Authorizer {
  const id = typeof expected === 'string' ? SpiffeId.parse(expected) : expected;
  return (peerId) => {
    if (!peerId.equals(id)) throw unauthorized(`unexpected SPIFFE ID ${peerId}: expected ${id}`);
  };
}

/** Any SPIFFE ID in this trust domain. */
export function authorizeMemberOf(trustDomain: TrustDomain | string): Authorizer {
  const td = typeof trustDomain === 'string' ? TrustDomain.parse(trustDomain) : trustDomain;
  return (peerId) => {
    if (!peerId.trustDomain.equals(td)) throw unauthorized(`SPIFFE ID ${peerId} is not a member of trust domain ${td}`);
  };
}

/** Any SPIFFE ID for which `predicate` returns true; `description` goes into the refusal. */
export function authorizeIf(predicate: (peerId: SpiffeId) => boolean, description = 'the authorization predicate'): Authorizer {
  return (peerId) => {
    if (!predicate(peerId)) throw unauthorized(`SPIFFE ID ${peerId} is refused by ${description}`);
  };
}

function unauthorized(message: string): PeerVerificationError {
  return new PeerVerificationError('unauthorized', message);
}
