import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Exec, KubeConfig } from '@kubernetes/client-node';
import type { V1Status } from '@kubernetes/client-node';
import { WebSocket } from 'ws';
import { attachExec, LOG_FILE } from '../../doubles/kube-exec.js';
import type { KubeExecDouble } from '../../doubles/kube-exec.js';
import { startKubeApi } from '../../doubles/kube-api.js';
import type { KubeApiDouble } from '../../doubles/kube-api.js';
import { buildPod } from '../../support/pod-builder.js';
import { createTestCa } from '../../support/test-ca.js';
import type { TestCa } from '../../support/test-ca.js';

const TOKEN = 'conjur-sa-token';
let ca: TestCa;
let kubeApi: KubeApiDouble;
let exec: KubeExecDouble;
let podsDir: string;
let podUid: string;

beforeAll(async () => {
  ca = await createTestCa();
  kubeApi = await startKubeApi({ ca, token: TOKEN });
  podsDir = mkdtempSync(join(tmpdir(), 'kubelet-pods-'));
  exec = attachExec(kubeApi, { kubeletPodsDir: podsDir, token: TOKEN });
  const pod = buildPod({
    namespace: 'agents',
    name: 'agent-x',
    nodeName: 'node-1',
    containers: [
      { name: 'authenticator', image: 'agent:1', mounts: [{ volume: 'conjur-ssl', mountPath: '/etc/conjur/ssl' }] },
      { name: 'app', image: 'app:1' },
    ],
    volumes: [{ name: 'conjur-ssl', kind: 'memory' }],
  });
  podUid = kubeApi.upsertPod(pod).metadata.uid;
});

afterAll(async () => {
  await exec.close();
  await kubeApi.close();
  rmSync(podsDir, { recursive: true, force: true });
});

interface Frame {
  readonly binary: boolean;
  readonly channel: number;
  readonly text: string;
}

/** A raw WebSocket exec, as Conjur opens it (no subprotocol unless given). */
function openExec(query: string, options: { protocols?: string[]; token?: string } = {}) {
  const url = `${kubeApi.url.replace('https', 'wss')}/api/v1/namespaces/agents/pods/agent-x/exec?${query}`;
  const ws = new WebSocket(url, options.protocols ?? [], { ca: ca.certPem, headers: { Authorization: `Bearer ${options.token ?? TOKEN}` } });
  const frames: Frame[] = [];
  ws.on('message', (data: Buffer, binary: boolean) => frames.push({ binary, channel: data[0] ?? -1, text: data.subarray(1).toString() }));
  const opened = new Promise<void>((resolve, reject) => {
    ws.on('open', () => resolve());
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => reject(Object.assign(new Error('refused'), { status: res.statusCode, body: Buffer.concat(chunks).toString() })));
    });
    ws.on('error', reject);
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code: number) => resolve(code)));
  return { ws, frames, opened, closed };
}

const SH_C = (script: string) => `command=sh&command=-c&command=${encodeURIComponent(script)}`;

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'sim', server: kubeApi.url, caData: Buffer.from(ca.certPem).toString('base64') }],
    users: [{ name: 'conjur', token: TOKEN }],
    contexts: [{ name: 'sim', cluster: 'sim', user: 'conjur' }],
    currentContext: 'sim',
  });
  return kc;
}

/** client-node's Exec end to end: collected output, the status it reported, and the protocol. */
async function clientNodeExec(command: string[], stdin: Readable | null): Promise<{ stdout: string; stderr: string; status: V1Status; protocol: string }> {
  const [stdout, stderr] = [new PassThrough(), new PassThrough()];
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (c: Buffer) => out.push(c.toString()));
  stderr.on('data', (c: Buffer) => err.push(c.toString()));
  let protocol = '';
  const status = await new Promise<V1Status>((resolve, reject) => {
    new Exec(kubeConfig())
      .exec('agents', 'agent-x', 'authenticator', command, stdout, stderr, stdin, false, resolve)
      .then((ws) => void (protocol = ws.protocol))
      .catch(reject);
  });
  return { stdout: out.join(''), stderr: err.join(''), status, protocol };
}

describe('attachExec without a subprotocol (v1 semantics, as Conjur execs)', () => {
  it('sends an empty stdout frame first, then output, and a plain-text error on channel 3 for a failing command', async () => {
    const c = openExec(`stdout=true&stderr=true&${SH_C('echo hi; exit 2')}&container=authenticator`);
    expect(await c.closed).toBe(1000);
    expect(c.ws.protocol).toBe('');
    expect(c.frames).toEqual([
      { binary: true, channel: 1, text: '' },
      { binary: true, channel: 1, text: 'hi\n' },
      { binary: true, channel: 3, text: 'command terminated with non-zero exit code: error executing command [sh -c echo hi; exit 2], exit code 2' },
    ]);
  });

  it('sends nothing on channel 3 when the command succeeds', async () => {
    const c = openExec(`stdout=true&stderr=true&${SH_C('true')}&container=authenticator`);
    await c.closed;
    expect(c.frames.filter((f) => f.channel === 3)).toEqual([]);
  });

  it('runs a script sent as one text frame and keeps running after the client closes at once', async () => {
    const c = openExec('container=authenticator&stderr=true&stdout=true&stdin=true&command=sh');
    await c.opened;
    c.ws.send('\u0000printf injected > /etc/conjur/ssl/probe.txt\n');
    c.ws.close();
    expect(await c.closed).not.toBe(1006); // a clean close handshake
    await exec.whenIdle();
    const volume = join(podsDir, podUid, 'volumes', 'kubernetes.io~empty-dir', 'conjur-ssl');
    expect(readFileSync(join(volume, 'probe.txt'), 'utf8')).toBe('injected');
  });

  it('fails a script in a container without the /etc/conjur/ssl mount with "Directory nonexistent", as dash in a pod', async () => {
    const c = openExec('container=app&stderr=true&stdout=true&stdin=true&command=sh');
    await c.opened;
    c.ws.send(`\u0000{ echo x > /etc/conjur/ssl/client.pem; } 2> "$TMPDIR/${LOG_FILE}"\n`);
    c.ws.close();
    await c.closed;
    await exec.whenIdle();
    const log = readFileSync(join(exec.tmpDirOf(podUid, 'app'), LOG_FILE), 'utf8');
    expect(log).toMatch(/cannot create \/etc\/conjur\/ssl\/client\.pem: Directory nonexistent/);
  });
});

describe('attachExec with client-node Exec', () => {
  it('negotiates v5.channel.k8s.io and ends stdin on the close-stream frame', async () => {
    const result = await clientNodeExec(['sh'], Readable.from(['echo from-stdin; cat /etc/conjur/ssl/probe.txt\n']));
    expect(result).toEqual({ stdout: 'from-stdin\ninjected', stderr: '', status: { metadata: {}, status: 'Success' }, protocol: 'v5.channel.k8s.io' });
  });

  it('reports a non-zero exit as a v4 JSON Status with an ExitCode cause', async () => {
    const result = await clientNodeExec(['sh', '-c', 'echo out; echo err >&2; exit 3'], null);
    expect(result.stdout).toBe('out\n');
    expect(result.stderr).toBe('err\n');
    expect(result.status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
  });

  it('uses v4 JSON status when the client offers v4 first', async () => {
    const c = openExec(`stdout=true&${SH_C('exit 0')}&container=app`, { protocols: ['v4.channel.k8s.io', 'channel.k8s.io'] });
    await c.closed;
    expect(c.ws.protocol).toBe('v4.channel.k8s.io');
    expect(c.frames.at(-1)).toEqual({ binary: true, channel: 3, text: '{"metadata":{},"status":"Success"}' });
  });
});

describe('attachExec refusals before the upgrade', () => {
  const cases = [
    { name: 'a wrong bearer token gets 401 Unauthorized', query: 'stdout=true&command=sh', token: 'nope', status: 401, message: 'Unauthorized' },
    { name: 'an unknown container gets 400', query: 'stdout=true&command=sh&container=ghost', status: 400, message: 'container ghost is not valid for pod agent-x' },
    { name: 'no container in a two-container pod gets 400', query: 'stdout=true&command=sh', status: 400, message: 'a container name must be specified for pod agent-x, choose one of: [authenticator app]' },
    { name: 'no stream at all gets 400', query: 'command=sh&container=app', status: 400, message: 'you must specify at least 1 of stdin, stdout, stderr' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { opened } = openExec(c.query, { ...(c.token ? { token: c.token } : {}) });
      const error = (await opened.then(() => undefined, (e: unknown) => e)) as { status: number; body: string };
      expect(error.status).toBe(c.status);
      expect(JSON.parse(error.body)).toMatchObject({ kind: 'Status', status: 'Failure', code: c.status, message: c.message });
    });
  }

  it('answers an offer of only unsupported subprotocols with a bare 403', async () => {
    const { opened } = openExec('stdout=true&command=sh&container=app', { protocols: ['base64.channel.k8s.io'] });
    await expect(opened).rejects.toMatchObject({ status: 403, body: '' });
  });

  it('refuses the next exec with an injected status, then serves again', async () => {
    exec.failNext(403);
    await expect(openExec('stdout=true&command=true&container=app').opened).rejects.toMatchObject({ status: 403 });
    const c = openExec(`stdout=true&${SH_C('exit 0')}&container=app`);
    expect(await c.closed).toBe(1000);
    expect(existsSync(exec.tmpDirOf(podUid, 'app'))).toBe(true);
  });
});
