import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConjurAgentIdentity } from '../../../src/conjur/index.js';
import { TrustDomain } from '../../../src/spiffe/index.js';
import { FakeBundleSource } from '../../fakes/fake-bundle-source.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { createTestCa } from '../../support/test-ca.js';
import type { TestCa } from '../../support/test-ca.js';
import { FakeConjurClient } from './fake-conjur-client.js';

const LOGIN = 'host/conjur/authn-k8s/dev/apps/agents/service_account/agent';
const MINUTE = 60_000;

let ca: TestCa;
let dir: string;
let clock: FakeClock;
let conjur: FakeConjurClient;
let identity: ConjurAgentIdentity;
let running: AbortController;
let done: Promise<void>;

beforeAll(async () => {
  ca = await createTestCa({ keyType: 'rsa-2048' });
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-ssl-'));
  clock = new FakeClock(Date.now());
  conjur = new FakeConjurClient(ca, clock, () => dir);
  const trustDomain = TrustDomain.parse('cluster.local');
  identity = new ConjurAgentIdentity({
    client: conjur,
    login: LOGIN,
    podName: 'agent-x7k2q',
    podNamespace: 'agents',
    trustDomain,
    certDir: dir,
    trustBundle: FakeBundleSource.of('cluster.local', ca.certDer),
    confirmTimeoutMs: 1_000,
    clock,
  });
  running = new AbortController();
});

afterEach(async () => {
  running.abort();
  await done;
  expect(clock.pendingTimers).toBe(0);
  await rm(dir, { recursive: true, force: true });
});

function start(): void {
  done = identity.run(running.signal);
}

/**
 * Real time passes for file I/O while the fake clock creeps forward (100 ms a step, 20 s at
 * most): a timer the agent sets just after the test's own `advance` still comes due, and no
 * 6-minute schedule is reached by creeping alone.
 */
async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) {
    await clock.advance(100);
    await new Promise((r) => setTimeout(r, 10));
  }
  expect(check()).toBe(true);
}

describe('ConjurAgentIdentity', () => {
  it('logs in with its own pod as injection target, keeps the certificate only in memory, and gets a token', async () => {
    start();
    const token = await identity.token(running.signal);
    expect(token.login).toBe(LOGIN);
    expect(identity.spiffeId.toString()).toBe('spiffe://cluster.local/namespace/agents/podname/agent-x7k2q');
    expect(existsSync(join(dir, 'client.pem'))).toBe(false);
    expect(identity.state).toEqual({ kind: 'ready', tokenExpiresAt: token.expiresAt });
  });

  it('refreshes the token every 6 minutes without a new injection', async () => {
    start();
    await identity.token(running.signal);
    await clock.advance(6 * MINUTE);
    await eventually(() => conjur.calls.authenticate === 2);
    expect(conjur.calls.inject).toBe(1);
  });

  it('logs in again once when Conjur answers 401 to the current certificate', async () => {
    start();
    await identity.token(running.signal);
    conjur.failNext('authenticate', 401);
    await clock.advance(6 * MINUTE);
    await eventually(() => conjur.calls.authenticate === 3);
    expect(conjur.calls.inject).toBe(2);
    await eventually(() => identity.state.kind === 'ready');
  });

  it('does not re-inject on 403 and reports failing while it still holds a valid token', async () => {
    start();
    const token = await identity.token(running.signal);
    conjur.failNext('authenticate', 403);
    await clock.advance(6 * MINUTE);
    await eventually(() => identity.state.kind === 'failing');
    expect(conjur.calls.inject).toBe(1);
    expect(identity.state).toMatchObject({ kind: 'failing', tokenExpiresAt: token.expiresAt, reason: 'conjur returned 403 for authenticate' });
  });

  // Issue 11: with the bundle read from Conjur, the first login cannot check the issuer (the CA is
  // read with the token it yields); the certificate is checked as soon as the bundle is loaded.
  it("refuses its own certificate once a loaded bundle shows it does not chain, logs in again, and stays failing while the CA differs", async () => {
    const bundle = new FakeBundleSource();
    const other = await createTestCa({ commonName: 'another authn-k8s CA' });
    identity = new ConjurAgentIdentity({
      client: conjur,
      login: LOGIN,
      podName: 'agent-x7k2q',
      podNamespace: 'agents',
      trustDomain: TrustDomain.parse('cluster.local'),
      certDir: dir,
      trustBundle: bundle,
      confirmTimeoutMs: 1_000,
      clock,
    });
    start();
    await identity.token(running.signal);
    expect(conjur.calls.inject).toBe(1);
    bundle.set(FakeBundleSource.of('cluster.local', other.certDer).current()!);
    await eventually(() => identity.state.kind === 'failing');
    expect(identity.state).toMatchObject({ kind: 'failing', reason: expect.stringMatching(/issuer check|does not chain to the authn-k8s CA/) });
    await eventually(() => conjur.calls.inject === 2); // logged in again, and the new certificate was checked
    expect(identity.state.kind).toBe('failing');
    // The right CA: the next login passes the check.
    bundle.set(FakeBundleSource.of('cluster.local', ca.certDer).current()!);
    for (let i = 0; i < 40 && identity.state.kind !== 'ready'; i++) await clock.advance(1_000), await new Promise((r) => setTimeout(r, 10));
    expect(identity.state.kind).toBe('ready');
  });

  it('backs off while Conjur is down and becomes ready when it returns', async () => {
    conjur.failNext('inject', 503, 2);
    start();
    await eventually(() => identity.state.kind === 'failing');
    expect(identity.state).toMatchObject({ kind: 'failing', reason: 'conjur returned 503 for inject' });
    await clock.advance(3_000);
    await eventually(() => conjur.calls.inject === 2);
    await clock.advance(6_000);
    await eventually(() => identity.state.kind === 'ready');
    expect(conjur.calls.inject).toBe(3);
  });

  it('logs in again when half of the certificate lifetime has passed', async () => {
    start();
    await identity.token(running.signal);
    for (let i = 0; i < 13; i++) await clock.advance(6 * 60 * MINUTE);
    // A 6-hour jump can overrun a login in flight, which then retries: at least one new login.
    await eventually(() => conjur.calls.inject >= 2);
  });

  it('fails closed when the injected certificate carries another key', async () => {
    conjur.injection = 'wrong-key';
    start();
    for (let i = 0; i < 100 && identity.state.kind !== 'failing'; i++) {
      await clock.advance(100);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(identity.state).toMatchObject({ reason: expect.stringContaining('failed the public-key check') });
    expect(conjur.calls.authenticate).toBe(0);
  });

  it('reads a secret with its token and retries once with a new token after a 401', async () => {
    conjur.variables.set('conjur/authn-k8s/dev/ca/cert', Buffer.from('pem'));
    start();
    await identity.token(running.signal);
    conjur.revokeTokens();
    expect(await identity.fetchSecret('conjur/authn-k8s/dev/ca/cert', running.signal)).toEqual(Buffer.from('pem'));
    expect(conjur.calls.secrets).toBe(2);
    expect(conjur.calls.authenticate).toBe(2);
  });
});
