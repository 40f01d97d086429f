import type { AgentMetrics } from './agent-metrics.js';

// Decorators that count and time the agent's ports without the domain code knowing about
// Prometheus. They match the ports structurally, so metrics/ depends on nothing above it.

/** The `code` of a typed error, or 'error' for anything else. */
export function resultOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'error';
}

export function instrumentAttestor<P, F, T extends { attest(peer: P, signal: AbortSignal): Promise<F> }>(attestor: T, metrics: AgentMetrics): T {
  return Object.assign(Object.create(attestor) as T, {
    async attest(peer: P, signal: AbortSignal): Promise<F> {
      try {
        const facts = await attestor.attest(peer, signal);
        metrics.attestations.inc({ result: 'ok' });
        return facts;
      } catch (error) {
        metrics.attestations.inc({ result: resultOf(error) });
        throw error;
      }
    },
  });
}

export function instrumentIssuer<I, S, T extends { issue(identity: I, signal: AbortSignal): Promise<S> }>(issuer: T, metrics: AgentMetrics, now: () => number): T {
  return Object.assign(Object.create(issuer) as T, {
    async issue(identity: I, signal: AbortSignal): Promise<S> {
      const started = now();
      let result = 'ok';
      try {
        return await issuer.issue(identity, signal);
      } catch (error) {
        result = resultOf(error);
        throw error;
      } finally {
        metrics.issuances.inc({ result });
        metrics.issuanceSeconds.observe({ result }, (now() - started) / 1000);
      }
    },
  });
}

export function instrumentTokenIssuer<I, S, K, T extends { fetchToken(identity: I, svid: S, signal: AbortSignal): Promise<K> }>(
  issuer: T,
  metrics: AgentMetrics,
): T {
  return Object.assign(Object.create(issuer) as T, {
    async fetchToken(identity: I, svid: S, signal: AbortSignal): Promise<K> {
      try {
        const token = await issuer.fetchToken(identity, svid, signal);
        metrics.tokenFetches.inc({ result: 'ok' });
        return token;
      } catch (error) {
        metrics.tokenFetches.inc({ result: resultOf(error) });
        throw error;
      }
    },
  });
}
