import { describe, expect, it } from '@jest/globals';
import { runAll } from '../bench/run-all.js';
import { lookupRealKubeBinaries } from '../support/real-kube/binaries.js';

// Keeps `npm run bench` from rotting: the whole bench in quick mode (tiny sample counts), in this
// process, with its agent and client processes. It checks that every figure is produced as a
// finite number, never how fast anything was: timing belongs to the bench, not to the tests.

const EXPECTED_FIGURES = [
  'cached.existing.p50',
  'cached.existing.p99',
  'cached.new.p50',
  'cached.new.p99',
  'steady.injectsPerPodHour',
  'steady.authenticatesPerPodHour',
  'steady.authenticatesPerSubscriberPeriod',
  'steady.authenticatesPerPodPeriod',
  'conjurFailures.first35s',
  'conjurFailures.next10min',
  'conjurFailures.recovery',
  'conjurFailures.reconnects',
  'attest.known.p50',
  'attest.known.p99',
  'attest.known.kubeletRequests',
  'attack.quiet.firstSvid.p50',
  'attack.quiet.cached.p99',
  ...['streams', 'idle', 'watches', 'reset'].flatMap((flood) => [`attack.${flood}.firstSvid.p50`, `attack.${flood}.cached.p99`]),
  'attack.peakRss',
  'attest.new.p50',
  'attest.new.max',
  'attest.memory.kubeletHeap',
  'attest.memory.kubeletRss',
  'attest.memory.apiViewHeap',
  'attest.memory.rss',
  'newPod.svid.p50',
  'newPod.svid.max',
  'newPod.svid.kube',
  'newPod.svid.inject',
  'newPod.svid.agent',
  'newPod.token.p50',
  'newPod.token.authenticate',
  'newPod.token.agent',
  'newPod.conjurCalls',
  'scale.rest.streams',
  'scale.rest.rss',
  'scale.rest.heap',
  'scale.rest.retainedHeap',
  'scale.rest.cpu',
  'scale.fill',
  'scale.settle',
  'upstream.rest.kubelet',
  'upstream.rest.conjur',
  'scale.bundle.p50',
  'scale.bundle.p99',
  'scale.bundle.max',
  'burst.known.p99',
  'burst.known.kubelet',
  'burst.known.conjur',
  'burst.newPod.p99',
  'burst.newPod.kubelet',
  'burst.newPod.inject',
  'idle.settle',
  'idle.cpu',
  'idle.rss',
  'idle.retainedHeap',
  'upstream.idle.kubelet',
  'upstream.idle.conjur',
  'scale.reissue',
  'scale.reissue.inject',
  'scale.reissue.agentCpu',
  'scale.reissue.doublesCpu',
  'scale.reissue.concurrency',
  'scale.peakRss',
  'sds.first.p50',
  'sds.first.p99',
  'sds.rotation.p50',
  'sds.rotation.p99',
  'sds.rotation.max',
  'sds.fill.p50',
  'startup.run.socket',
  'startup.run.firstSvid',
  'startup.run.conjur',
  'startup.run.notConjur',
  'startup.run.firstConjur',
  'startup.run.rss',
  'startup.run.settle',
  'startup.run.cpu',
  ...['version', 'healthcheck', 'fetch'].flatMap((command) => ['wall', 'cpu', 'rss'].map((figure) => `startup.image.${command}.${figure}`)),
  // Only where the real control plane can be had (Go installed, or its binaries cached).
  ...(lookupRealKubeBinaries().kind === 'no-go' ? [] : ['realApi.firstSvid.p50', 'realApi.firstSvid.max', 'realApi.eviction.p50', 'realApi.eviction.max']),
];

describe('the benchmark suite', () => {
  it('produces every figure as a finite number in quick mode', async () => {
    const results = await runAll({ quick: true });

    expect(results.figures.map((f) => f.id).sort()).toEqual([...EXPECTED_FIGURES].sort());
    const notFinite = results.figures.filter((f) => !Number.isFinite(f.value) || (f.floor !== undefined && !Number.isFinite(f.floor.value)));
    expect(notFinite).toEqual([]);
  }, 300_000);
});
