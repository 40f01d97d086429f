// The agent's own account of the demo, read from its Prometheus /metrics: how many callers it
// attested (and refused), SVIDs and tokens it obtained from Conjur, and the requests it made to
// Conjur and the kubelet. Only the handful of series the summary names are parsed.

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface AgentActivity {
  readonly attestations: { readonly ok: number; readonly refused: number; readonly failed: number };
  readonly svidsIssued: number;
  readonly tokensFetched: number;
  /** Requests to Conjur per endpoint (inject, authenticate, secrets), with how many got 2xx. */
  readonly conjurRequests: ReadonlyMap<string, { total: number; succeeded: number }>;
  readonly kubeletRequests: number;
  readonly cachedIdentities: number;
}

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || line.startsWith('#')) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

export function toAgentActivity(text: string): AgentActivity {
  const samples = parseMetrics(text);
  const sum = (name: string, where: (labels: Readonly<Record<string, string>>) => boolean = () => true) =>
    samples.filter((s) => s.name === name && where(s.labels)).reduce((total, s) => total + s.value, 0);
  const attestations = 'conjur_spiffe_attestations_total';
  const conjurRequests = new Map<string, { total: number; succeeded: number }>();
  for (const s of samples.filter((x) => x.name === 'conjur_spiffe_conjur_requests_total')) {
    const endpoint = s.labels['endpoint'] ?? 'unknown';
    const entry = conjurRequests.get(endpoint) ?? { total: 0, succeeded: 0 };
    entry.total += s.value;
    if (/^2\d\d$/.test(s.labels['status'] ?? '')) entry.succeeded += s.value;
    conjurRequests.set(endpoint, entry);
  }
  return {
    attestations: {
      ok: sum(attestations, (l) => l['result'] === 'ok'),
      refused: sum(attestations, (l) => l['result'] === 'not-a-workload'),
      failed: sum(attestations, (l) => l['result'] !== 'ok' && l['result'] !== 'not-a-workload'),
    },
    svidsIssued: sum('conjur_spiffe_svid_issuances_total', (l) => l['result'] === 'ok'),
    tokensFetched: sum('conjur_spiffe_token_fetches_total', (l) => l['result'] === 'ok'),
    conjurRequests,
    kubeletRequests: sum('conjur_spiffe_kubelet_requests'),
    cachedIdentities: sum('conjur_spiffe_svid_cache_identities'),
  };
}

const CONJUR_ENDPOINTS: Readonly<Record<string, string>> = {
  inject: 'inject_client_cert (a certificate written into a pod)',
  authenticate: 'authenticate (certificate in, access token out)',
  secrets: 'secrets (the authenticator CA, for the trust bundle)',
};

/** One plain sentence per number. */
export function describeActivity(activity: AgentActivity): string[] {
  const { attestations: a } = activity;
  const failedNote = a.failed > 0 ? `, ${a.failed} could not finish` : '';
  const requests = [...activity.conjurRequests].map(([endpoint, r]) => {
    const failed = r.total - r.succeeded;
    return `${r.total} ${CONJUR_ENDPOINTS[endpoint] ?? endpoint}${failed === 0 ? '' : ` (${failed} failed)`}`;
  });
  return [
    `Attestations (who is calling?): ${a.ok} succeeded, ${a.refused} refused as not a pod${failedNote}; every Workload API connection is attested, and each application opened two (SVID and token)`,
    `SVIDs issued by Conjur for applications: ${activity.svidsIssued}; identities in its cache now: ${activity.cachedIdentities}`,
    `Conjur access tokens fetched for applications: ${activity.tokensFetched}`,
    `Requests it made to Conjur, its own login included: ${requests.join(', ') || 'none'}`,
    `Requests it made to the kubelet for the list of pods: ${activity.kubeletRequests}`,
  ];
}
