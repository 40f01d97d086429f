import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { SimulatedPod } from '../../support/simulated-node.js';
import type { ClientProcess } from '../client-process.js';
import { describeClient } from '../installed-client.js';
import { FAST_RENEWAL_OVERRIDES, InteropNode } from '../interop-node.js';

// spiffe-helper (daemon mode) against the agent: the files it writes, and rewrites when the
// agent pushes a renewed SVID. Steps are numbered as in this folder's README.

interface WrittenFiles {
  readonly cert: X509Certificate;
  readonly bundle: readonly X509Certificate[];
}

/** The PEM certificates in `pem`, in order. */
function certificatesIn(pem: string): X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []).map((block) => new X509Certificate(block));
}

/**
 * Reads svid.pem, svid_key.pem and svid_bundle.pem and checks them as a consumer of the files
 * would: the key is the certificate's, the only SAN is `spiffeId`, a bundle certificate issued
 * and signed it. Throws a message naming the failed check.
 */
function readWrittenFiles(certDir: string, spiffeId: string): WrittenFiles {
  const certs = certificatesIn(readFileSync(join(certDir, 'svid.pem'), 'utf8'));
  const cert = certs[0];
  if (!cert) throw new Error('svid.pem: no certificate');
  const key = createPrivateKey(readFileSync(join(certDir, 'svid_key.pem'), 'utf8'));
  const keySpki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (!keySpki.equals(cert.publicKey.export({ type: 'spki', format: 'der' }))) throw new Error('svid_key.pem: the key is not the key of svid.pem');
  if (cert.subjectAltName !== `URI:${spiffeId}`) throw new Error(`svid.pem: SAN is ${cert.subjectAltName ?? 'missing'}, expected URI:${spiffeId}`);
  const bundle = certificatesIn(readFileSync(join(certDir, 'svid_bundle.pem'), 'utf8'));
  if (!bundle.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey))) throw new Error('svid_bundle.pem: no certificate in the bundle issued svid.pem');
  return { cert, bundle };
}

/**
 * Polls until the files pass readWrittenFiles and `accept` (spiffe-helper writes the three
 * files one after another, not atomically, so a read between writes is retried).
 */
async function filesWhen(helper: ClientProcess, certDir: string, spiffeId: string, accept: (files: WrittenFiles) => boolean, timeoutMs: number): Promise<WrittenFiles> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no files yet';
  for (;;) {
    try {
      const files = readWrittenFiles(certDir, spiffeId);
      if (accept(files)) return files;
      last = `files present but not the expected ones (serial ${files.cert.serialNumber})`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) throw new Error(`spiffe-helper: files in ${certDir}: ${last}\n${helper.describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describeClient('spiffe-helper', 'spiffe-helper (daemon mode) against the agent', (client) => {
  let net: InteropNode;
  let pod: SimulatedPod;
  let dir: string;
  let certDir: string;
  let helper: ClientProcess;
  let first: WrittenFiles;

  beforeAll(async () => {
    console.log(`interop client: ${client.banner}`);
    // SVIDs renew every ~2.6 s, so step 2 sees spiffe-helper rewrite the files.
    net = await InteropNode.start(FAST_RENEWAL_OVERRIDES);
    pod = net.addPod({ namespace: 'billing', name: 'invoices-59f7c' });
    dir = mkdtempSync(join(tmpdir(), 'interop-spiffe-helper-'));
    certDir = join(dir, 'certs');
    mkdirSync(certDir);
    // spiffe-helper prefixes agent_address with unix:// itself, so it takes a plain path here
    // (a unix:// SPIFFE_ENDPOINT_SOCKET would become unix://unix://...).
    writeFileSync(
      join(dir, 'helper.conf'),
      [
        `agent_address = "${net.node.socketPath}"`,
        `cert_dir = "${certDir}"`,
        'daemon_mode = true',
        'svid_file_name = "svid.pem"',
        'svid_key_file_name = "svid_key.pem"',
        'svid_bundle_file_name = "svid_bundle.pem"',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await net?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('1. writes svid.pem, svid_key.pem and svid_bundle.pem: the key is the certificate\'s, the SAN is the pod\'s SPIFFE ID, the bundle verifies it', async () => {
    helper = net.run(pod, client.command, ['-config', join(dir, 'helper.conf')], { label: 'spiffe-helper' });
    first = await filesWhen(helper, certDir, pod.spiffeId, () => true, 20_000);
    // The bundle is the Conjur authn-k8s CA: these SVIDs are Conjur's.
    const conjurCa = new X509Certificate(net.node.conjur.caCertPem);
    await helper.explain(() => expect(first.bundle.map((c) => c.fingerprint256)).toContain(conjurCa.fingerprint256));
  }, 25_000);

  it('2. rewrites the three files when the agent pushes a renewed SVID (a new serial), without restarting', async () => {
    const renewed = await filesWhen(helper, certDir, pod.spiffeId, (files) => files.cert.serialNumber !== first.cert.serialNumber, 15_000);
    await helper.explain(() => {
      expect(renewed.cert.serialNumber).not.toBe(first.cert.serialNumber);
      expect(new Date(renewed.cert.validFrom).getTime()).toBeGreaterThanOrEqual(new Date(first.cert.validFrom).getTime());
      expect(helper.running).toBe(true);
      expect(helper.stderr).not.toMatch(/level=error/);
    });
  }, 20_000);

  it('3. stops cleanly on SIGTERM, and the agent is left with no connection or stream', async () => {
    const exit = await helper.stop('SIGTERM', 5_000);
    await helper.explain(() => expect(exit).toEqual({ code: 0, signal: null }));
    await net.drained();
  }, 15_000);
});
