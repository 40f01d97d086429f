import { X509Certificate } from 'node:crypto';
import { generateKeyPair, issueCertificate, toPkcs8Der } from '../../../src/x509/index.js';
import { SpiffeId, TrustDomain } from '../../../src/client/index.js';
import type { X509Bundle, X509Context, X509ContextSource, X509Svid } from '../../../src/client/index.js';
import type { TestCa } from '../../support/test-ca.js';

// Test-only helpers for the TLS tests: SVID-shaped certificates from a test CA and an
// X509ContextSource whose context a test replaces by hand (no Workload API involved).

/** An X509-SVID as the agent issues them: one URI SAN, cA=false, EKU serverAuth + clientAuth. */
export function issueSvid(ca: TestCa, id: string, validForMs = 60 * 60 * 1000): X509Svid {
  const { privateKey, publicKey } = generateKeyPair('ec-p256');
  const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
  const certDer = issueCertificate(
    {
      subject: { commonName: 'svid' },
      subjectPublicKey: publicKey,
      notBefore,
      notAfter: new Date(notBefore.getTime() + validForMs),
      isCa: false,
      keyUsage: ['digitalSignature', 'keyEncipherment'],
      extKeyUsage: ['serverAuth', 'clientAuth'],
      uriSans: [id],
    },
    ca.authority,
  );
  const cert = new X509Certificate(certDer);
  return {
    id: SpiffeId.parse(id),
    certChain: [certDer],
    privateKey: toPkcs8Der(privateKey),
    hint: '',
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
  };
}

export function bundleOf(trustDomain: string, ca: TestCa): X509Bundle {
  return { trustDomain: TrustDomain.parse(trustDomain), authorities: [ca.certDer] };
}

export function contextOf(svid: X509Svid, ...bundles: X509Bundle[]): X509Context {
  return { svids: [svid], bundles: new Map(bundles.map((b) => [b.trustDomain.name, b])) };
}

export class StaticX509Source implements X509ContextSource {
  private readonly listeners = new Set<(context: X509Context) => void>();

  constructor(private context: X509Context) {}

  getX509Context(): X509Context {
    return this.context;
  }

  set(context: X509Context): void {
    this.context = context;
    for (const listener of this.listeners) listener(context);
  }

  on(_event: 'update', listener: (context: X509Context) => void): this {
    this.listeners.add(listener);
    return this;
  }

  off(_event: 'update', listener: (context: X509Context) => void): this {
    this.listeners.delete(listener);
    return this;
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}
