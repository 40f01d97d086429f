import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Gauges that are read from components when Prometheus scrapes, instead of being pushed. */
export interface MetricsProbes {
  workloadConnections?: () => number;
  workloadStreams?: () => number;
  /** Open Envoy SDS streams (also counted in workloadStreams). */
  sdsStreams?: () => number;
  cachedIdentities?: () => number;
  /** Milliseconds until the earliest cached SVID expires; undefined when nothing is cached. */
  svidExpiryHorizonMs?: () => number | undefined;
  kubeletRequests?: () => number;
  cachedPods?: () => number;
  /** Conjur's clock minus this node's, in ms (from response Date headers and token iat). */
  conjurClockSkewMs?: () => number;
  /** Conjur requests waiting for a slot (conjur.maxConcurrentIssuances). */
  conjurRequestsWaiting?: () => number;
}

/** Every metric the agent exports, in one registry (prefix `conjur_spiffe_`). */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly attestations: Counter<'result'>;
  readonly issuances: Counter<'result'>;
  readonly issuanceSeconds: Histogram<'result'>;
  readonly tokenFetches: Counter<'result'>;
  readonly conjurRequests: Counter<'endpoint' | 'status'>;
  readonly sdsPushes: Counter<'trigger'>;
  readonly sdsNacks: Counter;
  readonly refusedFileReads: Counter<'file' | 'reason'>;
  readonly limitRefusals: Counter<'limit'>;

  constructor(probes: MetricsProbes = {}) {
    const registers = [this.registry];
    // The event-loop lag monitor is a timer that wakes the loop at this period for the agent's
    // whole life: at 10 ms (the default) it cost an idle agent about 0.4 s of CPU a minute, at
    // 100 ms about 0.1 s, at 1 s about 10 ms (issue 14). A stall still shows in the lag gauges
    // whenever it covers one of the ticks, which is what an operator's alert needs.
    collectDefaultMetrics({ register: this.registry, prefix: 'conjur_spiffe_', eventLoopMonitoringPrecision: 1000 });
    this.attestations = new Counter({
      name: 'conjur_spiffe_attestations_total',
      help: 'Workload attestations by result (ok, not-a-workload, unavailable, no-identity)',
      labelNames: ['result'],
      registers,
    });
    this.issuances = new Counter({
      name: 'conjur_spiffe_svid_issuances_total',
      help: 'X509-SVID issuances (inject and confirm) by result',
      labelNames: ['result'],
      registers,
    });
    this.issuanceSeconds = new Histogram({
      name: 'conjur_spiffe_svid_issuance_seconds',
      help: 'Time to issue an X509-SVID, by result',
      labelNames: ['result'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.tokenFetches = new Counter({
      name: 'conjur_spiffe_token_fetches_total',
      help: 'Conjur access token fetches (mutual TLS authenticate) by result',
      labelNames: ['result'],
      registers,
    });
    this.conjurRequests = new Counter({
      name: 'conjur_spiffe_conjur_requests_total',
      help: 'HTTP requests to Conjur by endpoint and status (or error)',
      labelNames: ['endpoint', 'status'],
      registers,
    });
    this.sdsPushes = new Counter({
      name: 'conjur_spiffe_sds_pushes_total',
      help: 'Envoy SDS responses sent, by trigger (request: a subscription or FetchSecrets; update: a renewal or bundle change)',
      labelNames: ['trigger'],
      registers,
    });
    this.sdsNacks = new Counter({
      name: 'conjur_spiffe_sds_nacks_total',
      help: 'Envoy SDS responses the client rejected (xDS NACKs)',
      registers,
    });
    this.refusedFileReads = new Counter({
      name: 'conjur_spiffe_file_reads_refused_total',
      help: 'Reads of workload-controlled files refused unread (client.pem, cgroup, mountinfo), by file and reason',
      labelNames: ['file', 'reason'],
      registers,
    });
    this.limitRefusals = new Counter({
      name: 'conjur_spiffe_workload_limit_refusals_total',
      help: 'Workload API calls refused and connections closed by a bound, by bound (the limits.* setting)',
      labelNames: ['limit'],
      registers,
    });
    this.addProbes(probes);
  }

  /** Registers a gauge for each probe given (each name once). */
  addProbes(probes: MetricsProbes): void {
    const registers = [this.registry];
    this.probeGauge('conjur_spiffe_workload_connections', 'Open Workload API connections', probes.workloadConnections, registers);
    this.probeGauge('conjur_spiffe_workload_streams', 'Open Workload API streams', probes.workloadStreams, registers);
    this.probeGauge('conjur_spiffe_sds_streams', 'Open Envoy SDS streams (StreamSecrets)', probes.sdsStreams, registers);
    this.probeGauge('conjur_spiffe_svid_cache_identities', 'Identities with a cached SVID', probes.cachedIdentities, registers);
    this.probeGauge('conjur_spiffe_kubelet_requests', 'GET /pods requests made to the kubelet since start', probes.kubeletRequests, registers);
    this.probeGauge('conjur_spiffe_kubelet_cached_pods', 'Pods in the kubelet pod cache', probes.cachedPods, registers);
    const skew = probes.conjurClockSkewMs;
    this.probeGauge("conjur_spiffe_conjur_clock_skew_seconds", "Conjur's clock minus this node's, from response Date headers and token iat", skew && (() => skew() / 1000), registers);
    this.probeGauge('conjur_spiffe_conjur_requests_waiting', 'Conjur requests waiting for a slot (bound: conjur.maxConcurrentIssuances)', probes.conjurRequestsWaiting, registers);
    const horizon = probes.svidExpiryHorizonMs;
    this.probeGauge(
      'conjur_spiffe_svid_expiry_horizon_seconds',
      'Seconds until the earliest cached X509-SVID expires (-1 when none is cached)',
      horizon && (() => {
        const ms = horizon();
        return ms === undefined ? -1 : ms / 1000;
      }),
      registers,
    );
  }

  /** Prometheus text exposition of every metric. */
  async exposition(): Promise<string> {
    return this.registry.metrics();
  }

  private probeGauge(name: string, help: string, read: (() => number) | undefined, registers: Registry[]): void {
    if (!read) return;
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  }
}
