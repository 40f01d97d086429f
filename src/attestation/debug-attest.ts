import type { AttestationStepName, TraceDetail, TraceFailure } from './attestation-trace.js';
import type { AttestationTrace, PodRef } from './kubernetes-attestor.js';
import type { PodFacts, WorkloadFacts } from './workload-facts.js';

/**
 * The engine of `conjur-spiffe-agent debug attest --pid N [--proc-root DIR]`: attestation
 * failures are the first thing operators troubleshoot, so this runs the very same attestation
 * as a Workload API call and reports every step as JSON, or exactly which step failed and why.
 */

/** Satisfied by KubernetesAttestor. */
export interface TracingAttestor {
  attestWithTrace(pid: number, signal?: AbortSignal): Promise<AttestationTrace>;
}

/** Satisfied by identity/'s KubernetesIdentityResolver (declared here: attestation/ sits below identity/). */
export interface ExplainingResolver {
  resolveWithReason(facts: WorkloadFacts):
    | {
        readonly kind: 'identity';
        readonly identity: { readonly spiffeId: { toString(): string }; readonly hint: string; readonly conjurLogin?: string };
      }
    | { readonly kind: 'none'; readonly reason: string };
}

export type DebugStepName = AttestationStepName | 'resolve-identity';

export interface DebugStep {
  readonly step: DebugStepName;
  readonly ok: boolean;
  readonly detail: TraceDetail;
}

/** Every key is always present (null when not reached), so operators can grep and diff reports. */
export interface DebugAttestReport {
  readonly ok: boolean;
  readonly pid: number;
  readonly procRoot: string;
  readonly cgroupLines: readonly string[];
  /** Where the container was found: the cgroup file, or mountinfo when a cgroup namespace hid it. */
  readonly source: 'cgroup' | 'mountinfo' | null;
  readonly containerId: string | null;
  readonly podUid: string | null;
  readonly pod: PodRef | null;
  readonly facts: PodFacts | null;
  readonly spiffeId: string | null;
  readonly hostId: string | null;
  readonly failure: { readonly step: DebugStepName; readonly code: TraceFailure['code'] | 'no-identity'; readonly message: string } | null;
  readonly steps: readonly DebugStep[];
  readonly elapsedMs: number;
}

export interface DebugAttestOptions {
  readonly pid: number;
  readonly attestor: TracingAttestor;
  readonly resolver: ExplainingResolver;
  readonly signal?: AbortSignal;
}

export async function debugAttest(options: DebugAttestOptions): Promise<DebugAttestReport> {
  const trace = await options.attestor.attestWithTrace(options.pid, options.signal);
  const location = trace.location;
  const base = {
    pid: trace.pid,
    procRoot: trace.procRoot,
    cgroupLines: location?.lines ?? [],
    source: location?.kind === 'pod' ? location.source : null,
    containerId: location?.kind === 'pod' ? location.containerId : null,
    podUid: trace.pod?.uid ?? (location?.kind === 'pod' ? (location.podUid ?? null) : null),
    pod: trace.pod ?? null,
    facts: trace.facts ?? null,
    elapsedMs: trace.elapsedMs,
  };
  if (trace.facts === undefined) {
    const failure = trace.error ?? { step: 'build-facts', code: 'unavailable', message: 'attestation ended without facts' };
    return { ...base, ok: false, spiffeId: null, hostId: null, failure, steps: trace.steps };
  }

  const resolution = options.resolver.resolveWithReason(trace.facts);
  if (resolution.kind === 'none') {
    const step: DebugStep = { step: 'resolve-identity', ok: false, detail: { error: 'no-identity', message: resolution.reason } };
    const failure = { step: 'resolve-identity' as const, code: 'no-identity' as const, message: resolution.reason };
    return { ...base, ok: false, spiffeId: null, hostId: null, failure, steps: [...trace.steps, step] };
  }
  const spiffeId = resolution.identity.spiffeId.toString();
  const hostId = resolution.identity.conjurLogin ?? null;
  const step: DebugStep = { step: 'resolve-identity', ok: true, detail: { spiffeId, hostId, hint: resolution.identity.hint } };
  return { ...base, ok: true, spiffeId, hostId, failure: null, steps: [...trace.steps, step] };
}
