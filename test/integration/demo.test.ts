import { beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The README's demo, run as CI runs it after `npm ci`: build exactly what `npm run demo` builds
// (tsc -p tsconfig.build.json), then run `node dist/test/demo/run-demo.js` and read its output as
// a newcomer would. The demo checks every step itself; these assertions pin what it must show.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
const PAYMENTS = 'spiffe://cluster.local/namespace/shop/podname/payments';
const ORDERS = 'spiffe://cluster.local/namespace/shop/podname/orders';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runNode(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    // jest's --experimental-vm-modules is not wanted in the children.
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the demo (npm run demo)', () => {
  let demo: Run;

  beforeAll(async () => {
    const build = await runNode([TSC, '-p', 'tsconfig.build.json']);
    if (build.code !== 0) throw new Error(`tsc -p tsconfig.build.json failed:\n${build.stdout}${build.stderr}`);
    // The demo's own bound is 60 s; a loaded CI machine gets more room.
    demo = await runNode(['dist/test/demo/run-demo.js'], { NO_COLOR: '1', DEMO_TIMEOUT_SECONDS: '150' });
  }, 300_000);

  it('finishes every step and exits 0', () => {
    expect({ code: demo.code, failed: /FAILED/.test(demo.stdout) ? demo.stdout : '' }).toEqual({ code: 0, failed: '' });
    expect(demo.stdout).toContain('Demo finished');
  });

  it('shows each application receiving its SVID from the Conjur authn-k8s CA', () => {
    expect(demo.stdout).toContain(`payments got its SVID (X.509 certificate with a SPIFFE ID): ${PAYMENTS}`);
    expect(demo.stdout).toContain(`orders got its SVID (X.509 certificate with a SPIFFE ID): ${ORDERS}`);
    expect(demo.stdout.match(/issued by {2}CN=demo:webservice:conjur\.authn-k8s\.dev-cluster.*the CA of Conjur's authenticator dev-cluster/g)).toHaveLength(2);
  });

  it('shows how the agent attested each pod process', () => {
    expect(demo.stdout).toMatch(/The agent attested process \d+: kernel says the caller is pid \d+ → cgroup says container [0-9a-f]{12}… → kubelet says pod shop\/payments → API server confirms it runs on node-1/);
    expect(demo.stdout).toMatch(/kubelet says pod shop\/orders → API server confirms it runs on node-1/);
  });

  it('shows each application reading only its own secret with its Conjur token', () => {
    expect(demo.stdout).toMatch(/payments read secret shop\/payments\/db-password with that token: pg\*+ \(masked here; it matches the value stored in Conjur\)/);
    expect(demo.stdout).toMatch(/orders read secret shop\/orders\/api-key with that token: ak\*+ \(masked here; it matches the value stored in Conjur\)/);
    expect(demo.stdout).toContain('payments also asked for shop/orders/api-key: Conjur answered 404');
    expect(demo.stdout).toContain('orders also asked for shop/payments/db-password: Conjur answered 404');
  });

  it('shows both sides of the mutual-TLS call verifying the other by SPIFFE ID', () => {
    expect(demo.stdout).toContain(`orders presented its own SVID and accepted the server after checking its certificate: trust bundle OK, SPIFFE ID ${PAYMENTS}`);
    expect(demo.stdout).toContain(`payments verified the client's certificate the same way: trust bundle OK, SPIFFE ID ${ORDERS}`);
    expect(demo.stdout).toContain('payments answered: "payment accepted for order A-1001" (HTTP 200)');
  });

  it('shows a process outside any pod refused with PermissionDenied', () => {
    expect(demo.stdout).toContain('It was refused: PermissionDenied "no identity issued"; no certificate, no token');
  });

  it('stops the agent with SIGTERM, exit code 0, and removes its temporary directory', () => {
    expect(demo.stdout).toMatch(/The agent \(process \d+\) got SIGTERM, drained its streams, removed its socket and exited with code 0/);
    const tempDir = /The API server, kubelet and Conjur are closed; (\S+) is removed/.exec(demo.stdout)?.[1];
    expect(tempDir && existsSync(tempDir)).toBe(false);
  });

  it('writes plain text without colour codes when its output is not a terminal', () => {
    expect(demo.stdout).not.toContain('\u001b[');
  });
});
