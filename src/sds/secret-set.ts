import { createHash } from 'node:crypto';
import type { X509Context } from '../spiffe/index.js';
import { encodeSecret } from './encode-secret.js';
import type { SdsOptions } from './sds-options.js';
import type { ValidationForm } from './sds-secret.js';
import { selectSecrets } from './select-secrets.js';

/** One Secret ready to send: its name and its encoded envoy...tls.v3.Secret bytes (an Any's value). */
export interface EncodedSecret {
  readonly name: string;
  readonly value: Buffer;
}

/** What a stream sends for some names: the Secrets and their version, a digest of their bytes. */
export interface SecretSet {
  readonly secrets: readonly EncodedSecret[];
  /** Changes exactly when the bytes sent change (a renewal, a bundle change, other names). */
  readonly versionInfo: string;
}

export function buildSecretSet(context: X509Context, names: readonly string[], form: ValidationForm, options: SdsOptions): SecretSet {
  const secrets = selectSecrets(context, names, form, options).map((secret) => ({ name: secret.name, value: encodeSecret(secret) }));
  const hash = createHash('sha256');
  for (const secret of secrets) hash.update(`${secret.value.length}:`).update(secret.value);
  return { secrets, versionInfo: hash.digest('hex').slice(0, 16) };
}

/** Distinct name lists remembered per context: a pod's streams ask for one or two; more are built each time. */
const MAX_NAME_LISTS_PER_CONTEXT = 8;

/**
 * Secret sets shared by the streams of one pod: they receive the same X509Context object, so a
 * rotation is encoded once per pod and name list instead of once per stream. Entries go with
 * their context (WeakMap); a context's entries are bounded, so odd name lists cost work, not memory.
 */
export class SecretSetCache {
  private readonly byContext = new WeakMap<X509Context, Map<string, SecretSet>>();

  constructor(private readonly options: SdsOptions) {}

  get(context: X509Context, names: readonly string[], form: ValidationForm): SecretSet {
    const key = `${form}\n${names.join('\n')}`;
    let sets = this.byContext.get(context);
    const cached = sets?.get(key);
    if (cached) return cached;
    const built = buildSecretSet(context, names, form, this.options);
    if (!sets) this.byContext.set(context, (sets = new Map()));
    if (sets.size < MAX_NAME_LISTS_PER_CONTEXT) sets.set(key, built);
    return built;
  }
}
