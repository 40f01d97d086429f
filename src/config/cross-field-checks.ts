import type { ConfigProblem } from './config-error.js';
import { FIELDS as F } from './field-table.js';
import type { FieldValues } from './field-values.js';

// Rules between settings that are each valid alone.

/** Conjur access tokens live 8 minutes (fixed by Conjur). */
const TOKEN_LIFETIME_MS = 8 * 60_000;

export function checkCrossField(values: FieldValues): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const metrics = values.get(F.metricsListen);
  const health = values.get(F.healthListen);
  if (metrics !== undefined && health !== undefined && metrics.port !== 0 && metrics.port === health.port) {
    problems.push({ path: F.healthListen.path, message: `uses port ${health.port}, which metrics.listen already uses` });
  }
  const renewAt = values.get(F.svidRenewAtFraction);
  const jitter = values.get(F.svidRenewJitterFraction);
  if (renewAt !== undefined && jitter !== undefined && renewAt + jitter >= 1) {
    problems.push({ path: F.svidRenewJitterFraction.path, message: `svid.renewAtFraction + svid.renewJitterFraction is ${renewAt + jitter}; it must stay below 1 or renewal comes after expiry` });
  }
  const refreshBefore = values.get(F.conjurTokenRefreshBeforeExpiryMs);
  if (refreshBefore !== undefined && refreshBefore >= TOKEN_LIFETIME_MS) {
    problems.push({ path: F.conjurTokenRefreshBeforeExpiryMs.path, message: 'must be shorter than the 8-minute lifetime of Conjur access tokens' });
  }
  const backoff = values.get(F.limitsEarlyResetBackoffMs);
  const backoffMax = values.get(F.limitsEarlyResetBackoffMaxMs);
  if (backoff !== undefined && backoffMax !== undefined && backoffMax < backoff) {
    problems.push({ path: F.limitsEarlyResetBackoffMaxMs.path, message: `must not be shorter than limits.earlyResetBackoff (${backoff} ms)` });
  }
  problems.push(...checkSdsNames(values));
  return problems;
}

/** Each SDS name must pick one thing: two equal names, or one shaped like a SPIFFE ID, would be ambiguous. */
function checkSdsNames(values: FieldValues): ConfigProblem[] {
  const fields = [F.sdsDefaultSvidName, F.sdsDefaultBundleName, F.sdsDefaultAllBundlesName];
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, string>();
  for (const field of fields) {
    const name = values.get(field);
    if (name === undefined) continue;
    if (name.startsWith('spiffe://')) problems.push({ path: field.path, message: 'must not start with spiffe:// (SPIFFE IDs and trust domain IDs already name their own secrets)' });
    const other = seen.get(name);
    if (other !== undefined) problems.push({ path: field.path, message: `is ${JSON.stringify(name)}, the same as ${other}` });
    seen.set(name, field.path);
  }
  return problems;
}
