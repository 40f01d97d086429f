import { LatestValue, backoffDelayMs, sleep, systemClock } from '../async/index.js';
import type { Clock } from '../async/index.js';
import { F, describeError, silentLogger } from '../log/index.js';
import type { Logger } from '../log/index.js';
import { SpiffeId } from '../spiffe/index.js';
import type { BundleSet, TrustDomain } from '../spiffe/index.js';
import type { KeyType } from '../x509/index.js';
import type { ConjurAccessToken } from './access-token.js';
import type { ClientCredentials } from './conjur-client.js';
import { ConjurError } from './conjur-error.js';
import { chainsToOneOf } from './confirm-certificate.js';
import { loginAgent, needsLogin } from './agent-login.js';
import type { AgentCertificate } from './agent-login.js';
import { CONJUR_SSL_DIR } from './injection-target.js';
import { linkedSignal } from './linked-signal.js';

/** The Conjur calls the agent's identity needs (ConjurClient satisfies it). */
export interface AgentConjurClient {
  injectClientCert(csrPem: string, hostIdPrefix: string, signal: AbortSignal): Promise<void>;
  authenticate(login: string, credentials: ClientCredentials, signal: AbortSignal): Promise<ConjurAccessToken>;
  fetchSecret(variableId: string, token: ConjurAccessToken, signal: AbortSignal): Promise<Buffer>;
}

export interface ConjurAgentIdentityOptions {
  readonly client: AgentConjurClient;
  /** CONJUR_AUTHN_LOGIN. */
  readonly login: string;
  /** MY_POD_NAME / MY_POD_NAMESPACE: the SAN names the agent's own pod. */
  readonly podName: string;
  readonly podNamespace: string;
  readonly trustDomain: TrustDomain;
  readonly certDir?: string;
  readonly keyType?: KeyType;
  /**
   * The authn-k8s CA (a bundle file, or the Conjur variable read with this identity's token). The
   * agent's own certificate is checked against it at login when it is loaded, and otherwise as
   * soon as it is: a certificate that does not chain is dropped and the agent logs in again.
   */
  readonly trustBundle?: { current(): BundleSet | undefined; subscribe(signal: AbortSignal): AsyncIterable<BundleSet> };
  /** Conjur's clock against ours (ConjurClient.skew): its certificates start at its now. */
  readonly clockSkew?: { readonly currentMs: number };
  readonly refreshIntervalMs?: number;
  readonly confirmTimeoutMs?: number;
  readonly confirmPollMs?: number;
  /** Backoff of the run loop after a failure; it never gives up (readiness reports it). */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export type AgentIdentityState =
  | { readonly kind: 'starting' }
  | { readonly kind: 'ready'; readonly tokenExpiresAt: number }
  | { readonly kind: 'failing'; readonly since: number; readonly reason: string; readonly tokenExpiresAt?: number };

// The reference client re-authenticates every 6 minutes (8-minute tokens), §11.4.
const DEFAULT_REFRESH_MS = 6 * 60_000;
const EXPIRY_MARGIN_MS = 60_000;
const MIN_USABLE_MS = 30_000;

/**
 * A margin before expiry, at most half the token's lifetime: Conjur's token TTL is configurable,
 * and with tokens shorter than the fixed margin no fresh token would ever count as usable, so
 * every reader would wake the loop into an endless burst of authenticate calls.
 */
function marginFor(token: ConjurAccessToken, capMs: number): number {
  return Math.min(capMs, Math.max(0, token.expiresAt - token.issuedAt) / 2);
}

/**
 * The agent's own Conjur identity (the classic authn-k8s flow, its own pod as injection target),
 * kept fresh by run(). Only run() authenticates; readers wait for a usable token. A 401 on
 * authenticate drops the certificate and logs in again once (the CA may have been rotated); a
 * 403 cannot change by re-login and just backs off.
 */
export class ConjurAgentIdentity {
  readonly spiffeId: SpiffeId;
  private readonly tokens = new LatestValue<ConjurAccessToken>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private cert: AgentCertificate | undefined;
  private failure: { since: number; reason: string } | undefined;
  /** The certificate behind the current token failed the chain check: that token is not used. */
  private distrusted = false;
  private wake = new AbortController();

  constructor(private readonly options: ConjurAgentIdentityOptions) {
    this.spiffeId = SpiffeId.fromSegments(options.trustDomain, 'namespace', options.podNamespace, 'podname', options.podName);
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ component: 'conjur-agent-identity', [F.hostId]: options.login });
  }

  get state(): AgentIdentityState {
    const token = this.distrusted ? undefined : this.usable(this.tokens.get(), 0);
    if (this.failure) return { kind: 'failing', ...this.failure, ...(token && { tokenExpiresAt: token.expiresAt }) };
    return token ? { kind: 'ready', tokenExpiresAt: token.expiresAt } : { kind: 'starting' };
  }

  async run(signal: AbortSignal): Promise<void> {
    const watching = this.watchBundle(signal);
    await this.loop(signal);
    await watching;
  }

  private async loop(signal: AbortSignal): Promise<void> {
    for (let failures = 0; !signal.aborted; ) {
      let delayMs: number;
      try {
        const token = await this.authenticate(signal);
        failures = 0;
        this.failure = undefined;
        const refreshInMs = token.expiresAt - this.clock.now() - marginFor(token, EXPIRY_MARGIN_MS);
        delayMs = Math.max(1_000, Math.min(this.options.refreshIntervalMs ?? DEFAULT_REFRESH_MS, refreshInMs));
      } catch (error) {
        if (signal.aborted) break;
        this.failure = { since: this.failure?.since ?? this.clock.now(), reason: describeError(error) };
        delayMs = backoffDelayMs(failures++, this.options.backoff ?? { initialMs: 2_000, maxMs: 15_000 });
        this.log.warn('Agent Conjur authentication failed', { [F.cause]: describeError(error) });
      }
      await this.pause(delayMs, signal);
    }
  }

  /** A token valid for at least 30 s more; waits (abortably) while there is none. */
  async token(signal: AbortSignal, rejected?: ConjurAccessToken): Promise<ConjurAccessToken> {
    for await (const token of this.tokens.subscribe(signal)) {
      const usable = token !== rejected && !this.distrusted ? this.usable(token, marginFor(token, MIN_USABLE_MS)) : undefined;
      if (usable) return usable;
      this.wake.abort();
    }
    throw signal.reason;
  }

  /** A Conjur variable's raw value, read as the agent; a 401 gets one retry with a new token. */
  async fetchSecret(variableId: string, signal: AbortSignal): Promise<Buffer> {
    const token = await this.token(signal);
    try {
      return await this.options.client.fetchSecret(variableId, token, signal);
    } catch (error) {
      if (!(error instanceof ConjurError) || error.status !== 401) throw error;
      return this.options.client.fetchSecret(variableId, await this.token(signal, token), signal);
    }
  }

  /** Checks the certificate in use against each bundle loaded (the first one arrives after the first login). */
  private async watchBundle(signal: AbortSignal): Promise<void> {
    const bundle = this.options.trustBundle;
    if (!bundle) return;
    try {
      for await (const _ of bundle.subscribe(signal)) this.checkChain();
    } catch {
      // The bundle source logs its own failures; the check runs again at the next login.
    }
  }

  private checkChain(): void {
    const authorities = this.authorities();
    const cert = this.cert;
    if (!cert || cert.chainChecked || !authorities) return;
    if (chainsToOneOf(cert.leafDer, authorities)) {
      this.cert = { ...cert, chainChecked: true };
      return;
    }
    const reason = "the agent's own certificate does not chain to the authn-k8s CA; logging in again";
    this.log.error('Agent certificate refused', { [F.reason]: reason });
    this.cert = undefined;
    this.distrusted = true;
    this.failure = { since: this.clock.now(), reason };
    this.wake.abort();
  }

  private authorities(): readonly Buffer[] | undefined {
    const authorities = this.options.trustBundle?.current()?.get(this.options.trustDomain.name)?.authorities;
    return authorities && authorities.length > 0 ? authorities : undefined;
  }

  private async authenticate(signal: AbortSignal): Promise<ConjurAccessToken> {
    this.checkChain();
    const freshLogin = needsLogin(this.cert, this.clock);
    if (freshLogin) this.cert = await this.login(signal);
    let token: ConjurAccessToken;
    try {
      token = await this.options.client.authenticate(this.options.login, this.cert!.credentials, signal);
    } catch (error) {
      if (freshLogin || !(error instanceof ConjurError) || error.status !== 401) throw error;
      this.cert = await this.login(signal);
      token = await this.options.client.authenticate(this.options.login, this.cert.credentials, signal);
    }
    this.distrusted = false;
    this.tokens.set(token);
    this.log.info('Agent authenticated to Conjur', { [F.ttlMs]: token.expiresAt - this.clock.now() });
    return token;
  }

  private async login(signal: AbortSignal): Promise<AgentCertificate> {
    this.cert = undefined;
    const { options } = this;
    const request = { login: options.login, spiffeId: this.spiffeId, keyType: options.keyType ?? 'ec-p256', certDir: options.certDir ?? CONJUR_SSL_DIR, authorities: this.authorities() };
    const deps = {
      client: options.client,
      clock: this.clock,
      confirmTimeoutMs: options.confirmTimeoutMs ?? 10_000,
      confirmPollMs: options.confirmPollMs ?? 100,
      clockSkewMs: () => options.clockSkew?.currentMs ?? 0,
    };
    const cert = await loginAgent(request, deps, signal);
    this.log.info('Agent certificate injected', { [F.spiffeId]: this.spiffeId.toString(), [F.notAfter]: cert.notAfter.toISOString() });
    return cert;
  }

  /** Sleeps until the next refresh, or earlier when a reader found no usable token. */
  private async pause(ms: number, signal: AbortSignal): Promise<void> {
    if (this.wake.signal.aborted) this.wake = new AbortController();
    const either = linkedSignal([signal, this.wake.signal]);
    await sleep(ms, either.signal, this.clock).catch(() => undefined);
    either.dispose();
  }

  private usable(token: ConjurAccessToken | undefined, marginMs: number): ConjurAccessToken | undefined {
    return token && token.expiresAt - this.clock.now() > marginMs ? token : undefined;
  }
}
