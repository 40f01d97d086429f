import { describe, expect, it } from '@jest/globals';
import { AgentMetrics, instrumentAttestor, instrumentIssuer } from '../../../src/metrics/index.js';

describe('AgentMetrics', () => {
  it('reads probe gauges when scraped', async () => {
    let connections = 3;
    const metrics = new AgentMetrics({ workloadConnections: () => connections, svidExpiryHorizonMs: () => undefined });
    expect(await metrics.exposition()).toMatch(/^conjur_spiffe_workload_connections 3$/m);
    connections = 5;
    const text = await metrics.exposition();
    expect(text).toMatch(/^conjur_spiffe_workload_connections 5$/m);
    expect(text).toMatch(/^conjur_spiffe_svid_expiry_horizon_seconds -1$/m);
  });

  it('counts attestations by result, using the error code', async () => {
    const metrics = new AgentMetrics();
    const failing = Object.assign(new Error('no pod'), { code: 'not-a-workload' });
    let fail = false;
    const attestor = instrumentAttestor({ attest: async (_peer: unknown, _signal: AbortSignal) => { if (fail) throw failing; return 'facts'; } }, metrics);
    const signal = new AbortController().signal;
    await expect(attestor.attest({}, signal)).resolves.toBe('facts');
    fail = true;
    await expect(attestor.attest({}, signal)).rejects.toBe(failing);
    const text = await metrics.exposition();
    expect(text).toMatch(/conjur_spiffe_attestations_total\{result="ok"\} 1/);
    expect(text).toMatch(/conjur_spiffe_attestations_total\{result="not-a-workload"\} 1/);
  });

  it('times issuances by result', async () => {
    const metrics = new AgentMetrics();
    let t = 1000;
    const issuer = instrumentIssuer({ issue: async (_identity: string, _signal: AbortSignal) => { t += 250; return 'svid'; } }, metrics, () => t);
    await issuer.issue('id', new AbortController().signal);
    const text = await metrics.exposition();
    expect(text).toMatch(/conjur_spiffe_svid_issuances_total\{result="ok"\} 1/);
    expect(text).toMatch(/conjur_spiffe_svid_issuance_seconds_sum\{result="ok"\} 0\.25/);
  });
});
