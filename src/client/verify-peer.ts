import type { X509Certificate } from 'node:crypto';
import type { BundleSet, SpiffeId } from '../spiffe/index.js';
import { isValidAt, readCertificate, spiffeIdOf } from './certificate-facts.js';
import { PeerVerificationError } from './authorizers.js';
import type { Authorizer } from './authorizers.js';

/**
 * go-spiffe's `x509svid.Verify` plus the authorizer: the peer's chain (leaf first, then whatever
 * intermediates it sent) must lead to an authority in the bundle of the trust domain named by
 * the leaf's SPIFFE ID, and no other bundle. OpenSSL has already checked the chain against the
 * union of all bundles; this second pass is what stops trust domain A's CA from vouching for an
 * ID in trust domain B. Returns the peer's SPIFFE ID.
 */
export function verifyPeer(chain: readonly Buffer[], bundles: BundleSet, authorize: Authorizer, now: Date): SpiffeId {
  const [leafDer, ...rest] = chain;
  if (!leafDer) throw new PeerVerificationError('malformed', 'peer sent no certificate');
  const leaf = readPeerCertificate(leafDer);
  const id = peerIdOf(leaf);
  const bundle = bundles.get(id.trustDomain.name);
  if (!bundle) throw new PeerVerificationError('untrusted', `no bundle for trust domain ${id.trustDomain} of peer ${id}`);
  const roots = bundle.authorities.map(readPeerCertificate);
  verifyChain(leaf, rest.map(readPeerCertificate), roots, now, id);
  authorize(id);
  return id;
}

function peerIdOf(leaf: X509Certificate): SpiffeId {
  if (leaf.ca) throw new PeerVerificationError('malformed', 'peer leaf certificate is a CA');
  try {
    return spiffeIdOf(leaf);
  } catch (error) {
    throw new PeerVerificationError('malformed', `peer certificate is not an X509-SVID: ${(error as Error).message}`, { cause: error });
  }
}

/** Walks issuer links from the leaf; each link must verify, be in date, and be a CA above the leaf. */
function verifyChain(leaf: X509Certificate, intermediates: X509Certificate[], roots: X509Certificate[], now: Date, id: SpiffeId): void {
  const untrusted = (reason: string) =>
    new PeerVerificationError('untrusted', `certificate chain of ${id} does not verify against the bundle of ${id.trustDomain}: ${reason}`);
  const pool = [...intermediates];
  let current = leaf;
  for (let depth = 0; depth <= intermediates.length; depth++) {
    if (!isValidAt(current, now)) throw untrusted(`certificate ${current.subject.replace(/\n/g, ', ')} is not valid now`);
    const root = roots.find((candidate) => issued(candidate, current));
    if (root) {
      if (!isValidAt(root, now)) throw untrusted('the bundle authority is not valid now');
      return;
    }
    const index = pool.findIndex((candidate) => candidate.ca && issued(candidate, current));
    if (index < 0) throw untrusted('no issuer found');
    current = pool.splice(index, 1)[0]!;
  }
  throw untrusted('no issuer found');
}

function issued(issuer: X509Certificate, subject: X509Certificate): boolean {
  return subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
}

function readPeerCertificate(der: Buffer): X509Certificate {
  try {
    return readCertificate(der);
  } catch (error) {
    throw new PeerVerificationError('malformed', 'peer certificate is unreadable', { cause: error });
  }
}
