import { spawnSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { createCsr, csrFacts, generateKeyPair, toPem, toSpkiDer } from '../../../src/x509/index.js';
import type { KeyType } from '../../../src/x509/index.js';

const SPIFFE_ID = 'spiffe://cluster.local/namespace/apps/podname/web-0';

function opensslText(csrDer: Buffer): string {
  // `openssl req -verify` exits 0 even for a bad signature: the message is what counts.
  const run = spawnSync('openssl', ['req', '-in', '-', '-noout', '-text', '-verify'], { input: toPem(csrDer, 'CERTIFICATE REQUEST') });
  return `${run.stdout.toString()}${run.stderr.toString()}`;
}

describe('createCsr', () => {
  for (const keyType of ['ec-p256', 'rsa-2048'] as KeyType[]) {
    it(`writes a ${keyType} request that OpenSSL reads with the CN and one URI SAN`, async () => {
      const keys = generateKeyPair(keyType);
      const der = await createCsr({ ...keys, commonName: 'apps.service_account.web', uriSan: SPIFFE_ID });
      const text = opensslText(der);
      expect(text).toMatch(/Subject: CN ?= ?apps\.service_account\.web\n/);
      expect(text).toMatch(/X509v3 Subject Alternative Name:\s*\n\s*URI:spiffe:\/\/cluster\.local\/namespace\/apps\/podname\/web-0\s*\n/);
      expect(text).not.toContain('critical');
      expect(text).toMatch(/verify OK/);
    });
  }

  it('reads back its CN, its single URI SAN and its key, with a valid signature', async () => {
    const keys = generateKeyPair('ec-p256');
    const facts = csrFacts(await createCsr({ ...keys, commonName: 'web', uriSan: SPIFFE_ID }));
    expect(facts).toEqual({
      commonName: 'web',
      uriSans: [SPIFFE_ID],
      dnsNames: [],
      publicKeySpkiDer: toSpkiDer(keys.publicKey),
      signatureValid: true,
    });
  });

  it('reports a tampered request as not validly signed', async () => {
    const keys = generateKeyPair('ec-p256');
    const der = await createCsr({ ...keys, commonName: 'web', uriSan: SPIFFE_ID });
    const tampered = Buffer.from(der);
    const at = tampered.indexOf(Buffer.from('web'));
    tampered.write('wab', at);
    expect(csrFacts(tampered)).toMatchObject({ commonName: 'wab', signatureValid: false });
  });

  it('rejects bytes that are not a request', () => {
    expect(() => csrFacts(Buffer.from('not a csr'))).toThrow('certificate request is not DER PKCS#10');
  });
});
