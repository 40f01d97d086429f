import { createPublicKey, createPrivateKey, X509Certificate } from 'node:crypto';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { FakeSvidSubscriptions } from '../../fakes/fake-svid-subscriptions.js';
import { firstMessage, StreamReader, streamEnd, unaryError } from '../../support/workload-client.js';
import { startTestEndpoint } from '../../support/workload-endpoint-fixture.js';
import type { TestEndpoint } from '../../support/workload-endpoint-fixture.js';
import { createTestCa } from '../../support/test-ca.js';

// The SPIFFE Workload API conformance checklist (shared/docs/spiffe-workload-api.md), checked over
// a real Unix socket with a grpc-js client that loads the proto itself.

/** Splits concatenated DER certificates (each a SEQUENCE with a definite length). */
function splitDer(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const lengthByte = bytes[offset + 1]!;
    let header = 2;
    let length = lengthByte;
    if (lengthByte & 0x80) {
      const count = lengthByte & 0x7f;
      length = bytes.subarray(offset + 2, offset + 2 + count).reduce((n, b) => n * 256 + b, 0);
      header += count;
    }
    out.push(bytes.subarray(offset, offset + header + length));
    offset += header + length;
  }
  return out;
}

const myUid = process.getuid!();

describe('Workload API conformance', () => {
  let svids: FakeSvidSubscriptions;
  let t: TestEndpoint;

  beforeAll(async () => {
    svids = await FakeSvidSubscriptions.create('example.org');
  });
  beforeEach(async () => {
    t = await startTestEndpoint(svids);
  });
  afterEach(async () => {
    await t.close();
    expect(svids.active).toBe(0);
  });

  describe('security header', () => {
    const cases = [
      { name: 'missing', header: false as const },
      { name: 'set to "false"', header: ['false'] },
      { name: 'sent twice', header: ['true', 'true'] },
    ];
    for (const c of cases) {
      it(`rejects FetchX509SVID with InvalidArgument when the header is ${c.name}`, async () => {
        const end = await streamEnd(t.client({ securityHeader: c.header }).fetchX509Svid());
        expect(end).toEqual({ code: status.INVALID_ARGUMENT, details: 'security header missing from request' });
        expect(t.attestor.attested).toHaveLength(0);
      });
    }

    it('checks the header on every Workload API method and on the token service', async () => {
      const client = t.client({ securityHeader: false });
      const ends = await Promise.all([
        streamEnd(client.fetchX509Bundles()),
        streamEnd(client.fetchJwtBundles()),
        streamEnd(client.fetchWitSvid()),
        streamEnd(client.fetchWitBundles()),
        streamEnd(client.fetchConjurToken()),
        unaryError(client.fetchJwtSvid(['aud'])),
        unaryError(client.validateJwtSvid('aud', 'token')),
      ]);
      for (const end of ends) expect(end.code).toBe(status.INVALID_ARGUMENT);
    });

    it('leaves health and reflection open', async () => {
      const client = t.client({ securityHeader: false });
      expect(await client.healthCheck()).toBe('SERVING');
      expect(await client.listServices()).toEqual(
        expect.arrayContaining(['SpiffeWorkloadAPI', 'conjur.spiffe.v1.ConjurTokenService', 'grpc.health.v1.Health']),
      );
    });

    it('describes SpiffeWorkloadAPI by its standard name through reflection', async () => {
      const client = t.client({ securityHeader: false });
      expect(await client.describeSymbol('SpiffeWorkloadAPI')).toBeGreaterThan(0);
      expect(await client.describeSymbol('X509SVIDResponse')).toBeGreaterThan(0);
    });
  });

  describe('FetchX509SVID', () => {
    it('sends the first message at once, with an SVID that passes the go-spiffe checks', async () => {
      const started = Date.now();
      const response = await firstMessage(t.client().fetchX509Svid());
      expect(Date.now() - started).toBeLessThan(2000);
      expect(response.svids).toHaveLength(1);
      const svid = response.svids[0]!;
      expect(svid.spiffe_id).toBe(`spiffe://example.org/uid/${myUid}`);
      expect(svid.hint).toBe(`uid-${myUid}`);

      const chain = splitDer(svid.x509_svid).map((der) => new X509Certificate(der));
      expect(chain.length).toBeGreaterThanOrEqual(1);
      const leaf = chain[0]!;
      expect(leaf.subjectAltName).toBe(`URI:${svid.spiffe_id}`);
      expect(leaf.ca).toBe(false);

      const key = createPrivateKey({ key: svid.x509_svid_key, format: 'der', type: 'pkcs8' });
      const publicDer = (k: ReturnType<typeof createPublicKey>) => k.export({ type: 'spki', format: 'der' });
      expect(publicDer(createPublicKey(key)).equals(publicDer(leaf.publicKey))).toBe(true);

      const roots = splitDer(svid.bundle).map((der) => new X509Certificate(der));
      expect(roots.length).toBeGreaterThanOrEqual(1);
      expect(roots.some((root) => leaf.checkIssued(root) && leaf.verify(root.publicKey))).toBe(true);
      expect(response.federated_bundles).toEqual({});
    });

    it('puts federated trust domains in federated_bundles keyed spiffe://<td>', async () => {
      const other = await createTestCa({ commonName: 'partner CA' });
      await svids.federate('partner.example', [other.certDer]);
      try {
        const response = await firstMessage(t.client().fetchX509Svid());
        expect(Object.keys(response.federated_bundles)).toEqual(['spiffe://partner.example']);
        expect(response.federated_bundles['spiffe://partner.example']!.equals(other.certDer)).toBe(true);
      } finally {
        await svids.setBundles(new Map([['example.org', svids.ownBundle()]]));
      }
    });

    it('sends a new full message on open streams when the SVID rotates', async () => {
      const reader = new StreamReader(t.client().fetchX509Svid());
      const first = await reader.next();
      const identity = t.identities.resolve({ kind: 'unix', process: { pid: process.pid, uid: myUid, gid: process.getgid!() } })!;
      await svids.rotate(identity);
      const second = await reader.next();
      expect(second.svids).toHaveLength(1);
      expect(second.svids[0]!.x509_svid.equals(first.svids[0]!.x509_svid)).toBe(false);
      expect(second.svids[0]!.bundle.length).toBeGreaterThan(0);
      reader.cancel();
    });

    it('ends with PermissionDenied for a caller with no identity', async () => {
      t.identities.deny(myUid);
      const subscribedBefore = svids.subscribeCalls;
      const end = await streamEnd(t.client().fetchX509Svid());
      expect(end).toEqual({ code: status.PERMISSION_DENIED, details: 'no identity issued' });
      expect(svids.subscribeCalls).toBe(subscribedBefore);
    });
  });
  describe('FetchX509Bundles', () => {
    it('sends the own trust domain bundle keyed spiffe://<td> as concatenated DER', async () => {
      const response = await firstMessage(t.client().fetchX509Bundles());
      expect(Object.keys(response.bundles)).toEqual(['spiffe://example.org']);
      const roots = splitDer(response.bundles['spiffe://example.org']!).map((der) => new X509Certificate(der));
      expect(roots.map((r) => r.raw.equals(svids.ca.certDer))).toEqual([true]);
    });

    it('sends again only when the bundle set changes', async () => {
      const reader = new StreamReader(t.client().fetchX509Bundles());
      await reader.next();
      await svids.setBundles(new Map([['example.org', svids.ownBundle()]])); // same content
      const other = await createTestCa({ commonName: 'partner CA' });
      await svids.federate('partner.example', [other.certDer]);
      try {
        const second = await reader.next();
        expect(Object.keys(second.bundles).sort()).toEqual(['spiffe://example.org', 'spiffe://partner.example']);
        expect(reader.received).toBe(2);
      } finally {
        reader.cancel();
        await svids.setBundles(new Map([['example.org', svids.ownBundle()]]));
      }
    });

    it('ends with PermissionDenied for a caller with no identity', async () => {
      t.identities.deny(myUid);
      expect(await streamEnd(t.client().fetchX509Bundles())).toEqual({ code: status.PERMISSION_DENIED, details: 'no identity issued' });
    });
  });

  describe('profiles not served', () => {
    it('answers the JWT-SVID RPCs with Unimplemented', async () => {
      const client = t.client();
      const expected = { code: status.UNIMPLEMENTED, details: 'JWT-SVID profile is not implemented yet' };
      expect(await unaryError(client.fetchJwtSvid(['aud']))).toEqual(expected);
      expect(await unaryError(client.validateJwtSvid('aud', 'token'))).toEqual(expected);
      expect(await streamEnd(client.fetchJwtBundles())).toEqual(expected);
    });

    it('answers the WIT-SVID RPCs with Unimplemented', async () => {
      const client = t.client();
      expect((await streamEnd(client.fetchWitSvid())).code).toBe(status.UNIMPLEMENTED);
      expect((await streamEnd(client.fetchWitBundles())).code).toBe(status.UNIMPLEMENTED);
    });
  });

  describe('health', () => {
    it('reports SERVING, and NOT_SERVING once readiness says so', async () => {
      const client = t.client();
      expect(await client.healthCheck('SpiffeWorkloadAPI')).toBe('SERVING');
      t.api.health.setServing(false);
      expect(await client.healthCheck()).toBe('NOT_SERVING');
      expect(await client.healthCheck('SpiffeWorkloadAPI')).toBe('NOT_SERVING');
    });

    // The health service's implementation loads on the first call (workload-health.ts): what
    // readiness said before it must hold, and Check, List and Watch must all be answered.
    it('answers the first call with the readiness set before it, through Check, List and Watch', async () => {
      t.api.health.setServing(false);
      const client = t.client();
      expect(await client.healthList()).toEqual({ '': 'NOT_SERVING', SpiffeWorkloadAPI: 'NOT_SERVING', 'conjur.spiffe.v1.ConjurTokenService': 'NOT_SERVING' });
      const watch = client.watchHealth('conjur.spiffe.v1.ConjurTokenService');
      const seen: string[] = [];
      const twoStatuses = new Promise<void>((resolve) =>
        watch.on('data', (message: { status: string }) => {
          seen.push(message.status);
          if (seen.length === 1) t.api.health.setServing(true);
          if (seen.length === 2) resolve();
        }),
      );
      watch.on('error', () => {});
      await twoStatuses;
      watch.cancel();
      expect(seen).toEqual(['NOT_SERVING', 'SERVING']);
      expect(await client.healthCheck()).toBe('SERVING');
    });
  });
});
