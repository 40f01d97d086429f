import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { run } from './run-command.js';

// `conjur-spiffe-agent check pod`: the shipped example passes; a pod made the old way (hostPath
// socket) or missing a piece of the contract is named line by line, with exit 1.

const EXAMPLE = fileURLToPath(new URL('../../../daemonset/examples/deployment.yaml', import.meta.url));
const JOB = fileURLToPath(new URL('../../../daemonset/examples/job.yaml', import.meta.url));
const POLICY = fileURLToPath(new URL('../../../daemonset/examples/conjur-policy.yml', import.meta.url));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'check-pod-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('conjur-spiffe-agent check pod', () => {
  it('says the example Deployment meets the contract and restricted, and exits 0', async () => {
    const result = await run(['check', 'pod', EXAMPLE]);
    expect(result).toEqual({ code: 0, stdout: `${EXAMPLE}: Deployment/example-app: meets the pod contract and Pod Security restricted\n`, stderr: '' });
  });

  it('names each problem of a pod that mounts the socket as a hostPath and has no injection target, and exits 1', async () => {
    const text = readFileSync(EXAMPLE, 'utf8')
      .replace(/csi:\n\s+driver: csi.spiffe.io\n\s+readOnly: true/, 'hostPath:\n            path: /run/conjur-spiffe')
      .replace('- name: authenticator', '- name: waiter');
    const file = write('old.yaml', text);
    const result = await run(['check', 'pod', file]);
    expect(result.code).toBe(1);
    expect(result.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^${file}: Deployment/example-app: no container named "authenticator" for Conjur to exec into`)),
      `${file}: Deployment/example-app: Pod Security restricted: restricted volume types (volume "agent-socket" uses restricted volume type "hostPath")`,
    ]);
    expect(result.stderr).toBe(`error: 2 problems in ${file}\n`);
  });

  it('accepts the target the Conjur host names with --container', async () => {
    const file = write('renamed.yaml', readFileSync(EXAMPLE, 'utf8').replace('- name: authenticator', '- name: waiter'));
    expect((await run(['check', 'pod', '--container', 'waiter', file])).code).toBe(0);
  });

  it('with --policy, takes each pod\'s target from its Conjur host: both examples pass', async () => {
    const result = await run(['check', 'pod', '--policy', POLICY, EXAMPLE, JOB]);
    expect(result).toEqual({
      code: 0,
      stdout: `${EXAMPLE}: Deployment/example-app: meets the pod contract and Pod Security restricted\n${JOB}: Job/example-report: meets the pod contract and Pod Security restricted\n`,
      stderr: '',
    });
    expect((await run(['check', 'pod', JOB])).stdout).toMatch(/Job\/example-report: no container named "authenticator"/);
  });

  it('refuses a policy that is not YAML', async () => {
    const bad = write('policy.yml', '- !host\n  id: [unclosed\n');
    const result = await run(['check', 'pod', '--policy', bad, EXAMPLE]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^error: ${bad}: not a Conjur policy: `));
  });

  it('checks several files, and says when one holds no pod', async () => {
    const namespace = write('namespace.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n');
    const result = await run(['check', 'pod', EXAMPLE, namespace]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`${EXAMPLE}: Deployment/example-app: meets the pod contract`);
    expect(result.stdout).toContain(`${namespace}: no pod in it (looked for Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, PodTemplate, CronJob)`);
  });

  const unreadable = [
    { name: 'a missing file', path: () => join(dir, 'absent.yaml'), expect: (p: string) => `error: cannot read ${p}: no such file\n` },
    { name: 'a directory', path: () => dir, expect: (p: string) => `error: cannot read ${p}: it is a directory\n` },
    {
      name: 'a file too large to be a manifest',
      path: () => {
        const big = join(dir, 'big.yaml');
        writeFileSync(big, '');
        truncateSync(big, 17 * 1024 * 1024);
        return big;
      },
      expect: (p: string) => `error: ${p}: ${17 * 1024 * 1024} bytes is more than a manifest may have (16777216)\n`,
    },
  ];
  for (const c of unreadable) {
    it(`refuses ${c.name} with one error line and exit 1`, async () => {
      const path = c.path();
      expect(await run(['check', 'pod', path])).toEqual({ code: 1, stdout: '', stderr: c.expect(path) });
    });
  }

  it('needs at least one manifest', async () => {
    const result = await run(['check', 'pod']);
    expect(result).toEqual({ code: 1, stdout: '', stderr: "error: missing required argument 'manifest'\n" });
  });
});
