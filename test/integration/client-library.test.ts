import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/async/index.js';
import { UnixAttestor } from '../../src/attestation/index.js';
import { runCli } from '../../src/cli/index.js';
import type { CliActions } from '../../src/cli/index.js';
import { authorizeId, WorkloadApiError, X509Source } from '../../src/client/index.js';
import type { WorkloadApiErrorCode } from '../../src/client/index.js';
import { DevelopmentIssuer } from '../../src/dev-ca/index.js';
import { UidIdentityResolver } from '../../src/identity/index.js';
import { silentLogger } from '../../src/log/index.js';
import { TrustDomain } from '../../src/spiffe/index.js';
import { SvidCache } from '../../src/svid-cache/index.js';
import { createWorkloadApiServer, WorkloadEndpoint } from '../../src/workload-api/index.js';

// The Node.js client library and the CLI against the real development agent (real time, real
// Unix socket): the development CA issues 3-second SVIDs, so the cache renews about every second.

const TRUST_DOMAIN = TrustDomain.parse('example.org');
const MY_ID = `spiffe://example.org/uid/${process.getuid!()}`;

interface DevAgent {
  issuer: DevelopmentIssuer;
  endpoint: WorkloadEndpoint;
  close(): Promise<void>;
}

async function startDevAgent(socketPath: string): Promise<DevAgent> {
  const issuer = new DevelopmentIssuer({ trustDomain: TRUST_DOMAIN, clock: systemClock, logger: silentLogger, svidTtlMs: 3000 });
  const cache = new SvidCache({ issuer, bundles: issuer, clock: systemClock, logger: silentLogger });
  const api = createWorkloadApiServer({
    attestor: new UnixAttestor({ procRoot: '/proc' }),
    identities: new UidIdentityResolver({ trustDomain: TRUST_DOMAIN }),
    svids: cache,
    logger: silentLogger,
  });
  const endpoint = new WorkloadEndpoint(api, { socketPath, logger: silentLogger });
  await endpoint.listen();
  return {
    issuer,
    endpoint,
    async close() {
      await endpoint.close(1000);
      cache.close();
    },
  };
}

/** The next update for which `accept` holds, within `limitMs`. */
async function nextUpdate(source: X509Source, accept: (s: X509Source) => boolean, limitMs = 10_000): Promise<void> {
  const stop = AbortSignal.timeout(limitMs);
  for await (const _ of source.updated(stop)) if (accept(source)) return;
  throw new Error(`no matching update within ${limitMs} ms`);
}

/** `api` commands never run agent code. */
const unused = () => Promise.reject(new Error('not used by api commands'));
const NO_AGENT_ACTIONS: CliActions = { runDev: unused, runAgent: unused, debugAttest: unused, validateConfig: () => [] };

/** Polls on the event loop until `condition` holds (at most `limitMs`). */
async function eventually(condition: () => boolean, limitMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > limitMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const serial = (source: X509Source) => new X509Certificate(source.getX509Svid().certChain[0]!).serialNumber;

describe('client library against the development agent', () => {
  let dir: string;
  let socketPath: string;
  let agent: DevAgent | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'client-lib-'));
    socketPath = join(dir, 'agent.sock');
  });

  afterEach(async () => {
    if (agent) {
      // Every source was closed: its connection and streams must be gone from the agent.
      await eventually(() => agent!.endpoint.connectionCount === 0 && agent!.endpoint.openStreamCount === 0);
      await agent.close();
    }
    agent = undefined;
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('picks up rotations on its one stream, without reconnecting', async () => {
    const running = (agent = await startDevAgent(socketPath));
    const errors: WorkloadApiErrorCode[] = [];
    const source = await X509Source.create({ socket: `unix://${socketPath}`, onError: (e) => errors.push(e.code) });
    try {
      expect(source.getX509Svid().id.toString()).toBe(MY_ID);
      const first = serial(source);
      const firstContext = source.secureContext();
      await nextUpdate(source, (s) => serial(s) !== first);
      expect(source.secureContext()).not.toBe(firstContext);
      const leaf = new X509Certificate(source.getX509Svid().certChain[0]!);
      expect(leaf.verify(new X509Certificate(running.issuer.rootCertDer).publicKey)).toBe(true);
      expect(errors).toEqual([]);
      expect(running.endpoint.connectionCount).toBe(1);
    } finally {
      await source.close();
    }
  });

  it('keeps its SVID while the agent is down and reconnects when it is back', async () => {
    const first = await startDevAgent(socketPath);
    const errors: WorkloadApiErrorCode[] = [];
    const source = await X509Source.create({
      socket: socketPath,
      backoff: { initialMs: 100, maxMs: 400 },
      onError: (e) => errors.push(e.code),
    });
    try {
      const before = source.getX509Svid();
      await first.close();
      expect(source.getX509Svid()).toBe(before); // still usable during the outage
      agent = await startDevAgent(socketPath); // a new CA: the bundle changes too
      const newRoot = agent.issuer.rootCertDer;
      await nextUpdate(source, (s) => s.getBundleForTrustDomain('example.org')!.authorities[0]!.equals(newRoot));
      expect(new X509Certificate(source.getX509Svid().certChain[0]!).verify(new X509Certificate(newRoot).publicKey)).toBe(true);
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((code) => code === 'unavailable')).toBe(true);
    } finally {
      await source.close();
    }
  });

  it('authorizes both sides of an HTTPS exchange by SPIFFE ID with dev-CA SVIDs', async () => {
    agent = await startDevAgent(socketPath);
    const source = await X509Source.create({ socket: socketPath });
    const server = https.createServer(source.tlsServerOptions(), (_req, res) => res.end('ok'));
    source.secureServer(server, { authorize: authorizeId(MY_ID) });
    try {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const get = (authorizeAs: string) =>
        new Promise<string>((resolve, reject) => {
          const request = https.get({ host: '127.0.0.1', port, agent: false, ...source.tlsClientOptions({ authorize: authorizeId(authorizeAs) }) }, (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => (body += chunk.toString()));
            res.on('end', () => resolve(body));
          });
          request.on('error', reject);
        });
      expect(await get(MY_ID)).toBe('ok');
      await expect(get('spiffe://example.org/uid/99999')).rejects.toThrow(`unexpected SPIFFE ID ${MY_ID}`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await source.close();
    }
  });

  it('keeps retrying an absent agent, reporting why, until its signal gives up', async () => {
    const reasons: string[] = [];
    const created = X509Source.create({
      socket: join(dir, 'nobody.sock'),
      signal: AbortSignal.timeout(300),
      backoff: { initialMs: 50, maxMs: 100 },
      onError: (e) => reasons.push(e.message),
    });
    const error = await created.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkloadApiError);
    expect((error as WorkloadApiError).code).toBe('closed');
    expect(reasons[0]).toBe(`FetchX509SVID to unix://${join(dir, 'nobody.sock')} failed: cannot connect: connect ENOENT ${join(dir, 'nobody.sock')} (is the agent running?)`);
  });
});

describe('conjur-spiffe-agent api fetch x509 --write against the development agent', () => {
  let dir: string;
  let agent: DevAgent;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cli-e2e-'));
    agent = await startDevAgent(join(dir, 'agent.sock'));
  });

  afterAll(async () => {
    await agent.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes svid.0.pem, svid.0.key and bundle.0.pem with a key that matches the certificate', async () => {
    const out = join(dir, 'out');
    await mkdir(out);
    let stdout = '';
    let stderr = '';
    const code = await runCli(['api', 'fetch', 'x509', '--socket', join(dir, 'agent.sock'), '--write', out], NO_AGENT_ACTIONS, {
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
      signal: new AbortController().signal,
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain(`SPIFFE ID:\t\t${MY_ID}`);
    expect((await readdir(out)).sort()).toEqual(['bundle.0.pem', 'svid.0.key', 'svid.0.pem']);
    const cert = new X509Certificate(await readFile(join(out, 'svid.0.pem')));
    expect(cert.checkPrivateKey(createPrivateKey(await readFile(join(out, 'svid.0.key'))))).toBe(true);
    expect(cert.verify(new X509Certificate(await readFile(join(out, 'bundle.0.pem'))).publicKey)).toBe(true);
    expect(new X509Certificate(await readFile(join(out, 'bundle.0.pem'))).raw.equals(agent.issuer.rootCertDer)).toBe(true);
    expect((await stat(join(out, 'svid.0.key'))).mode & 0o777).toBe(0o600);
  });
});
