import type { Clock } from '../async/index.js';
import { LatestValue } from '../async/index.js';
import type { WorkloadIdentity } from '../identity/index.js';
import { F } from '../log/index.js';
import type { Logger } from '../log/index.js';
import { bundleSetOf } from '../spiffe/index.js';
import type { BundleSet, TrustDomain, X509Svid } from '../spiffe/index.js';
import { createCertificateAuthority, generateKeyPair, issueCertificate, toPkcs8Der } from '../x509/index.js';
import type { CertificateAuthority } from '../x509/index.js';

// NOT FOR PRODUCTION. An in-memory CA for `conjur-spiffe-agent dev`: its root key lives only in
// this process, anyone on the machine who can reach the socket gets an SVID for their uid, and
// nothing is audited. It exists so developers can use SPIFFE clients locally without Conjur.

export interface DevelopmentIssuerOptions {
  trustDomain: TrustDomain;
  clock: Clock;
  logger: Logger;
  /** SVID lifetime; short by default so that rotation is visible while developing. */
  svidTtlMs?: number;
  /** Root lifetime; the process rarely lives this long, and leaves never outlive the root. */
  caTtlMs?: number;
}

const DEFAULT_SVID_TTL_MS = 2 * 60 * 1000;
const DEFAULT_CA_TTL_MS = 365 * 24 * 60 * 60 * 1000;
// SPIRE's credential template backdates by 10 s to absorb clock skew between hosts.
const BACKDATE_MS = 10_000;
const SUBJECT_ORGANIZATION = 'conjur-spiffe-agent development CA (NOT FOR PRODUCTION)';

/**
 * NOT FOR PRODUCTION. Issues X509-SVIDs from an in-memory EC P-256 root (an X509Issuer) and
 * serves that root as the bundle of its trust domain (a BundleSource). Every SVID has a new
 * P-256 key and passes go-spiffe's checks: one URI SAN, cA=false, critical keyUsage with
 * digitalSignature and without keyCertSign/cRLSign, EKU serverAuth+clientAuth.
 */
export class DevelopmentIssuer {
  private readonly root: CertificateAuthority;
  private readonly bundles: LatestValue<BundleSet>;
  private readonly svidTtlMs: number;
  private readonly rootNotAfterMs: number;

  constructor(private readonly options: DevelopmentIssuerOptions) {
    const now = options.clock.now();
    const rootNotBeforeMs = wholeSeconds(now - BACKDATE_MS);
    const caTtlMs = wholeSeconds(options.caTtlMs ?? DEFAULT_CA_TTL_MS);
    this.svidTtlMs = options.svidTtlMs ?? DEFAULT_SVID_TTL_MS;
    this.rootNotAfterMs = rootNotBeforeMs + caTtlMs;
    this.root = createCertificateAuthority({
      commonName: SUBJECT_ORGANIZATION,
      validForMs: caTtlMs,
      now: new Date(rootNotBeforeMs),
      uriSans: [options.trustDomain.idString()],
    });
    this.bundles = new LatestValue(bundleSetOf({ trustDomain: options.trustDomain, authorities: [this.root.certDer] }));
    options.logger.warn('Development CA started; NOT FOR PRODUCTION', {
      [F.spiffeId]: options.trustDomain.idString(),
      [F.ttlMs]: this.svidTtlMs,
    });
  }

  /** The root certificate (DER), the trust domain's only authority. */
  get rootCertDer(): Buffer {
    return this.root.certDer;
  }

  async issue(identity: WorkloadIdentity, signal: AbortSignal): Promise<X509Svid> {
    signal.throwIfAborted();
    const now = this.options.clock.now();
    const notBefore = new Date(wholeSeconds(now - BACKDATE_MS));
    const notAfter = new Date(Math.min(wholeSeconds(now + this.svidTtlMs), this.rootNotAfterMs));
    const { privateKey, publicKey } = generateKeyPair('ec-p256');
    const leaf = issueCertificate(
      {
        subject: { organization: SUBJECT_ORGANIZATION },
        subjectPublicKey: publicKey,
        notBefore,
        notAfter,
        isCa: false,
        keyUsage: ['digitalSignature', 'keyEncipherment', 'keyAgreement'],
        extKeyUsage: ['serverAuth', 'clientAuth'],
        uriSans: [identity.spiffeId.toString()],
      },
      this.root,
    );
    return { id: identity.spiffeId, certChain: [leaf], privateKey: toPkcs8Der(privateKey), hint: identity.hint, notBefore, notAfter };
  }

  /** The root never changes while the process lives: one bundle set, then nothing until abort. */
  subscribe(signal: AbortSignal): AsyncIterable<BundleSet> {
    return this.bundles.subscribe(signal);
  }
}

/** X.509 times have whole seconds; the SVID's dates must equal the certificate's. */
function wholeSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}
