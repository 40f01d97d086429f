import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../src/async/index.js';
import { ConjurBundleSource, ConjurError, FileBundleSource } from '../../../src/conjur/index.js';
import { TrustDomain } from '../../../src/spiffe/index.js';
import type { BundleSet } from '../../../src/spiffe/index.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { createTestCa } from '../../support/test-ca.js';
import type { TestCa } from '../../support/test-ca.js';

const TD = TrustDomain.parse('cluster.local');
let ca1: TestCa;
let ca2: TestCa;

beforeAll(async () => {
  [ca1, ca2] = await Promise.all([createTestCa({ commonName: 'ca one' }), createTestCa({ commonName: 'ca two' })]);
});

const authorities = (set: BundleSet | undefined) => set?.get('cluster.local')?.authorities.map((d) => d.toString('hex'));
const hex = (...cas: TestCa[]) => cas.map((c) => c.certDer.toString('hex'));

/** Collects what a subscription yields, in the background. */
function collect(source: { subscribe(signal: AbortSignal): AsyncIterable<BundleSet> }, signal: AbortSignal): BundleSet[] {
  const seen: BundleSet[] = [];
  void (async () => {
    for await (const set of source.subscribe(signal)) seen.push(set);
  })();
  return seen;
}

async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe('ConjurBundleSource', () => {
  let clock: FakeClock;
  let values: (Buffer | Error)[];
  let reads: string[];
  let running: AbortController;
  let done: Promise<void>;
  let source: ConjurBundleSource;

  beforeEach(() => {
    clock = new FakeClock(Date.now());
    values = [];
    reads = [];
    running = new AbortController();
    const secrets = {
      fetchSecret: async (id: string) => {
        reads.push(id);
        const next = values.length > 1 ? values.shift()! : values[0]!;
        if (next instanceof Error) throw next;
        return next;
      },
    };
    source = new ConjurBundleSource({ secrets, serviceId: 'dev', trustDomain: TD, clock });
  });

  afterEach(async () => {
    running.abort();
    await done;
    expect(clock.pendingTimers).toBe(0);
  });

  it('reads the CA variable and yields a bundle for the trust domain', async () => {
    values = [Buffer.from(ca1.certPem + ca2.certPem)];
    const seen = collect(source, running.signal);
    done = source.run(running.signal);
    await eventually(() => seen.length === 1);
    expect(reads).toEqual(['conjur/authn-k8s/dev/ca/cert']);
    expect(authorities(seen[0])).toEqual(hex(ca1, ca2));
    expect(source.current()).toBe(seen[0]);
  });

  it('re-polls every 5 minutes and yields only when the CA changed', async () => {
    values = [Buffer.from(ca1.certPem), Buffer.from(ca1.certPem), Buffer.from(ca2.certPem)];
    const seen = collect(source, running.signal);
    done = source.run(running.signal);
    await eventually(() => seen.length === 1);
    await clock.advance(5 * 60_000);
    await eventually(() => reads.length === 2);
    await clock.advance(5 * 60_000);
    await eventually(() => seen.length === 2);
    expect(seen.map(authorities)).toEqual([hex(ca1), hex(ca2)]);
  });

  it('keeps the last bundle when a read fails and retries sooner than the poll', async () => {
    values = [Buffer.from(ca1.certPem), new ConjurError('unavailable', 'down'), Buffer.from('garbage'), Buffer.from(ca2.certPem)];
    done = source.run(running.signal);
    await eventually(() => source.current() !== undefined);
    await clock.advance(5 * 60_000);
    await eventually(() => reads.length === 2);
    expect(authorities(source.current())).toEqual(hex(ca1));
    // Retries come sooner than the 5-minute poll; step time forward until each one has happened
    // (the retry timer is set only once the failed read has been handled).
    await advanceUntil(clock, () => reads.length === 3, 60_000);
    expect(authorities(source.current())).toEqual(hex(ca1));
    await advanceUntil(clock, () => authorities(source.current())?.[0] === hex(ca2)[0], 60_000);
  });
});

/** Moves the fake clock in 500 ms steps, letting real I/O run between them, until `check` holds. */
async function advanceUntil(clock: FakeClock, check: () => boolean, maxMs: number): Promise<void> {
  for (let elapsed = 0; elapsed <= maxMs && !check(); elapsed += 500) {
    await clock.advance(500);
    await new Promise((r) => setTimeout(r, 5));
  }
  expect(check()).toBe(true);
}

describe('FileBundleSource', () => {
  let dir: string;
  let running: AbortController;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bundle-'));
    running = new AbortController();
  });
  afterEach(async () => {
    running.abort();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the file and reloads it when replaced', async () => {
    const path = join(dir, 'ca.pem');
    await writeFile(path, ca1.certPem);
    const source = new FileBundleSource({ path, trustDomain: TD, pollIntervalMs: 60_000, clock: systemClock });
    const seen = collect(source, running.signal);
    const done = source.run(running.signal);
    await eventually(() => seen.length === 1);
    await writeFile(join(dir, 'ca.pem.new'), ca2.certPem);
    await rename(join(dir, 'ca.pem.new'), path);
    await eventually(() => seen.length === 2);
    expect(seen.map(authorities)).toEqual([hex(ca1), hex(ca2)]);
    running.abort();
    await done;
  });

  it('keeps the last good bundle when the file turns bad', async () => {
    const path = join(dir, 'ca.pem');
    await writeFile(path, ca1.certPem);
    const source = new FileBundleSource({ path, trustDomain: TD, pollIntervalMs: 20, clock: systemClock });
    const done = source.run(running.signal);
    await eventually(() => source.current() !== undefined);
    await writeFile(path, 'not a certificate');
    await new Promise((r) => setTimeout(r, 100));
    expect(authorities(source.current())).toEqual(hex(ca1));
    running.abort();
    await done;
  });

  it('fails to start when the file is missing', async () => {
    const source = new FileBundleSource({ path: join(dir, 'missing.pem'), trustDomain: TD, clock: systemClock });
    await expect(source.run(running.signal)).rejects.toThrow();
  });
});
