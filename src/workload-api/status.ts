import { status } from '@grpc/grpc-js';
import type { LogLevel } from '../log/index.js';

/**
 * How a failed call ends: the status the workload sees (short and generic, never a cause) and
 * how the agent logs it (design.md §4: a fixed phrase at the level the situation deserves).
 */
export interface CallFailure {
  readonly code: status;
  readonly details: string;
  readonly logLevel: LogLevel;
  readonly logMessage: string;
}

export const SECURITY_HEADER_MISSING = 'security header missing from request';
export const ATTESTATION_FAILED = 'workload attestation failed';
export const NO_IDENTITY = 'no identity issued';
export const CALLER_EXITED = 'the process that opened this stream has exited';

const failure = (code: status, details: string, logLevel: LogLevel, logMessage: string): CallFailure => ({
  code,
  details,
  logLevel,
  logMessage,
});

// Keyed by `${name}/${code}`. Errors are matched by shape (duck typing), not by class, because
// workload-api sits above attestation/ and svid-cache/ and may only import their types.
const FAILURES: Readonly<Record<string, CallFailure>> = {
  'WorkloadApiError/missing-header': failure(status.INVALID_ARGUMENT, SECURITY_HEADER_MISSING, 'debug', 'Security header missing'),
  'WorkloadApiError/unknown-peer': failure(status.UNAVAILABLE, ATTESTATION_FAILED, 'error', 'No peer credentials for call'),
  'WorkloadApiError/caller-gone': failure(status.UNAVAILABLE, ATTESTATION_FAILED, 'warn', 'Caller exited during attestation'),
  'WorkloadApiError/caller-exited': failure(status.PERMISSION_DENIED, CALLER_EXITED, 'info', 'Stream ended: caller exited'),
  'WorkloadApiError/no-identity': failure(status.PERMISSION_DENIED, NO_IDENTITY, 'info', 'No identity for caller'),
  'WorkloadApiError/stream-ended': failure(status.UNAVAILABLE, 'identity stream ended', 'warn', 'Subscription ended'),
  'WorkloadApiError/shutting-down': failure(status.UNAVAILABLE, 'agent shutting down', 'debug', 'Stream ended by shutdown'),
  'SdsError/invalid-request': failure(status.INVALID_ARGUMENT, 'request not understood', 'info', 'Invalid SDS request'),
  'AttestationError/not-a-workload': failure(status.PERMISSION_DENIED, NO_IDENTITY, 'info', 'Caller is not a workload'),
  'AttestationError/unavailable': failure(status.UNAVAILABLE, ATTESTATION_FAILED, 'warn', 'Workload attestation failed'),
  'IssuanceError/denied': failure(status.PERMISSION_DENIED, NO_IDENTITY, 'warn', 'Identity issuance denied'),
  'IssuanceError/evicted': failure(status.PERMISSION_DENIED, 'identity withdrawn', 'info', 'Identity withdrawn'),
  'IssuanceError/unavailable': failure(status.UNAVAILABLE, 'identity issuance unavailable', 'warn', 'Identity issuance unavailable'),
  'IssuanceError/confirm-failed': failure(status.UNAVAILABLE, 'identity issuance unavailable', 'error', 'Issued credential failed a check'),
};

const UNEXPECTED = failure(status.INTERNAL, 'internal error', 'error', 'Unexpected error in handler');

// Issuance failures whose message is written for the workload (svid-cache/failure-state.ts: what
// Conjur answered, how often, and when the agent asks again; never a key, token or log cause).
const TOLD_AS_IS = new Set(['IssuanceError/denied', 'IssuanceError/unavailable', 'IssuanceError/confirm-failed']);
const MAX_DETAILS = 400;

/** The one mapping from anything a handler can throw to the status a workload sees. */
export function toGrpcStatus(error: unknown): CallFailure {
  const shape = errorShape(error);
  if (!shape) return UNEXPECTED;
  const key = `${shape.name}/${shape.code}`;
  const mapped = FAILURES[key] ?? UNEXPECTED;
  if (!TOLD_AS_IS.has(key) || !shape.message) return mapped;
  return { ...mapped, details: shape.message.slice(0, MAX_DETAILS) };
}

function errorShape(error: unknown): { name: string; code: string; message: string } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, code, message } = error as { name?: unknown; code?: unknown; message?: unknown };
  return typeof name === 'string' && typeof code === 'string' ? { name, code, message: typeof message === 'string' ? message : '' } : undefined;
}
