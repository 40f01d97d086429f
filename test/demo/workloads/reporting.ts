import { createHash } from 'node:crypto';

// How the sample workloads tell the demo what they did: one JSON object per line on stdout,
// which the demo turns into its numbered steps. A real application would log instead. Secrets
// and tokens never appear here, only a masked form and a SHA-256 the demo can compare.

export type WorkloadReport =
  | {
      event: 'svid';
      spiffeId: string;
      /** The Conjur host id the agent put in the SVID's hint. */
      hint: string;
      /** The leaf's issuer, e.g. `CN=conjur.authn-k8s.dev-cluster, OU=...`. */
      issuer: string;
      /** SHA-256 of the bundle authority that signed the leaf (DER, hex with colons). */
      issuerFingerprint: string;
      notBefore: string;
      notAfter: string;
    }
  | { event: 'token'; login: string; spiffeId: string; expiresAt: string }
  | { event: 'secret'; id: string; masked: string; sha256: string }
  | { event: 'secret-refused'; id: string; status: number }
  | { event: 'listening'; port: number; accepts: string }
  | { event: 'request'; peerId: string; message: string }
  | { event: 'rejected'; reason: string }
  | { event: 'response'; peerId: string; status: number; message: string }
  | { event: 'refused'; code: string; message: string }
  | { event: 'failed'; step: string; message: string }
  | { event: 'stopped' };

export type WorkloadEvent = WorkloadReport['event'];

export function report(line: WorkloadReport): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** Runs `step`; on failure reports which step failed and exits 1. */
export async function reportFailures<T>(step: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    return fail(step, messageOf(error));
  }
}

/** Reports that `step` failed and exits 1. */
export function fail(step: string, message: string): never {
  report({ event: 'failed', step, message });
  process.exit(1);
}

export function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.message} (${code})` : error.message;
}

export function sha256Of(value: string | Buffer): string {
  return createHash('sha256').update(value).digest('hex');
}

/** The first two characters, then one `*` per remaining character. */
export function mask(value: string): string {
  return value.slice(0, 2) + '*'.repeat(Math.max(0, value.length - 2));
}

/** A required setting from the environment, as a Kubernetes Deployment would give it. */
export function setting(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') return fail('configuration', `environment variable ${name} is not set`);
  return value;
}
