import { setMaxListeners } from 'node:events';
import { DevelopmentIssuer } from '../../../src/dev-ca/index.js';
import type { WorkloadIdentity } from '../../../src/identity/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { SpiffeId, TrustDomain } from '../../../src/spiffe/index.js';
import type { X509Svid } from '../../../src/spiffe/index.js';
import { SvidCache } from '../../../src/svid-cache/index.js';
import type { AccessToken } from '../../../src/svid-cache/index.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import type { BenchPlan } from '../bench-plan.js';
import type { Figure } from '../report.js';

// Issue 4/7 "Conjur calls per pod per hour in steady state", measured rather than derived: the
// real SvidCache with its default schedule on a fake clock, SVIDs with Conjur's 3-day validity,
// tokens with Conjur's 8-minute lifetime, each pod holding one X.509 stream and several token
// streams for many simulated hours. The issuer and token issuer just count (no network): the
// cache's timers decide how often Conjur would be called.

const GROUP = 'Steady state (SvidCache schedule on a fake clock)';
const HOUR_MS = 60 * 60_000;
const SVID_TTL_MS = 3 * 24 * HOUR_MS; // Conjur's client certificate profile
const TOKEN_TTL_MS = 8 * 60_000; // Conjur's default token lifetime
const WARMUP_MS = HOUR_MS; // first issuance and first tokens are not steady state

export async function benchSteadyState(plan: BenchPlan): Promise<Figure[]> {
  const { pods, tokenSubscribersPerPod, hours } = plan.steadyState;
  const clock = new FakeClock();
  const trustDomain = TrustDomain.parse('cluster.local');
  const dev = new DevelopmentIssuer({ trustDomain, clock, logger: silentLogger, svidTtlMs: SVID_TTL_MS, caTtlMs: 30 * 24 * HOUR_MS });
  const calls = { issue: 0, authenticate: 0 };
  const issuer = { issue: (identity: WorkloadIdentity, signal: AbortSignal) => (calls.issue++, dev.issue(identity, signal)) };
  const tokens = {
    fetchToken: async (identity: WorkloadIdentity, _svid: X509Svid): Promise<AccessToken> => {
      calls.authenticate++;
      const now = clock.now();
      return { raw: Buffer.from('{}'), login: identity.conjurLogin ?? '', issuedAt: now, expiresAt: now + TOKEN_TTL_MS };
    },
  };
  const cache = new SvidCache({ issuer, bundles: dev, tokens, clock, logger: silentLogger });
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // one signal ends every simulated stream
  const streams: Promise<void>[] = [];
  for (let i = 0; i < pods; i++) {
    const identity = podIdentity(trustDomain, i);
    streams.push(drain(cache.subscribe(identity, stop.signal)));
    for (let s = 0; s < tokenSubscribersPerPod; s++) streams.push(drain(cache.subscribeToken(identity, stop.signal)));
  }
  await clock.advance(WARMUP_MS);
  const start = { ...calls };
  await clock.advance(hours * HOUR_MS);
  stop.abort();
  cache.close();
  await Promise.allSettled(streams);

  const injectsPerPodHour = (calls.issue - start.issue) / (pods * hours);
  const authPerPodHour = (calls.authenticate - start.authenticate) / (pods * hours);
  const refreshPeriodMs = TOKEN_TTL_MS - 2 * 60_000; // the default tokenRefreshBeforeExpiry
  const periods = (hours * HOUR_MS) / refreshPeriodMs;
  const authPerSubscriberPeriod = (calls.authenticate - start.authenticate) / (pods * tokenSubscribersPerPod * periods);
  return [
    { id: 'steady.injectsPerPodHour', group: GROUP, label: `inject_client_cert per pod per hour (${pods} pods, ${hours} h; renewal near half of 3 days)`, value: injectsPerPodHour, unit: '/pod/h' },
    { id: 'steady.authenticatesPerPodHour', group: GROUP, label: `authenticate per pod per hour with token subscribers (refresh every ${refreshPeriodMs / 60_000} min)`, value: authPerPodHour, unit: '/pod/h' },
    {
      id: 'steady.authenticatesPerSubscriberPeriod',
      group: GROUP,
      label: `authenticate per token subscriber per refresh period (${tokenSubscribersPerPod} subscribers per pod)`,
      value: authPerSubscriberPeriod,
      unit: 'calls',
      target: { text: 'at most 1 per token subscriber per refresh period', met: authPerSubscriberPeriod <= 1 },
    },
    { id: 'steady.authenticatesPerPodPeriod', group: GROUP, label: 'authenticate per pod per refresh period (subscribers share one token)', value: authPerSubscriberPeriod * tokenSubscribersPerPod, unit: 'calls' },
  ];
}

function podIdentity(trustDomain: TrustDomain, i: number): WorkloadIdentity {
  return {
    key: `pod-uid-${i}`,
    spiffeId: SpiffeId.fromSegments(trustDomain, 'namespace', 'bench', 'podname', `app-${i}`),
    hint: `host/apps/bench/app-${i}`,
    conjurLogin: `host/apps/bench/app-${i}`,
    facts: { kind: 'unix', process: { pid: 1000 + i, uid: 1000, gid: 1000 } },
  };
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  try {
    for await (const _ of stream);
  } catch {
    // the cache's close() ends every stream with an error; that is the end of the simulation
  }
}
