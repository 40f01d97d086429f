import { systemClock } from '../async/index.js';
import type { Clock } from '../async/index.js';
import type { WorkloadIdentity } from '../identity/index.js';
import { F, describeError, silentLogger } from '../log/index.js';
import type { LogFields, Logger } from '../log/index.js';
import type { BundleSet, X509Svid } from '../spiffe/index.js';
import { toPem, toPkcs8Der } from '../x509/index.js';
import type { KeyType } from '../x509/index.js';
import type { ConjurAccessToken } from './access-token.js';
import type { RefusalReason } from './certificate-file.js';
import type { ClientCredentials } from './conjur-client.js';
import { ConjurError } from './conjur-error.js';
import { injectAndConfirm } from './inject-and-confirm.js';
import { injectionTargetPaths } from './injection-target.js';
import { linkedSignal } from './linked-signal.js';
import type { PodVolumeLayout } from './injection-target.js';

/** The Conjur calls the issuer needs (ConjurClient satisfies it). */
export interface ConjurIssuerClient {
  injectClientCert(csrPem: string, hostIdPrefix: string, signal: AbortSignal): Promise<void>;
  authenticate(login: string, credentials: ClientCredentials, signal: AbortSignal): Promise<ConjurAccessToken>;
}

export interface ConjurIssuerOptions {
  readonly client: ConjurIssuerClient;
  /** This node (MY_NODE_NAME): a CSR for a pod elsewhere is never sent. */
  readonly nodeName: string;
  /** The kubelet pods directory as mounted in the agent (e.g. /var/lib/kubelet/pods). */
  readonly kubeletPodsDir: string;
  /**
   * The authn-k8s CA as currently known (a ConjurBundleSource or FileBundleSource); a caller
   * that comes before the first bundle goes on the moment `subscribe` yields it.
   */
  readonly trustBundle: { current(): BundleSet | undefined; subscribe(signal: AbortSignal): AsyncIterable<BundleSet> };
  readonly keyType?: KeyType;
  readonly confirmTimeoutMs?: number;
  readonly confirmPollMs?: number;
  /** Most bytes read from a pod's client.pem (larger files are refused unread); default 64 KiB. */
  readonly maxCertificateFileBytes?: number;
  /** Counts each refused read of a pod's client.pem, by reason (the metric). */
  readonly onRefusedFile?: (reason: RefusalReason) => void;
  /** How long a caller waits for the trust bundle when none is loaded yet (start-up); default 10 s. */
  readonly bundleWaitMs?: number;
  /** Conjur's clock against ours (ConjurClient.skew): injected certificates start at Conjur's now. */
  readonly clockSkew?: { readonly currentMs: number };
  readonly clock?: Clock;
  readonly logger?: Logger;
}

type PodIdentityFacts = PodVolumeLayout & { readonly kind: 'kubernetes'; readonly nodeName: string };

/**
 * X509Issuer and TokenIssuer backed by Conjur authn-k8s: issue() runs inject-and-confirm into
 * the workload's own pod, fetchToken() authenticates as the workload over mutual TLS with its
 * SVID. Errors are ConjurError with the SVID cache's code words; each failure is logged once
 * here with the host id and what failed, never with key or token material.
 */
export class ConjurIssuer {
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly options: ConjurIssuerOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ component: 'conjur-issuer' });
  }

  async issue(identity: WorkloadIdentity, signal: AbortSignal): Promise<X509Svid> {
    signal.throwIfAborted();
    const fields = fieldsOf(identity);
    const startedAt = this.clock.now();
    try {
      const pod = this.podOf(identity);
      const login = loginOf(identity);
      const authorities = await this.authoritiesFor(identity, signal);
      const cert = await injectAndConfirm(
        {
          login,
          spiffeId: identity.spiffeId,
          keyType: this.options.keyType ?? 'ec-p256',
          targetPaths: injectionTargetPaths(pod, this.options.kubeletPodsDir),
          authorities,
        },
        {
          client: this.options.client,
          clock: this.clock,
          confirmTimeoutMs: this.options.confirmTimeoutMs ?? 10_000,
          confirmPollMs: this.options.confirmPollMs ?? 100,
          ...(this.options.maxCertificateFileBytes === undefined ? {} : { maxCertificateFileBytes: this.options.maxCertificateFileBytes }),
          ...(this.options.onRefusedFile === undefined ? {} : { onRefusedFile: this.options.onRefusedFile }),
          clockSkewMs: () => this.options.clockSkew?.currentMs ?? 0,
        },
        signal,
      );
      this.log.info('Issued X509-SVID', { ...fields, [F.notAfter]: cert.notAfter.toISOString(), [F.elapsedMs]: this.clock.now() - startedAt });
      return {
        id: identity.spiffeId,
        certChain: [cert.leafDer],
        privateKey: toPkcs8Der(cert.privateKey),
        hint: identity.hint,
        notBefore: cert.notBefore,
        notAfter: cert.notAfter,
      };
    } catch (error) {
      this.logFailure('X509-SVID issuance failed', error, fields, signal);
      throw error;
    }
  }

  async fetchToken(identity: WorkloadIdentity, svid: X509Svid, signal: AbortSignal): Promise<ConjurAccessToken> {
    signal.throwIfAborted();
    const fields = fieldsOf(identity);
    try {
      if (!svid.id.equals(identity.spiffeId)) throw new ConjurError('denied', 'svid does not belong to this identity');
      const credentials = {
        certPem: svid.certChain.map((der) => toPem(der, 'CERTIFICATE')).join(''),
        keyPem: toPem(svid.privateKey, 'PRIVATE KEY'),
      };
      const token = await this.options.client.authenticate(loginOf(identity), credentials, signal);
      this.log.debug('Fetched Conjur access token', { ...fields, [F.ttlMs]: token.expiresAt - this.clock.now() });
      return token;
    } catch (error) {
      this.logFailure('Conjur authentication failed', error, fields, signal);
      throw error;
    }
  }

  /** Only a pod of this node can be issued for; attestation guarantees it, this re-checks it. */
  private podOf(identity: WorkloadIdentity): PodIdentityFacts {
    const facts = identity.facts;
    if (facts.kind !== 'kubernetes') throw new ConjurError('denied', 'conjur issues svids only for pods');
    if (facts.nodeName !== this.options.nodeName) throw new ConjurError('denied', `pod runs on node ${facts.nodeName}, not on this node`);
    return facts;
  }

  /**
   * The CA the injected certificate must verify against. Right after start the agent is still
   * reading it from Conjur, so the first callers wait for it (bounded) instead of failing.
   */
  private async authoritiesFor(identity: WorkloadIdentity, signal: AbortSignal): Promise<readonly Buffer[]> {
    const trustDomain = identity.spiffeId.trustDomain.name;
    const { trustBundle } = this.options;
    const known = authoritiesIn(trustBundle.current(), trustDomain);
    if (known) return known;
    // At start the CA comes from the agent's own login (the Conjur variable): the first callers
    // go on as soon as it is there, for at most bundleWaitMs.
    const bounded = linkedSignal([signal], { clock: this.clock, timeoutMs: this.options.bundleWaitMs ?? 10_000 });
    try {
      for await (const set of trustBundle.subscribe(bounded.signal)) {
        const found = authoritiesIn(set, trustDomain);
        if (found) return found;
      }
    } catch {
      // The source failed; it logs why. The caller hears "not loaded" (or its own abort).
    } finally {
      bounded.dispose();
    }
    signal.throwIfAborted();
    throw new ConjurError('unavailable', 'the authn-k8s ca bundle is not loaded yet');
  }

  private logFailure(message: string, error: unknown, fields: LogFields, signal: AbortSignal): void {
    if (signal.aborted) return;
    const cause = { ...fields, [F.cause]: describeError(error) };
    if (!(error instanceof ConjurError)) return this.log.error(message, cause);
    if (error.code === 'confirm-failed') return this.log.error(message, { ...cause, [F.reason]: error.check });
    this.log.warn(message, { ...cause, [F.reason]: error.code, [F.status]: error.status });
  }
}

function authoritiesIn(set: BundleSet | undefined, trustDomain: string): readonly Buffer[] | undefined {
  const bundle = set?.get(trustDomain);
  return bundle && bundle.authorities.length > 0 ? bundle.authorities : undefined;
}

function loginOf(identity: WorkloadIdentity): string {
  if (identity.conjurLogin === undefined) throw new ConjurError('denied', 'identity has no conjur login');
  return identity.conjurLogin;
}

function fieldsOf(identity: WorkloadIdentity): LogFields {
  const facts = identity.facts;
  const pod = facts.kind === 'kubernetes' ? { [F.podUid]: facts.podUid, [F.namespace]: facts.namespace, [F.podName]: facts.podName } : {};
  return { [F.spiffeId]: identity.spiffeId.toString(), [F.hostId]: identity.conjurLogin, ...pod };
}
