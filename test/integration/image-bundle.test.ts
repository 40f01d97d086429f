import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import { startRunProcess } from '../bench/startup/run-process.js';
import { writeConfigFile } from '../support/config-file.js';
import type { RunningAgentProcess } from '../bench/startup/run-process.js';
import { BenchNode } from '../bench/node/bench-node.js';
import { imageNodeFlags } from '../support/image-node-flags.js';

// The container image runs the esbuild bundle (scripts/bundle-image.mjs), not the sources the
// other tests run: this builds it as `npm run build` does and runs the real commands from it,
// so a dependency that breaks when bundled (files found next to its own code, a dynamic
// require) fails here instead of in a cluster.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Inside the checkout: the bundle finds node_modules (the external gRPC stack), proto/ and the
// native addon by walking up, as it does from /app/dist/image in the image.
const OUT = join(ROOT, 'dist', `image-test-${process.pid}`);
const MAIN = join(OUT, 'main.js');

function cli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH ?? '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('the image bundle', () => {
  let node: BenchNode;
  let agent: RunningAgentProcess | undefined;

  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle-image.mjs'), OUT, 'src/main.ts'], { cwd: ROOT, stdio: 'pipe' });
    node = await BenchNode.start(1);
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await node?.close();
    rmSync(OUT, { recursive: true, force: true });
  });

  it('prints its version', async () => {
    expect(existsSync(MAIN)).toBe(true);
    const result = await cli(['--version']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('carries the V8 code cache of the command line for no flags and the ENTRYPOINT\'s, and Node accepts it (else every command compiles it again)', () => {
    expect(codeCacheRejected('cli.cjs')).toEqual([false, false]);
    // main.js is the entry and the loaders; the commands themselves are in cli.cjs.
    expect(readFileSync(MAIN, 'utf8')).not.toContain('Talk to the Workload API');
  });

  it('answers a bad command line and an absent agent in one line each, from the bundled command line', async () => {
    expect(await cli(['api', 'fetch'])).toEqual({ code: 1, stdout: '', stderr: "error: 'conjur-spiffe-agent api fetch' needs a command: x509, bundles, token (see --help)\n" });
    const missing = join(OUT, 'missing.sock');
    expect(await cli(['api', 'fetch', 'x509', '--socket', missing])).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: FetchX509SVID to unix://${missing} failed: cannot connect: connect ENOENT ${missing} (is the agent running?)\n`,
    });
  });

  it('carries the V8 code cache of the agent for the flags it runs with (bare, and the image ENTRYPOINT\'s), and Node accepts it', () => {
    expect(imageNodeFlags().length).toBeGreaterThan(0);
    expect(codeCacheRejected('agent.cjs')).toEqual([false, false]);
  });

  it('explains a configuration problem of `run` in one line per problem and fails', async () => {
    const configFile = join(node.node.dirs.root, 'broken.yaml');
    writeFileSync(configFile, 'socketPath: relative/agent.sock\n');
    const result = await cli(['run', '--config', configFile]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*socketPath/m);
    expect(result.stderr).toMatch(/^error: the agent did not start: \d+ configuration problems?$/m);
  });

  it('runs the agent against the node until it is ready, and serves a pod its SVID through the bundled command line', async () => {
    const socketPath = join(node.node.dirs.socketDir, 'agent.sock');
    const configFile = writeConfigFile(node.node.dirs.root, { ...node.agentOverrides(socketPath), 'log.level': 'info' });
    agent = startRunProcess({ nodeArgs: [], args: [MAIN] }, configFile);
    await agent.whenLogged('Agent started', 30_000);
    // Ready means the pod watch synced (client-node), the agent logged in to Conjur and the bundle loaded.
    let health = await cli(['healthcheck', '--socket', socketPath]);
    for (let i = 0; i < 100 && health.code !== 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      health = await cli(['healthcheck', '--socket', socketPath]);
    }
    expect(health.stdout).toMatch(/is healthy \(SERVING\)/);

    const pod = node.workloadPods[0]!;
    const fetchInPod = async (what: string): Promise<unknown> => {
      const fetch = spawn(process.execPath, [MAIN, 'api', 'fetch', what, '--json', '--socket', socketPath], { env: { PATH: process.env.PATH ?? '' } });
      node.placeInPod(fetch.pid!, pod);
      let stdout = '';
      let stderr = '';
      fetch.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      fetch.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => fetch.once('exit', resolve));
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      return JSON.parse(stdout);
    };
    expect((await fetchInPod('x509') as { svids: { spiffeId: string }[] }).svids.map((s) => s.spiffeId)).toEqual([pod.spiffeId]);
    // The token's expiry is the one int64 the agent serves: the bundle's protobufjs encodes it
    // through long's plain JavaScript path (scripts/bundle-image.mjs).
    const token = (await fetchInPod('token')) as { spiffeId: string; expiresAt: string; expiresInSeconds: number };
    expect(token.spiffeId).toBe(pod.spiffeId);
    expect(token.expiresInSeconds).toBeGreaterThan(60);
    expect(token.expiresInSeconds).toBeLessThanOrEqual(8 * 60);
    expect(Math.abs(Date.parse(token.expiresAt) - Date.now() - token.expiresInSeconds * 1000)).toBeLessThan(5_000);
  }, 90_000);

  it('answers gRPC server reflection (the bundled gRPC stack serves @grpc/reflection, loaded from node_modules)', async () => {
    expect(agent).toBeDefined();
    const socketPath = join(node.node.dirs.socketDir, 'agent.sock');
    const protoFile = join(dirname(createRequire(import.meta.url).resolve('@grpc/reflection')), '../proto/grpc/reflection/v1/reflection.proto');
    const loaded = protoLoader.loadSync(protoFile, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    type Reflection = grpc.Client & { ServerReflectionInfo(): grpc.ClientDuplexStream<object, { list_services_response?: { service: { name: string }[] } }> };
    const pkg = grpc.loadPackageDefinition(loaded) as unknown as { grpc: { reflection: { v1: { ServerReflection: new (target: string, creds: grpc.ChannelCredentials) => Reflection } } } };
    const client = new pkg.grpc.reflection.v1.ServerReflection(`unix:${socketPath}`, grpc.credentials.createInsecure());
    try {
      const names = await new Promise<string[]>((resolve, reject) => {
        const call = client.ServerReflectionInfo();
        call.on('data', (response: { list_services_response?: { service: { name: string }[] } }) => {
          resolve(response.list_services_response?.service.map((s) => s.name) ?? []);
          call.end();
        });
        call.on('error', reject);
        call.write({ list_services: '*' });
      });
      expect(names).toEqual(expect.arrayContaining(['SpiffeWorkloadAPI', 'conjur.spiffe.v1.ConjurTokenService', 'grpc.health.v1.Health']));
    } finally {
      client.close();
    }
  });
});

/**
 * Whether V8 rejects the code cache of `bundle` in a Node started bare and with the image's
 * flags, compiled as scripts/image/load-cached-bundle.mjs does (compiling runs none of it).
 */
function codeCacheRejected(bundle: string): boolean[] {
  const check = join(OUT, 'check-code-cache.cjs');
  writeFileSync(
    check,
    [
      "const { readFileSync } = require('node:fs');",
      "const Module = require('node:module');",
      "const { Script } = require('node:vm');",
      `const { codeCacheFile } = require(${JSON.stringify(join(ROOT, 'scripts', 'image', 'code-cache-file.cjs'))});`,
      `const file = ${JSON.stringify(join(OUT, bundle))};`,
      "const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData: readFileSync(codeCacheFile(file, process.execArgv)) });",
      'process.stdout.write(String(script.cachedDataRejected));',
    ].join('\n'),
  );
  return [[], imageNodeFlags()].map((flags) => execFileSync(process.execPath, [...flags, check], { encoding: 'utf8' }) === 'true');
}
