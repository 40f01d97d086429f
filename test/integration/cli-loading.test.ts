import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevAgent } from '../../src/dev-agent.js';
import type { RunningAgent } from '../../src/dev-agent.js';
import { silentLogger } from '../../src/log/index.js';

// Each command loads only what it uses (issue 14): the workload-side commands run in exec
// probes and sidecars on every node, so they must never pay for the agent, the Kubernetes
// client or the Conjur adapter. The real process entry runs with a module hook that lists every
// module it loads; the lists are checked against what each command may pull in.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TS_LOADER = fileURLToPath(new URL('../support/register-ts.mjs', import.meta.url));
const RECORDER = fileURLToPath(new URL('../support/record-loads.mjs', import.meta.url));

const KUBE_CLIENT = '/node_modules/@kubernetes/client-node/';
const AGENT_CODE = ['/src/agent.ts', '/src/conjur/', '/src/kube/', '/src/svid-cache/', '/src/workload-api/'];
const GRPC = '/node_modules/@grpc/grpc-js/';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Every module URL the process loaded. */
  loaded: string[];
}

let dir: string;
let agent: RunningAgent;
let socket: string;
let runs = 0;

/** Runs `conjur-spiffe-agent <args>`; `until` (stdout test) lets a long-running command be stopped with SIGTERM. */
function cli(args: readonly string[], until?: (stdout: string) => boolean): Promise<Run> {
  const record = join(dir, `loads-${runs++}.txt`);
  const child = spawn(process.execPath, ['--import', TS_LOADER, '--import', RECORDER, 'src/main.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', RECORD_LOADS_FILE: record },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (until?.(stdout)) child.kill('SIGTERM');
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      const loaded = existsSync(record) ? readFileSync(record, 'utf8').split('\n').filter(Boolean) : [];
      resolve({ code, stdout, stderr, loaded });
    }),
  );
}

function matching(loaded: readonly string[], fragments: readonly string[]): string[] {
  return loaded.filter((url) => fragments.some((f) => url.includes(f))).map((url) => url.slice(url.indexOf('/', 'file:///'.length)));
}

describe('what each command loads', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cli-loading-'));
    socket = join(dir, 'agent.sock');
    agent = await startDevAgent({ socketPath: socket, trustDomain: 'example.org', logger: silentLogger });
  });

  afterAll(async () => {
    await agent?.close(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('--version loads the command line only: no gRPC, no agent, no Kubernetes client', async () => {
    const run = await cli(['--version']);
    expect(run.code).toBe(0);
    expect(run.loaded.some((url) => url.endsWith('/src/main.ts'))).toBe(true); // the recorder saw the entry
    expect(matching(run.loaded, [GRPC, KUBE_CLIENT, ...AGENT_CODE, '/src/client/', '/src/pod-contract/'])).toEqual([]);
  }, 40_000);

  it('api fetch x509 asks the agent over plain HTTP/2: no grpc-js, nothing of the agent', async () => {
    const run = await cli(['api', 'fetch', 'x509', '--socket', socket]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^Received 1 svid after /);
    expect(run.loaded.some((url) => url.includes('/src/client/fetch-once.ts'))).toBe(true);
    expect(matching(run.loaded, [GRPC, '/node_modules/@grpc/', '/node_modules/protobufjs/', KUBE_CLIENT, ...AGENT_CODE])).toEqual([]);
  }, 40_000);

  it('api fetch bundles does without grpc-js too', async () => {
    const run = await cli(['api', 'fetch', 'bundles', '--socket', socket]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^Received 1 bundle after /);
    expect(matching(run.loaded, [GRPC, '/node_modules/@grpc/', KUBE_CLIENT, ...AGENT_CODE])).toEqual([]);
  }, 40_000);

  it('api watch keeps one stream open through grpc-js, and nothing of the agent', async () => {
    const run = await cli(['api', 'watch', '--socket', socket], (stdout) => stdout.includes('Received 1 svid'));
    expect(run.stdout).toMatch(/^Received 1 svid after /);
    expect(matching(run.loaded, [GRPC]).length).toBeGreaterThan(0);
    expect(matching(run.loaded, [KUBE_CLIENT, ...AGENT_CODE])).toEqual([]);
  }, 40_000);

  it('healthcheck asks the agent over plain HTTP/2: no grpc-js, nothing of the agent', async () => {
    const run = await cli(['healthcheck', '--socket', socket]);
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: 0, stdout: `agent at unix://${socket} is healthy (SERVING)\n`, stderr: '' });
    expect(run.loaded.some((url) => url.includes('/src/client/health-probe.ts'))).toBe(true);
    expect(matching(run.loaded, [GRPC, '/node_modules/@grpc/', KUBE_CLIENT, ...AGENT_CODE])).toEqual([]);
  }, 40_000);

  it('helper writes its files without loading the agent', async () => {
    const svidDir = join(dir, 'svids');
    const run = await cli(['helper', '--socket', socket, '--svid-dir', svidDir], (stdout) => stdout.includes('Wrote '));
    expect(run.stdout).toContain(`Wrote spiffe://example.org/uid/`);
    expect(existsSync(join(svidDir, 'svid.pem'))).toBe(true);
    expect(matching(run.loaded, [KUBE_CLIENT, ...AGENT_CODE])).toEqual([]);
  }, 40_000);

  it('validate checks a file without loading the agent, gRPC or the Kubernetes client', async () => {
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, 'trustDomain: example.org\nsocketPath: /nonexistent-dir/agent.sock\n');
    const run = await cli(['validate', '--config', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/socketPath/);
    expect(matching(run.loaded, [GRPC, KUBE_CLIENT, ...AGENT_CODE])).toEqual([]);
  }, 40_000);

  it('check pod reads a manifest with the pod-contract folder only: no agent, gRPC, client library or Kubernetes client', async () => {
    const run = await cli(['check', 'pod', '--policy', 'daemonset/examples/conjur-policy.yml', 'daemonset/examples/job.yaml']);
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: 0, stdout: 'daemonset/examples/job.yaml: Job/example-report: meets the pod contract and Pod Security restricted\n', stderr: '' });
    expect(matching(run.loaded, ['/src/pod-contract/'])).not.toEqual([]);
    expect(matching(run.loaded, [GRPC, KUBE_CLIENT, ...AGENT_CODE, '/src/client/'])).toEqual([]);
  }, 40_000);

  it('dev serves a socket without loading the Kubernetes client or the Conjur adapter', async () => {
    const devSocket = join(dir, 'dev.sock');
    const run = await cli(['dev', '--socket', devSocket], (stdout) => stdout.includes('Workload API ready'));
    expect(run.stdout).toContain('Workload API ready');
    expect(run.code).toBe(0);
    expect(matching(run.loaded, ['/src/workload-api/'])).not.toEqual([]);
    expect(matching(run.loaded, [KUBE_CLIENT, '/src/kube/', '/src/conjur/', '/src/agent.ts'])).toEqual([]);
  }, 40_000);
});
