import { Agent } from 'node:https';
import { Semaphore, systemClock } from '../async/index.js';
import type { Clock } from '../async/index.js';
import { F, silentLogger } from '../log/index.js';
import type { Logger } from '../log/index.js';
import { parseAccessToken, toAuthorizationHeader } from './access-token.js';
import type { ConjurAccessToken } from './access-token.js';
import { ConjurError } from './conjur-error.js';
import { ClockSkew } from './clock-skew.js';
import { DEFAULT_MAX_CONCURRENT_REQUESTS, serviceIdOf, trimTrailingSlash } from './conjur-options.js';
import type { ConjurConnectionOptions } from './conjur-options.js';
import { encodeLoginSegment } from './host-id.js';
import { exchange } from './https-exchange.js';
import type { HttpsExchange, HttpsResponse } from './https-exchange.js';
import { withRetries } from './retry.js';

/** A client certificate and its key for one authenticate call; PEM text held in memory only. */
export interface ClientCredentials {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface ConjurClientDeps {
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly random?: () => number;
  /** Called once per HTTP exchange with the route and the status (or 'error'), for metrics. */
  readonly onResponse?: (route: Route, status: string) => void;
}

export type ConjurRoute = 'inject' | 'authenticate' | 'secrets';
type Route = ConjurRoute;
type RouteRequest = Omit<HttpsExchange, 'timeoutMs' | 'clock'>;

/**
 * The three Conjur calls the agent makes, over node:https with Conjur's CA as the only trust
 * anchor. inject and secrets share one keep-alive Agent (no client certificate). Every
 * authenticate gets a fresh Agent without keep-alive or TLS session cache, destroyed after the
 * call: a connection or session opened with one pod's certificate can never carry another pod's
 * request. Each request is bounded by requestTimeoutMs; at most maxConcurrentRequests are in
 * flight (a confirm wait holds no slot); only connection-level failures are retried here. Every
 * response's Date header feeds the clock-skew measurement.
 */
export class ConjurClient {
  readonly serviceId: string;
  readonly account: string;
  /** Conjur's clock against this node's, from every response. */
  readonly skew: ClockSkew;
  private readonly shared: Agent;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly slots: Semaphore;

  constructor(
    private readonly options: ConjurConnectionOptions,
    private readonly deps: ConjurClientDeps = {},
  ) {
    this.serviceId = serviceIdOf(options.authnUrl);
    this.account = options.account;
    this.clock = deps.clock ?? systemClock;
    this.log = (deps.logger ?? silentLogger).child({ component: 'conjur-client' });
    // rejectUnauthorized is spelled out: left unset, NODE_TLS_REJECT_UNAUTHORIZED=0 in the
    // environment would turn off the check of Conjur's certificate.
    this.shared = new Agent({ ca: options.sslCertificatePem, rejectUnauthorized: true, keepAlive: true, maxSockets: 16 });
    this.slots = new Semaphore(options.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_REQUESTS);
    this.skew = new ClockSkew(this.log);
  }

  /** Requests to Conjur in flight now, and waiting for a slot. */
  get requestsInFlight(): { readonly running: number; readonly waiting: number } {
    return { running: this.slots.inUse, waiting: this.slots.waiting };
  }

  /** POST inject_client_cert; any 2xx means Conjur started the exec (not that the file exists). */
  async injectClientCert(csrPem: string, hostIdPrefix: string, signal: AbortSignal): Promise<void> {
    const url = new URL(`${trimTrailingSlash(this.options.authnUrl)}/inject_client_cert`);
    // The header is always sent, possibly empty, as the reference client does (§3.2).
    const headers = { 'Content-Type': 'text/plain', 'Host-Id-Prefix': hostIdPrefix };
    await this.call('inject', { method: 'POST', url, headers, body: csrPem, agent: this.shared }, signal);
  }

  /** POST …/<account>/<login>/authenticate over mutual TLS with `credentials`. */
  async authenticate(login: string, credentials: ClientCredentials, signal: AbortSignal): Promise<ConjurAccessToken> {
    const base = trimTrailingSlash(this.options.authnUrl);
    const url = new URL(`${base}/${this.account}/${encodeLoginSegment(login)}/authenticate`);
    return withRetries(
      async () => {
        const agent = this.mutualTlsAgent(credentials);
        try {
          const headers = { 'Content-Type': 'text/plain' };
          const res = await this.once('authenticate', { method: 'POST', url, headers, body: '', agent }, signal);
          const token = parseAccessToken(res.body, login, res.receivedAt);
          this.skew.observeIssuedAt(token.conjurIssuedAt / 1000, res.receivedAt);
          return token;
        } finally {
          agent.destroy();
        }
      },
      this.retryContext(),
      signal,
    );
  }

  /** GET /secrets/<account>/variable/<id> with `token`; the raw secret bytes. */
  async fetchSecret(variableId: string, token: ConjurAccessToken, signal: AbortSignal): Promise<Buffer> {
    const base = trimTrailingSlash(this.options.applianceUrl);
    const url = new URL(`${base}/secrets/${this.account}/variable/${encodeURIComponent(variableId)}`);
    const headers = { Authorization: toAuthorizationHeader(token) };
    const res = await this.call('secrets', { method: 'GET', url, headers, agent: this.shared }, signal);
    return res.body;
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.shared.destroy();
  }

  private mutualTlsAgent(credentials: ClientCredentials): Agent {
    return new Agent({
      ca: this.options.sslCertificatePem,
      rejectUnauthorized: true,
      cert: credentials.certPem,
      key: credentials.keyPem,
      keepAlive: false,
      maxCachedSessions: 0,
    });
  }

  private call(route: Route, req: RouteRequest, signal: AbortSignal): Promise<HttpsResponse> {
    return withRetries(() => this.once(route, req, signal), this.retryContext(), signal);
  }

  private async once(route: Route, req: RouteRequest, signal: AbortSignal): Promise<HttpsResponse & { receivedAt: number }> {
    let res: HttpsResponse;
    const release = await this.slots.acquire(signal);
    try {
      res = await exchange({ ...req, timeoutMs: this.options.requestTimeoutMs, clock: this.clock }, signal);
    } catch (error) {
      this.deps.onResponse?.(route, 'error');
      throw error;
    } finally {
      release();
    }
    const receivedAt = this.clock.now();
    this.skew.observeDateHeader(res.headers.date, receivedAt);
    this.deps.onResponse?.(route, String(res.status));
    if (res.status >= 200 && res.status < 300) return { ...res, receivedAt };
    throw errorForStatus(route, res.status);
  }

  private retryContext() {
    return {
      retry: this.options.retry,
      clock: this.clock,
      random: this.deps.random,
      onRetry: (error: ConjurError) => this.log.debug('Retrying Conjur request after a connection failure', { [F.reason]: error.message }),
    };
  }
}

/**
 * 401/403 are answers about this identity: 'denied' (the SVID cache tells an empty 401, which
 * Conjur also sends for exec and Kubernetes errors, from a final 403). 5xx, 408 and 429 are
 * outages: 'unavailable'. A 404 on a variable is 'not-found'; on the authn routes it means the URL
 * (service id, account, login) is wrong. None is retried here: the caller paces the next attempt.
 */
export function errorForStatus(route: Route, status: number): ConjurError {
  const message = `conjur answered ${status}${STATUS_MEANING[status] ?? ''} to ${ROUTE_NAMES[route]}`;
  if (status >= 500 || status === 408 || status === 429) return new ConjurError('unavailable', message, { status });
  if (status === 404 && route === 'secrets') return new ConjurError('not-found', message, { status });
  return new ConjurError('denied', message, { status });
}

const ROUTE_NAMES: Readonly<Record<Route, string>> = {
  inject: 'inject_client_cert',
  authenticate: 'authenticate',
  secrets: 'a secrets request',
};

// What the status means coming from authn-k8s (protocol §4.1, §4.2, §16.3).
const STATUS_MEANING: Readonly<Record<number, string>> = {
  401: ' (a refusal, or an exec or kubernetes error inside conjur)',
  403: ' (the host lacks the authenticate privilege)',
};
