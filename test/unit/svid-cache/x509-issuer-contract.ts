import { X509Certificate, createPrivateKey } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { WorkloadIdentity } from '../../../src/identity/index.js';
import type { X509Issuer } from '../../../src/svid-cache/index.js';
import { certificateFacts } from '../../../src/x509/index.js';

export interface X509IssuerUnderTest {
  issuer: X509Issuer;
  identity: WorkloadIdentity;
  /** The issuer's notion of now (epoch ms). */
  now(): number;
  /** Roots the issued chain must verify against, when the issuer has them. */
  trustAnchors?: Buffer[];
  close?(): Promise<void>;
}

/**
 * What every X509Issuer must do, run against each implementation (fakes stay honest this way):
 * the SVID names the identity, its key is the leaf's, and it is valid now.
 */
export function x509IssuerContract(name: string, create: () => Promise<X509IssuerUnderTest>): void {
  describe(`${name} (X509Issuer contract)`, () => {
    const issueOne = async () => {
      const t = await create();
      try {
        return { t, svid: await t.issuer.issue(t.identity, new AbortController().signal) };
      } finally {
        await t.close?.();
      }
    };

    it('issues an SVID for the identity with one URI SAN naming it', async () => {
      const { t, svid } = await issueOne();
      expect(svid.id.equals(t.identity.spiffeId)).toBe(true);
      expect(svid.hint).toBe(t.identity.hint);
      expect(svid.certChain.length).toBeGreaterThan(0);
      expect(certificateFacts(svid.certChain[0]!).uriSans).toEqual([t.identity.spiffeId.toString()]);
    });

    it('returns an unencrypted PKCS#8 key that matches the leaf', async () => {
      const { svid } = await issueOne();
      const key = createPrivateKey({ key: svid.privateKey, format: 'der', type: 'pkcs8' });
      expect(new X509Certificate(svid.certChain[0]!).checkPrivateKey(key)).toBe(true);
    });

    it('is valid now, with the dates the leaf carries', async () => {
      const { t, svid } = await issueOne();
      const facts = certificateFacts(svid.certChain[0]!);
      expect(svid.notBefore.getTime()).toBeLessThanOrEqual(t.now());
      expect(svid.notAfter.getTime()).toBeGreaterThan(t.now());
      expect(svid.notBefore).toEqual(facts.notBefore);
      expect(svid.notAfter).toEqual(facts.notAfter);
      expect(facts.isCa).toBe(false);
    });

    it('verifies against its trust anchors when it has them', async () => {
      const { t, svid } = await issueOne();
      const chain = svid.certChain.map((der) => new X509Certificate(der));
      const anchors = (t.trustAnchors ?? []).map((der) => new X509Certificate(der));
      for (const [i, cert] of chain.slice(0, -1).entries()) expect(cert.verify(chain[i + 1]!.publicKey)).toBe(true);
      const top = chain.at(-1)!;
      expect(anchors.length === 0 || anchors.some((root) => top.checkIssued(root) && top.verify(root.publicKey))).toBe(true);
    });

    it('makes a new key for every issuance', async () => {
      const t = await create();
      try {
        const a = await t.issuer.issue(t.identity, new AbortController().signal);
        const b = await t.issuer.issue(t.identity, new AbortController().signal);
        expect(a.privateKey.equals(b.privateKey)).toBe(false);
      } finally {
        await t.close?.();
      }
    });

    it('rejects when the signal is already aborted', async () => {
      const t = await create();
      try {
        const controller = new AbortController();
        controller.abort(new Error('caller went away'));
        await expect(t.issuer.issue(t.identity, controller.signal)).rejects.toThrow();
      } finally {
        await t.close?.();
      }
    });
  });
}
