import { createPrivateKey } from 'node:crypto';
import { SpiffeId, TrustDomain } from '../spiffe/index.js';
import type { BundleSet, X509Bundle, X509Context, X509Svid } from '../spiffe/index.js';
import type { X509SVID__Output } from '../gen/X509SVID.js';
import type { X509SVIDResponse__Output } from '../gen/X509SVIDResponse.js';
import type { X509BundlesResponse__Output } from '../gen/X509BundlesResponse.js';
import type { FetchConjurTokenResponse__Output } from '../gen/conjur/spiffe/v1/FetchConjurTokenResponse.js';
import { readCertificate, spiffeIdOf, validityOf } from './certificate-facts.js';
import { splitDerCertificates } from './der-certificates.js';
import { WorkloadApiError } from './workload-api-error.js';

/**
 * Pure conversions from wire messages to the spiffe/ vocabulary: the edge where bytes become
 * values. Every rule go-spiffe checks on receipt is checked here, so a source never holds an
 * SVID a go-spiffe client would refuse. Failures are WorkloadApiError 'invalid-response'.
 */

/** A Conjur access token for the calling workload. Never log `raw`. */
export interface ConjurToken {
  /** The token JSON exactly as Conjur issued it. */
  readonly raw: Buffer;
  readonly login: string;
  readonly expiresAt: Date;
  readonly spiffeId: SpiffeId;
}

export function fromX509SvidResponse(response: X509SVIDResponse__Output): X509Context {
  if (response.svids.length === 0) throw invalidResponse('X509SVIDResponse has no SVIDs');
  const parsed = response.svids.map(fromX509Svid);
  const bundles = new Map<string, X509Bundle>();
  // The bundle beside each SVID is its own trust domain's; the first one for a domain wins.
  response.svids.forEach((svid, i) => {
    const trustDomain = parsed[i]!.id.trustDomain;
    if (!bundles.has(trustDomain.name)) bundles.set(trustDomain.name, toBundle(trustDomain, svid.bundle));
  });
  for (const [key, der] of Object.entries(response.federated_bundles)) {
    const trustDomain = parseTrustDomainKey(key);
    if (!bundles.has(trustDomain.name)) bundles.set(trustDomain.name, toBundle(trustDomain, der));
  }
  return { svids: dedupeHints(parsed), bundles };
}

export function fromX509BundlesResponse(response: X509BundlesResponse__Output): BundleSet {
  const bundles = new Map<string, X509Bundle>();
  for (const [key, der] of Object.entries(response.bundles)) {
    const trustDomain = parseTrustDomainKey(key);
    bundles.set(trustDomain.name, toBundle(trustDomain, der));
  }
  if (bundles.size === 0) throw invalidResponse('X509BundlesResponse has no bundles');
  return bundles;
}

export function fromConjurTokenResponse(response: FetchConjurTokenResponse__Output): ConjurToken {
  if (response.token.length === 0) throw invalidResponse('FetchConjurTokenResponse has an empty token');
  const expiresAtSeconds = Number(response.expires_at);
  if (!Number.isFinite(expiresAtSeconds) || expiresAtSeconds <= 0) {
    throw invalidResponse('FetchConjurTokenResponse has no expiry');
  }
  return {
    raw: Buffer.from(response.token),
    login: response.login,
    expiresAt: new Date(expiresAtSeconds * 1000),
    spiffeId: parseId(response.spiffe_id),
  };
}

function fromX509Svid(svid: X509SVID__Output): X509Svid {
  const id = parseId(svid.spiffe_id);
  const certChain = split(svid.x509_svid, `x509_svid of ${id}`);
  try {
    const leaf = readCertificate(certChain[0]!);
    if (!spiffeIdOf(leaf).equals(id)) throw new Error('leaf URI SAN does not match spiffe_id');
    if (leaf.ca) throw new Error('leaf certificate is a CA');
    certChain.slice(1).forEach((der) => {
      if (!readCertificate(der).ca) throw new Error('intermediate certificate is not a CA');
    });
    const privateKey = createPrivateKey({ key: svid.x509_svid_key, format: 'der', type: 'pkcs8' });
    if (!leaf.checkPrivateKey(privateKey)) throw new Error('private key does not match the leaf certificate');
    return { id, certChain, privateKey: Buffer.from(svid.x509_svid_key), hint: svid.hint, ...validityOf(leaf) };
  } catch (error) {
    throw invalidResponse(`SVID ${id} is invalid: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}

/** go-spiffe keeps the first SVID of each non-empty hint and drops later ones. */
function dedupeHints(svids: X509Svid[]): X509Svid[] {
  const seen = new Set<string>();
  return svids.filter((svid) => {
    if (svid.hint === '') return true;
    if (seen.has(svid.hint)) return false;
    seen.add(svid.hint);
    return true;
  });
}

function toBundle(trustDomain: TrustDomain, der: Buffer): X509Bundle {
  const authorities = split(der, `bundle of ${trustDomain.name}`);
  if (authorities.length === 0) throw invalidResponse(`bundle of ${trustDomain.name} is empty`);
  authorities.forEach((cert) => {
    try {
      readCertificate(cert);
    } catch (error) {
      throw invalidResponse(`bundle of ${trustDomain.name} holds an unreadable certificate`, error);
    }
  });
  return { trustDomain, authorities };
}

function split(der: Buffer, what: string): Buffer[] {
  try {
    const certificates = splitDerCertificates(der);
    if (certificates.length === 0) throw new Error('no certificates');
    return certificates;
  } catch (error) {
    throw invalidResponse(`${what} is not concatenated DER: ${error instanceof Error ? error.message : ''}`, error);
  }
}

function parseId(text: string): SpiffeId {
  try {
    return SpiffeId.parse(text);
  } catch (error) {
    throw invalidResponse(`"${text}" is not a valid SPIFFE ID: ${error instanceof Error ? error.message : ''}`, error);
  }
}

/** Map keys are `spiffe://<td>` (SPIRE) or a bare `<td>`; go-spiffe accepts both. */
function parseTrustDomainKey(key: string): TrustDomain {
  try {
    return TrustDomain.parse(key);
  } catch (error) {
    throw invalidResponse(`bundle key "${key}" is not a trust domain`, error);
  }
}

function invalidResponse(message: string, cause?: unknown): WorkloadApiError {
  return new WorkloadApiError('invalid-response', message, { cause });
}
