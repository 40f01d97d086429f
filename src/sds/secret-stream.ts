import type { X509Context } from '../spiffe/index.js';
import type { DiscoveryRequest__Output } from '../gen/envoy/service/discovery/v3/DiscoveryRequest.js';
import type { DiscoveryResponse } from '../gen/envoy/service/discovery/v3/DiscoveryResponse.js';
import { SECRET_TYPE_URL, toDiscoveryResponse } from './discovery-response.js';
import { validationFormFor } from './envoy-version.js';
import type { SdsOptions } from './sds-options.js';
import { SdsError } from './sds-error.js';
import type { ValidationForm } from './sds-secret.js';
import { SecretSetCache } from './secret-set.js';

/** A response to send, with what the log and metrics need to know about it. */
export interface PlannedResponse {
  readonly response: DiscoveryResponse;
  readonly versionInfo: string;
  readonly nonce: string;
  readonly secretCount: number;
  /** `request`: answers a subscription (perhaps once the SVID arrived); `update`: pushes new content. */
  readonly trigger: 'request' | 'update';
}

/**
 * What one message on the stream amounted to:
 * - `first` / `names-changed`: a subscription (answered at once when the SVID is there);
 * - `ack`: the client applied our last response, nothing to send;
 * - `nack`: it could not (`errorDetail` says why); the rejected content is never sent again;
 * - `stale`: it answers an older response than our last one, so it is ignored (xDS rule).
 */
export type RequestKind = 'first' | 'names-changed' | 'ack' | 'nack' | 'stale';

export interface RequestStep {
  readonly kind: RequestKind;
  readonly names: readonly string[];
  readonly errorDetail?: string;
  /** The version a NACK rejected. */
  readonly rejectedVersion?: string;
  readonly planned?: PlannedResponse;
}

/**
 * The xDS bookkeeping of one StreamSecrets call (state-of-the-world), free of I/O: requests and
 * X.509 contexts go in, responses to send come out.
 * - `version_info` is a digest of the content: it changes exactly when the content changes;
 * - every response carries a fresh nonce, and only a request that names our last nonce counts;
 * - new names are answered at once; an ACK sends nothing; a NACK is remembered, and content
 *   equal to what was rejected is not sent again;
 * - a new context (renewal, bundle change) is pushed when it changes what this stream asked for.
 */
export class SecretStream {
  private names: readonly string[] | undefined;
  private form: ValidationForm;
  private context: X509Context | undefined;
  private lastSent: { readonly versionInfo: string; readonly nonce: string } | undefined;
  private rejectedVersion: string | undefined;
  /** Names were asked for before there was a context to answer them with. */
  private unanswered = false;

  /** `sets` may be shared by every stream of the service (it is keyed by context). */
  constructor(
    private readonly options: SdsOptions,
    private readonly nextNonce: () => string,
    private readonly sets: SecretSetCache = new SecretSetCache(options),
  ) {
    this.form = validationFormFor(undefined, options);
  }

  /** Throws SdsError('invalid-request') for a request this service cannot answer. */
  onRequest(request: DiscoveryRequest__Output): RequestStep {
    if (request.type_url !== '' && request.type_url !== SECRET_TYPE_URL) {
      throw new SdsError('invalid-request', `type_url ${JSON.stringify(request.type_url)} is not ${SECRET_TYPE_URL}`);
    }
    const names = request.resource_names;
    if (this.lastSent && request.response_nonce !== this.lastSent.nonce) return { kind: 'stale', names };
    if (request.node) this.form = validationFormFor(request.node, this.options);
    const previous = this.names;
    this.names = names;
    const nack = this.lastSent && request.error_detail ? this.reject(this.lastSent.versionInfo) : undefined;
    const kind: RequestKind = previous === undefined ? 'first' : !sameNames(previous, names) ? 'names-changed' : nack ? 'nack' : 'ack';
    const planned = kind === 'first' || kind === 'names-changed' ? this.plan('names') : undefined;
    return {
      kind: nack && kind === 'names-changed' ? 'nack' : kind,
      names,
      ...(nack ? { errorDetail: request.error_detail?.message ?? '', rejectedVersion: nack } : {}),
      ...(planned ? { planned } : {}),
    };
  }

  /** A new X.509 context from the subscription; a response when it changes what was asked for. */
  onContext(context: X509Context): PlannedResponse | undefined {
    this.context = context;
    if (this.names === undefined) return undefined;
    return this.plan(this.unanswered ? 'names' : 'content');
  }

  private reject(versionInfo: string): string {
    this.rejectedVersion = versionInfo;
    return versionInfo;
  }

  /**
   * The response for the current names and context. New names are answered even when the content
   * is what was last sent (the client is waiting for an answer); a new context only when the
   * content changed. Content equal to what the client rejected is never sent again.
   */
  private plan(trigger: 'names' | 'content'): PlannedResponse | undefined {
    if (this.names === undefined) return undefined;
    if (!this.context) {
      this.unanswered = true;
      return undefined;
    }
    this.unanswered = false;
    const set = this.sets.get(this.context, this.names, this.form);
    const { versionInfo } = set;
    if (versionInfo === this.rejectedVersion) return undefined;
    if (trigger === 'content' && versionInfo === this.lastSent?.versionInfo) return undefined;
    const nonce = this.nextNonce();
    this.lastSent = { versionInfo, nonce };
    const response = toDiscoveryResponse(set, nonce);
    return { response, versionInfo, nonce, secretCount: set.secrets.length, trigger: trigger === 'names' ? 'request' : 'update' };
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((name) => right.has(name));
}
