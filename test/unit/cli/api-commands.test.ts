import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeSvidSubscriptions } from '../../fakes/fake-svid-subscriptions.js';
import { eventually, startTestEndpoint } from '../../support/workload-endpoint-fixture.js';
import type { TestEndpoint } from '../../support/workload-endpoint-fixture.js';
import { certificatesToPem } from '../../../src/client/index.js';
import { run } from './run-command.js';

// `api`, `healthcheck` and `helper` against a real Workload Endpoint (fakes behind its ports).

const uid = process.getuid!();
const myId = `spiffe://example.org/uid/${uid}`;

describe('workload-side commands', () => {
  let t: TestEndpoint;
  let out: string;

  beforeEach(async () => {
    t = await startTestEndpoint(await FakeSvidSubscriptions.create());
    out = await mkdtemp(join(tmpdir(), 'cli-out-'));
  });

  afterEach(async () => {
    await t.close();
    await rm(out, { recursive: true, force: true });
  });

  it('summarises the X.509 context like SPIRE’s CLI, using SPIFFE_ENDPOINT_SOCKET', async () => {
    const result = await run(['api', 'fetch', 'x509'], { env: { SPIFFE_ENDPOINT_SOCKET: `unix://${t.socketPath}` } });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Received 1 svid after \d+\.\dms\n\n/);
    expect(result.stdout).toContain(`SPIFFE ID:\t\t${myId}\n`);
    expect(result.stdout).toContain(`Hint:\t\t\tuid-${uid}\n`);
    expect(result.stdout).toMatch(/SVID Valid Until:\t\d{4}-\d\d-\d\dT/);
    expect(result.stdout).toContain('CA #1 Valid After:');
    expect(result.stdout).not.toContain('PRIVATE KEY');
  });

  it('writes svid.0.pem, svid.0.key (0600) and bundle.0.pem whose key matches the certificate', async () => {
    const result = await run(['api', 'fetch', 'x509', '--socket', t.socketPath, '--write', out]);
    expect(result.code).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['bundle.0.pem', 'svid.0.key', 'svid.0.pem']);
    const cert = new X509Certificate(await readFile(join(out, 'svid.0.pem')));
    const key = createPrivateKey(await readFile(join(out, 'svid.0.key')));
    expect(cert.checkPrivateKey(key)).toBe(true);
    expect(cert.verify(new X509Certificate(await readFile(join(out, 'bundle.0.pem'))).publicKey)).toBe(true);
    expect((await stat(join(out, 'svid.0.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(out, 'svid.0.pem'))).mode & 0o777).toBe(0o644);
    expect(result.stdout).toContain(`Wrote ${join(out, 'svid.0.key')}\n`);
  });

  it('prints JSON without any private key', async () => {
    const result = await run(['api', 'fetch', 'x509', '--socket', t.socketPath, '--json']);
    const json = JSON.parse(result.stdout) as { svids: Array<{ spiffeId: string; certificates: string[] }>; bundles: Record<string, string[]> };
    expect(json.svids[0]!.spiffeId).toBe(myId);
    expect(json.svids[0]!.certificates[0]).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(Object.keys(json.bundles)).toEqual(['example.org']);
    expect(result.stdout).not.toMatch(/PRIVATE KEY|"privateKey"|"key"/);
  });

  it('fetches and writes bundles per trust domain', async () => {
    await t.svids.federate('other.org', [t.svids.ca.certDer]);
    const result = await run(['api', 'fetch', 'bundles', '--socket', t.socketPath, '--write', out]);
    expect(result.stdout).toMatch(/^Received 2 bundles after/);
    expect(result.stdout).toContain('Trust domain:\t\tother.org\n');
    expect((await readdir(out)).sort()).toEqual(['bundle.example.org.pem', 'bundle.other.org.pem']);
  });

  it('prints the raw Conjur token for piping, or only its metadata with --json', async () => {
    const raw = await run(['api', 'fetch', 'token', '--socket', t.socketPath]);
    expect(JSON.parse(raw.stdout)).toHaveProperty('protected');
    const meta = JSON.parse((await run(['api', 'fetch', 'token', '--socket', t.socketPath, '--json'])).stdout) as Record<string, unknown>;
    expect(meta).toMatchObject({ login: `host/test/uid-${uid}`, spiffeId: myId });
    expect(JSON.stringify(meta)).not.toContain('protected');
  });

  it('reports an identity-less caller in one line', async () => {
    t.identities.deny(uid);
    const result = await run(['api', 'fetch', 'x509', '--socket', t.socketPath]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^error: FetchX509SVID to unix://${t.socketPath} failed: PERMISSION_DENIED: .+\\n$`));
  });

  it('gives up at --timeout in one line, and leaves the agent nothing to answer', async () => {
    const resume = t.attestor.pause();
    try {
      const result = await run(['api', 'fetch', 'x509', '--socket', t.socketPath, '--timeout', '300ms']);
      expect(result).toEqual({ code: 1, stdout: '', stderr: `error: no answer from the Workload API at unix://${t.socketPath} within 300ms\n` });
      // The command cancelled its call: the agent stops attesting it and never subscribes.
      await eventually(() => t.attestor.abandoned === 1);
    } finally {
      resume();
    }
    expect(t.svids.subscribeCalls).toBe(0);
  });

  it('fetch bundles and token name the socket in one line when the agent refuses the caller', async () => {
    t.identities.deny(uid);
    for (const what of ['bundles', 'token']) {
      const result = await run(['api', 'fetch', what, '--socket', t.socketPath]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`^error: Fetch(X509Bundles|ConjurToken) to unix://${t.socketPath} failed: PERMISSION_DENIED: [^\n]+\n$`));
    }
  });

  it('healthcheck exits 0 when SERVING and 1 otherwise, in one line', async () => {
    expect(await run(['healthcheck', '--socket', t.socketPath])).toEqual({
      code: 0,
      stdout: `agent at unix://${t.socketPath} is healthy (SERVING)\n`,
      stderr: '',
    });
    t.api.health.setServing(false);
    expect(await run(['healthcheck', '--socket', t.socketPath])).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: agent at unix://${t.socketPath} is not healthy: NOT_SERVING\n`,
    });
  });

  it('api watch prints every rotation until interrupted', async () => {
    const stop = new AbortController();
    let printed = 0;
    const watching = run(['api', 'watch', '--socket', t.socketPath], { signal: stop.signal, onStdout: () => (printed += 1) });
    await eventually(() => printed === 1);
    await t.svids.rotate(t.identities.resolve({ kind: 'unix', process: { pid: 1, uid, gid: 0 } })!);
    await eventually(() => printed === 2);
    stop.abort();
    const result = await watching;
    expect(result.code).toBe(0);
    expect(result.stdout.match(/^Received 1 svid after/gm)).toHaveLength(2);
    await eventually(() => t.svids.active === 0);
  });

  it('helper keeps the token file and SVID files fresh until stopped', async () => {
    const stop = new AbortController();
    const tokenFile = join(out, 'access-token');
    const me = t.identities.resolve({ kind: 'unix', process: { pid: 1, uid, gid: 0 } })!;
    const helping = run(['helper', '--socket', t.socketPath, '--token-file', tokenFile, '--svid-dir', out], { signal: stop.signal });
    await eventually(() => t.tokens.active === 1 && t.svids.active === 1);
    const refreshed = t.tokens.refresh(me);
    await waitForFile(tokenFile, refreshed.raw);
    const rotated = await t.svids.rotate(me);
    await waitForFile(join(out, 'svid.pem'), Buffer.from(certificatesToPem(rotated.certChain)));
    stop.abort();
    const result = await helping;
    expect(result.code).toBe(0);
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o644);
    expect((await stat(join(out, 'svid_key.pem'))).mode & 0o777).toBe(0o600);
    const key = createPrivateKey(await readFile(join(out, 'svid_key.pem')));
    expect(new X509Certificate(await readFile(join(out, 'svid.pem'))).checkPrivateKey(key)).toBe(true);
    expect((await readdir(out)).sort()).toEqual(['access-token', 'svid.pem', 'svid_bundle.pem', 'svid_key.pem']);
    expect(result.stdout).toContain(`Wrote Conjur access token to ${tokenFile}`);
    await eventually(() => t.tokens.active === 0 && t.svids.active === 0);
  });
});

/** Polls until the file holds exactly `content` (the helper writes asynchronously). */
async function waitForFile(path: string, content: Buffer): Promise<void> {
  let current = Buffer.alloc(0);
  const read = async () => (current = await readFile(path).catch(() => Buffer.alloc(0)));
  for (let i = 0; i < 500 && !(await read()).equals(content); i++) await new Promise((r) => setTimeout(r, 10));
  expect(current.toString()).toBe(content.toString());
}
