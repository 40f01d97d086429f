import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../src/async/index.js';
import { injectAndConfirm } from '../../../src/conjur/inject-and-confirm.js';
import type { RefusalReason } from '../../../src/conjur/index.js';
import { SpiffeId } from '../../../src/spiffe/index.js';
import { createTestCa } from '../../support/test-ca.js';
import type { TestCa } from '../../support/test-ca.js';
import { FakeConjurClient } from './fake-conjur-client.js';

// The confirm wait reads files the workload owns: refusals are named in the outcome and counted,
// and only digests of what was there before the inject are kept to tell stale from new.

let ca: TestCa;
let dir: string;
beforeAll(async () => {
  ca = await createTestCa({ commonName: 'conjur.authn-k8s.dev' });
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inject-confirm-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(conjur: FakeConjurClient, options: { maxCertificateFileBytes?: number } = {}) {
  const refusals: RefusalReason[] = [];
  const request = {
    login: 'host/apps/shop/orders',
    spiffeId: SpiffeId.parse('spiffe://cluster.local/namespace/shop/podname/orders'),
    keyType: 'ec-p256' as const,
    targetPaths: [join(dir, 'client.pem')],
    authorities: [ca.certDer],
  };
  const deps = { client: conjur, clock: systemClock, confirmTimeoutMs: 400, confirmPollMs: 50, onRefusedFile: (reason: RefusalReason) => void refusals.push(reason), ...options };
  return { refusals, result: injectAndConfirm(request, deps, new AbortController().signal) };
}

describe('injectAndConfirm with what the workload left in its volume', () => {
  it('confirms the certificate Conjur writes', async () => {
    const { result, refusals } = run(new FakeConjurClient(ca, systemClock, () => dir));
    await expect(result).resolves.toMatchObject({ path: join(dir, 'client.pem') });
    expect(refusals).toEqual([]);
  });

  it('refuses a certificate file over conjur.maxCertificateFileBytes, counts it and names it', async () => {
    const { result, refusals } = run(new FakeConjurClient(ca, systemClock, () => dir), { maxCertificateFileBytes: 100 });
    await expect(result).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/client\.pem was refused: it is \d+ bytes, over the limit of 100$/) });
    expect(refusals.length).toBeGreaterThan(0);
    expect(new Set(refusals)).toEqual(new Set(['too-large']));
  });

  it('refuses a sparse 400 MiB client.pem without reading it', async () => {
    const conjur = new FakeConjurClient(ca, systemClock, () => dir);
    conjur.injection = 'never';
    await writeFile(join(dir, 'client.pem'), '');
    await truncate(join(dir, 'client.pem'), 400 * 1024 * 1024);
    const { result } = run(conjur);
    await expect(result).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/was refused: it is 419430400 bytes, over the limit of 65536/) });
  });

  it('calls a file left from before the inject stale (unavailable), by its digest', async () => {
    const conjur = new FakeConjurClient(ca, systemClock, () => dir);
    conjur.injection = 'never';
    await writeFile(join(dir, 'client.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    await expect(run(conjur).result).rejects.toMatchObject({ code: 'unavailable', message: 'injected certificate did not arrive within 400 ms' });
  });

  it('names a refused file even when unparsable content came after it (the pod flipping its file)', async () => {
    const conjur = new FakeConjurClient(ca, systemClock, () => dir);
    conjur.injection = 'never';
    await mkdir(join(dir, 'client.pem'));
    const { result } = run(conjur);
    setTimeout(() => void rm(join(dir, 'client.pem'), { recursive: true }).then(() => writeFile(join(dir, 'client.pem'), 'not a certificate')), 150);
    await expect(result).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/client\.pem was refused: it is a directory$/) });
  });

  it('calls a new certificate for another key a failed confirm, not a late arrival', async () => {
    const conjur = new FakeConjurClient(ca, systemClock, () => dir);
    conjur.injection = 'wrong-key';
    await expect(run(conjur).result).rejects.toMatchObject({ code: 'confirm-failed', check: 'public-key' });
  });
});
