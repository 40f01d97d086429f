import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestCa } from '../support/test-ca.js';

// NODE_TLS_REJECT_UNAUTHORIZED=0 in a container's environment (left from debugging, or copied
// from another deployment) turns off every TLS client's certificate check that does not say
// otherwise. `run` refuses to start with it (config-problems.test.ts), and the agent's own
// clients of Conjur and of the API server still check: a server their CA did not sign gets no
// request. Each probe runs in a process of its own (untrusted-server-probe.ts says why).

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOADER = fileURLToPath(new URL('../support/register-ts.mjs', import.meta.url));
const PROBE = fileURLToPath(new URL('../support/children/untrusted-server-probe.ts', import.meta.url));

let server: Server;
let url: string;
let dir: string;
let otherCaFile: string;
const requests: string[] = [];

beforeAll(async () => {
  const [serverCa, other] = await Promise.all([createTestCa({ commonName: 'the server CA' }), createTestCa({ commonName: 'the CA the agent trusts' })]);
  const cert = await serverCa.issueServerCert({ ipAddresses: ['127.0.0.1'] });
  server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(202, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'insecure-env-'));
  otherCaFile = join(dir, 'ca.pem');
  writeFileSync(otherCaFile, other.certPem);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function probe(client: 'conjur' | 'api-server', env: Record<string, string>): Promise<{ refused: boolean; message: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', LOADER, PROBE, client, url, otherCaFile], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`probe failed: ${stderr}`));
      else resolve(JSON.parse(stdout) as { refused: boolean; message: string });
    });
  });
}

describe('with NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment', () => {
  it('the Conjur client still refuses a server its Conjur CA did not sign, before sending anything', async () => {
    const before = requests.length;
    const outcome = await probe('conjur', { NODE_TLS_REJECT_UNAUTHORIZED: '0' });
    expect(outcome.refused).toBe(true);
    expect(outcome.message).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    expect(requests.slice(before)).toEqual([]);
  });

  it('the API server GET still refuses a server the cluster CA did not sign, before sending anything', async () => {
    const before = requests.length;
    const outcome = await probe('api-server', { NODE_TLS_REJECT_UNAUTHORIZED: '0' });
    expect(outcome.refused).toBe(true);
    expect(outcome.message).toMatch(/api server request for the pods on this node failed: .*(certificate|UNABLE_TO_VERIFY)/);
    expect(requests.slice(before)).toEqual([]);
  });
});
