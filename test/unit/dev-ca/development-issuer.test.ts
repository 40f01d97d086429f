import { X509Certificate, createPrivateKey } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { DevelopmentIssuer } from '../../../src/dev-ca/index.js';
import type { WorkloadIdentity } from '../../../src/identity/index.js';
import type { LogFields } from '../../../src/log/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { SpiffeId, TrustDomain } from '../../../src/spiffe/index.js';
import { SvidCache } from '../../../src/svid-cache/index.js';
import { certificateFacts } from '../../../src/x509/index.js';
import { FakeClock, settle } from '../../fakes/fake-clock.js';
import { StreamReader } from '../svid-cache/stream-reader.js';
import { x509IssuerContract } from '../svid-cache/x509-issuer-contract.js';

const TD = TrustDomain.parse('example.org');
const identity: WorkloadIdentity = {
  key: 'uid:1000',
  spiffeId: SpiffeId.parse('spiffe://example.org/uid/1000'),
  hint: 'uid/1000',
  facts: { kind: 'unix', process: { pid: 42, uid: 1000, gid: 1000 } },
};

function create(clock = new FakeClock(Date.now())) {
  return { clock, issuer: new DevelopmentIssuer({ trustDomain: TD, clock, logger: silentLogger }) };
}

x509IssuerContract('DevelopmentIssuer', async () => {
  const { clock, issuer } = create();
  return { issuer, identity, now: () => clock.now(), trustAnchors: [issuer.rootCertDer] };
});

describe('DevelopmentIssuer', () => {
  // Each check of go-spiffe's x509svid.ParseRaw / validateCertificates / validatePrivateKey and
  // bundle verification (spiffe-workload-api.md §1.4), done with node:crypto.
  it('issues SVIDs that pass every check go-spiffe makes', async () => {
    const { issuer } = create();
    const svid = await issuer.issue(identity, new AbortController().signal);
    expect(svid.certChain.length).toBeGreaterThanOrEqual(1);
    const leaf = new X509Certificate(svid.certChain[0]!);
    const facts = certificateFacts(svid.certChain[0]!);

    expect(facts.uriSans).toHaveLength(1);
    expect(leaf.subjectAltName).toBe('URI:spiffe://example.org/uid/1000');
    expect(SpiffeId.parse(facts.uriSans[0]!).path).toBe('/uid/1000');
    expect(leaf.ca).toBe(false);
    expect(facts.keyUsageCritical).toBe(true);
    expect(facts.keyUsage).toContain('digitalSignature');
    expect(facts.keyUsage).not.toContain('keyCertSign');
    expect(facts.keyUsage).not.toContain('cRLSign');
    expect(facts.extKeyUsage).toEqual(['serverAuth', 'clientAuth']);

    const key = createPrivateKey({ key: svid.privateKey, format: 'der', type: 'pkcs8' });
    expect(leaf.checkPrivateKey(key)).toBe(true);

    const [bundle] = await firstBundleSet(issuer);
    expect(bundle).toBeDefined();
    const root = new X509Certificate(bundle!);
    expect(root.ca).toBe(true);
    expect(certificateFacts(bundle!).keyUsage).toContain('keyCertSign');
    expect(leaf.checkIssued(root)).toBe(true);
    expect(leaf.verify(root.publicKey)).toBe(true);
  });

  it('backdates notBefore by 10 s and lives two minutes by default', async () => {
    const { clock, issuer } = create(new FakeClock(Date.parse('2030-05-05T10:00:00.500Z')));
    const svid = await issuer.issue(identity, new AbortController().signal);
    expect(svid.notBefore.toISOString()).toBe('2030-05-05T09:59:50.000Z');
    expect(svid.notAfter.toISOString()).toBe('2030-05-05T10:02:00.000Z');
    expect(svid.notAfter.getTime() - clock.now()).toBeLessThanOrEqual(120_000);
  });

  it('uses a fresh key for each SVID and the same root for all', async () => {
    const { issuer } = create();
    const a = await issuer.issue(identity, new AbortController().signal);
    const b = await issuer.issue(identity, new AbortController().signal);
    expect(a.privateKey.equals(b.privateKey)).toBe(false);
    expect(new X509Certificate(a.certChain[0]!).issuer).toBe(new X509Certificate(b.certChain[0]!).issuer);
  });

  it('serves its root as the bundle of its trust domain, keyed by name', async () => {
    const { issuer } = create();
    const controller = new AbortController();
    for await (const bundles of issuer.subscribe(controller.signal)) {
      expect([...bundles.keys()]).toEqual(['example.org']);
      expect(bundles.get('example.org')?.authorities).toEqual([issuer.rootCertDer]);
      expect(certificateFacts(issuer.rootCertDer).uriSans).toEqual(['spiffe://example.org']);
      controller.abort();
    }
  });

  it('rotates visibly under the SVID cache: a new SVID about every minute', async () => {
    const { clock, issuer } = create();
    const cache = new SvidCache({ issuer, bundles: issuer, clock, logger: silentLogger, random: () => 0.5 });
    const reader = new StreamReader((s) => cache.subscribe(identity, s));
    await settle();
    await clock.advance(65_000);
    expect(reader.values).toHaveLength(2);
    expect(reader.last?.bundles.get('example.org')?.authorities).toEqual([issuer.rootCertDer]);
    cache.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it('says at start that it is not for production', () => {
    const lines: { message: string; fields?: LogFields }[] = [];
    const logger = { ...silentLogger, warn: (message: string, fields?: LogFields) => lines.push({ message, fields }) };
    new DevelopmentIssuer({ trustDomain: TD, clock: new FakeClock(), logger });
    expect(lines).toEqual([{ message: 'Development CA started; NOT FOR PRODUCTION', fields: { spiffeId: 'spiffe://example.org', ttlMs: 120_000 } }]);
  });
});

async function firstBundleSet(issuer: DevelopmentIssuer): Promise<Buffer[]> {
  const controller = new AbortController();
  for await (const bundles of issuer.subscribe(controller.signal)) {
    controller.abort();
    return [...(bundles.get('example.org')?.authorities ?? [])];
  }
  return [];
}
