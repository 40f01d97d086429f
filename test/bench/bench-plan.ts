// How much each bench measures. `full` is what the README's table comes from (about 2.5 minutes
// on 2 cores); `quick` checks that every figure can still be produced (seconds, not meaningful).

export interface BenchPlan {
  readonly mode: 'full' | 'quick';
  readonly cached: { readonly samples: number; readonly warmup: number; readonly rounds: number };
  readonly attestation: { readonly knownSamples: number; readonly newSamples: number };
  readonly newPod: { readonly samples: number; readonly spacingMs: number };
  readonly steadyState: { readonly pods: number; readonly tokenSubscribersPerPod: number; readonly hours: number };
  /** Samples of the first SDS response beside the first FetchX509SVID message (sds bench). */
  readonly sds: { readonly samples: number; readonly warmup: number; readonly rounds: number };
  readonly startup: {
    /** Runs of each command (and of the floor); medians are reported. */
    readonly cliSamples: number;
    /**
     * After the first SVID, before the rest window: start-up garbage and timers settle, and V8's
     * memory reducer has run (about 8 s after the last full GC); its CPU is reported on its own row.
     */
    readonly settleMs: number;
    readonly restWindowMs: number;
  };
  /** New pods measured against the real API server and, interleaved, against the double (real-api bench). */
  readonly realApi: { readonly samples: number; readonly spacingMs: number };
  /** Agent time after the first 35 s over which a failing pod's Conjur requests are counted (accelerated clock). */
  readonly conjurFailures: { readonly laterMs: number };
  /** Under attack: new pods' first SVIDs and cached samples measured quiet and during each flood. */
  readonly attack: { readonly newPods: number; readonly cachedSamples: number };
  readonly scale: {
    /** Workload pods on the node (the agent's own pod comes on top). */
    readonly pods: number;
    readonly streamsPerPod: number;
    readonly clients: number;
    readonly connectionsPerClient: number;
    readonly restWindowMs: number;
    readonly idleWindowMs: number;
    /** Before the rest and idle windows: until the agent has done no full GC for this long (V8's memory reducer runs about 8 s after a burst). */
    readonly settleQuietMs: number;
    /** ...or this long at most (the settle row then says it was not quiet). */
    readonly settleMaxMs: number;
    readonly burstCallers: number;
  };
}

export const FULL_PLAN: BenchPlan = {
  mode: 'full',
  cached: { samples: 2_000, warmup: 100, rounds: 10 },
  attestation: { knownSamples: 2_000, newSamples: 20 },
  // New pods 600 ms apart: the kubelet is asked at most every 500 ms (the agent's default).
  newPod: { samples: 20, spacingMs: 600 },
  steadyState: { pods: 20, tokenSubscribersPerPod: 2, hours: 80 },
  sds: { samples: 1_000, warmup: 50, rounds: 10 },
  startup: { cliSamples: 10, settleMs: 12_000, restWindowMs: 20_000 },
  realApi: { samples: 20, spacingMs: 600 },
  conjurFailures: { laterMs: 10 * 60_000 },
  attack: { newPods: 5, cachedSamples: 500 },
  scale: { pods: 250, streamsPerPod: 4, clients: 4, connectionsPerClient: 10, restWindowMs: 20_000, idleWindowMs: 30_000, settleQuietMs: 10_000, settleMaxMs: 45_000, burstCallers: 100 },
};

export const QUICK_PLAN: BenchPlan = {
  mode: 'quick',
  cached: { samples: 20, warmup: 2, rounds: 2 },
  attestation: { knownSamples: 20, newSamples: 2 },
  newPod: { samples: 2, spacingMs: 600 },
  steadyState: { pods: 2, tokenSubscribersPerPod: 2, hours: 80 },
  sds: { samples: 20, warmup: 2, rounds: 2 },
  startup: { cliSamples: 1, settleMs: 100, restWindowMs: 1_000 },
  realApi: { samples: 2, spacingMs: 600 },
  conjurFailures: { laterMs: 60_000 },
  attack: { newPods: 1, cachedSamples: 20 },
  scale: { pods: 8, streamsPerPod: 2, clients: 2, connectionsPerClient: 2, restWindowMs: 1_000, idleWindowMs: 1_000, settleQuietMs: 500, settleMaxMs: 2_000, burstCallers: 6 },
};
