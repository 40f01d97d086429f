import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { agentEnvironment } from '../support/node-agent.js';
import { SimulatedNode } from '../support/simulated-node.js';
import type { SimulatedPod } from '../support/simulated-node.js';

// The real process entry (src/main.ts through the transpile-only loader, as `npx
// conjur-spiffe-agent` runs dist/src/main.js): what an operator types and what they read back.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOADER = fileURLToPath(new URL('../support/register-ts.mjs', import.meta.url));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: readonly string[], env: Record<string, string>): Promise<Result> {
  const child = spawn(process.execPath, ['--import', LOADER, 'src/main.ts', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
  return collect(child);
}

function collect(child: ChildProcess): Promise<Result> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('conjur-spiffe-agent (the command line)', () => {
  let node: SimulatedNode;
  let agentPod: SimulatedPod;
  let pod: SimulatedPod;
  let configFile: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    node = await SimulatedNode.start();
    agentPod = node.addAgentPod();
    pod = node.addPod({ namespace: 'shop', name: 'payments-6c9f7' });
    configFile = `${node.dirs.root}/agent.yaml`;
    writeFileSync(
      configFile,
      [
        `socketPath: ${node.socketPath}`,
        `kubeletPodsDir: ${node.dirs.podsDir}`,
        'kubelet:',
        `  url: ${node.kubelet.url}`,
        `  tokenFile: ${node.dirs.tokenFile}`,
        `  caFile: ${node.dirs.caFile}`,
        'kubernetes:',
        `  kubeconfig: ${node.dirs.kubeconfig}`,
        'conjur:',
        `  agentSslDir: ${agentPod.sslDir}`,
        '',
      ].join('\n'),
    );
    env = agentEnvironment(node, agentPod);
  }, 30_000);

  afterAll(async () => {
    await node?.close();
  });

  it('debug attest prints every step as JSON for a process in a pod, ending with its SPIFFE ID and Conjur host', async () => {
    const workload = node.spawnInPod(pod, 'sleep', ['30']);
    const result = await cli(['debug', 'attest', '--config', configFile, '--proc-root', node.dirs.procRoot, '--pid', String(workload.pid)], env);
    workload.kill();
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { ok: boolean; containerId: string; podUid: string; spiffeId: string; hostId: string; steps: { step: string; ok: boolean }[] };
    expect(report).toMatchObject({ ok: true, containerId: pod.containerId, podUid: pod.uid, spiffeId: pod.spiffeId, hostId: pod.login });
    expect(report.steps.map((s) => s.step)).toEqual(expect.arrayContaining(['read-cgroup', 'locate-container', 'find-pod', 'verify-pod', 'resolve-identity']));
    expect(report.steps.every((s) => s.ok)).toBe(true);
  }, 30_000);

  it('debug attest names the failed step for a process in no pod, with one error line and exit 1', async () => {
    const hostProcess = node.spawnInPod(undefined, 'sleep', ['30']);
    const result = await cli(['debug', 'attest', '--config', configFile, '--proc-root', node.dirs.procRoot, '--pid', String(hostProcess.pid)], env);
    hostProcess.kill();
    expect(result.code).toBe(1);
    expect((JSON.parse(result.stdout) as { failure: { step: string } }).failure.step).toBe('locate-container');
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: attestation of pid \d+ failed at locate-container: process is not in a container/)]);
  }, 30_000);

  it('run refuses to start on bad configuration, with one line per problem and exit 1', async () => {
    writeFileSync(`${node.dirs.root}/bad.yaml`, 'socketPath: /nonexistent-dir/agent.sock\nconjur:\n  injectTimout: 5s\n');
    const { CONJUR_APPLIANCE_URL: _omitted, ...withoutUrl } = env;
    const result = await cli(['run', '--config', `${node.dirs.root}/bad.yaml`], withoutUrl);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^error: conjur\.applianceUrl: missing/),
        expect.stringMatching(/^error: conjur\.injectTimout: .*did you mean conjur\.injectTimeout/),
        expect.stringMatching(/^error: socketPath: .*\/nonexistent-dir/),
        expect.stringMatching(/^error: the agent did not start: \d+ configuration problems$/),
      ]),
    );
    expect(lines.every((line) => line.startsWith('error: '))).toBe(true);
    expect(result.stdout).toBe('');
  }, 30_000);

  it('run serves the socket until SIGTERM, then drains, removes the socket and exits 0', async () => {
    const agent = spawn(process.execPath, ['--import', LOADER, 'src/main.ts', 'run', '--config', configFile], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
    const done = collect(agent);
    const deadline = Date.now() + 20_000;
    let health: Result | undefined;
    while (Date.now() < deadline) {
      health = await cli(['healthcheck', '--socket', `unix://${node.socketPath}`], {});
      if (health.code === 0) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(health?.stdout).toMatch(/is healthy \(SERVING\)/);
    agent.kill('SIGTERM');
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/"msg":"Agent stopped"/);
    const again = await cli(['healthcheck', '--socket', `unix://${node.socketPath}`], {});
    expect(again.code).toBe(1);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
  }, 60_000);
});
