import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { certificateFacts } from '../../../src/x509/index.js';
import { createTestCa } from '../../support/test-ca.js';

describe('createTestCa', () => {
  it('issues a server certificate for localhost and 127.0.0.1 that a TLS client accepts with mutual TLS', async () => {
    const ca = await createTestCa();
    const server = await ca.issueServerCert();
    const client = await ca.issueClientCert({ commonName: 'workload', uriSans: ['spiffe://example.org/w'] });
    const tlsServer = createServer(
      { cert: server.certPem, key: server.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true },
      (socket) => socket.end(`hello ${socket.getPeerX509Certificate()?.subject ?? ''}`),
    );
    tlsServer.listen(0, '127.0.0.1');
    await once(tlsServer, 'listening');
    try {
      const { port } = tlsServer.address() as AddressInfo;
      for (const host of ['127.0.0.1', 'localhost']) {
        const socket = connect({ host, port, ca: ca.certPem, cert: client.certPem, key: client.keyPem, servername: host === 'localhost' ? host : undefined });
        const chunks: Buffer[] = [];
        socket.on('data', (c: Buffer) => chunks.push(c));
        await once(socket, 'end');
        socket.destroy();
        expect(Buffer.concat(chunks).toString()).toBe('hello CN=workload');
      }
    } finally {
      tlsServer.close();
    }
  });

  it('makes client certificates with the CN and URI SANs asked for, signed by the CA', async () => {
    const ca = await createTestCa({ keyType: 'rsa-2048' });
    const client = await ca.issueClientCert({ commonName: 'host.apps.web', uriSans: ['spiffe://cluster.local/ns/a'] });
    expect(certificateFacts(client.certDer)).toMatchObject({ subjectCommonName: 'host.apps.web', uriSans: ['spiffe://cluster.local/ns/a'], extKeyUsage: ['clientAuth'] });
    expect(new X509Certificate(client.certDer).verify(new X509Certificate(ca.certDer).publicKey)).toBe(true);
    expect(client.keyDer.equals(Buffer.from(client.keyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64'))).toBe(true);
  });

  it('makes expired and not-yet-valid certificates on request', async () => {
    const ca = await createTestCa();
    const expired = certificateFacts((await ca.issueServerCert({ validForMs: -1000 })).certDer);
    expect(expired.notAfter.getTime()).toBeLessThan(Date.now());
    expect(expired.notBefore.getTime()).toBeLessThan(expired.notAfter.getTime());
    const future = new Date(Date.now() + 3_600_000);
    const early = certificateFacts((await ca.issueClientCert({ commonName: 'x', notBefore: future, validForMs: 7_200_000 })).certDer);
    expect(early.notBefore.getTime()).toBeGreaterThan(Date.now());
  });
});
