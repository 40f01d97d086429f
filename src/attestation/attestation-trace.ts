import { AttestationError } from './attestation-error.js';
import type { AttestationErrorCode } from './attestation-error.js';

/**
 * The steps of attesting a pid, in order. The same code path runs for every call; the trace
 * only records what each step saw, so `debug attest` shows exactly what `attest` did.
 */
const STEP_ORDER = [
  'read-process',
  'read-cgroup',
  'read-mountinfo',
  'locate-container',
  'find-pod',
  'match-container',
  'verify-pod',
  'build-facts',
] as const;

export type AttestationStepName = (typeof STEP_ORDER)[number];

/** JSON-friendly values only: the trace is printed as JSON by the debug command. */
export type TraceValue = string | number | boolean | null | readonly string[];
export type TraceDetail = Readonly<Record<string, TraceValue>>;

export interface TraceStep {
  readonly step: AttestationStepName;
  readonly ok: boolean;
  readonly detail: TraceDetail;
}

/** Where a failed attestation stopped and why. */
export interface TraceFailure {
  readonly step: AttestationStepName;
  readonly code: AttestationErrorCode | 'aborted';
  readonly message: string;
}

/** Collects steps as they happen. One per attestation; never shared between calls. */
export class TraceRecorder {
  readonly steps: TraceStep[] = [];
  private firstFailure: TraceFailure | undefined;

  /** The step that failed, if one did (the first one: later steps never run after it). */
  get failure(): TraceFailure | undefined {
    return this.firstFailure;
  }

  ok(step: AttestationStepName, detail: TraceDetail = {}): void {
    this.steps.push({ step, ok: true, detail });
  }

  /**
   * Records `step` as failed with `error` and returns the error for the caller to throw.
   * An abort is recorded as such; it is the caller going away, not an attestation failure.
   */
  fail<E>(step: AttestationStepName, error: E, detail: TraceDetail = {}): E {
    const code = error instanceof AttestationError ? error.code : 'aborted';
    const message = error instanceof Error ? error.message : String(error);
    this.steps.push({ step, ok: false, detail: { ...detail, error: code, message } });
    this.firstFailure ??= { step, code, message };
    return error;
  }

  /** The step after the last one recorded: where an error nobody recorded must have happened. */
  nextStep(): AttestationStepName {
    const last = this.steps.at(-1)?.step;
    const index = last === undefined ? 0 : STEP_ORDER.indexOf(last) + 1;
    return STEP_ORDER[Math.min(index, STEP_ORDER.length - 1)] ?? 'build-facts';
  }
}
