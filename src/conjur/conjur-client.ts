import { Agent } from 'node:https';
import { systemClock } from '../async/index.js';
import type { Clock } from '../async/index.js';
import { F, silentLogger } from '../log/index.js';
import type { Logger } from '../log/index.js';
import { parseAccessToken, toAuthorizationHeader } from './access-token.js';
import type { ConjurAccessToken } from './access-token.js';
import { ConjurError } from './conjur-error.js';
import { serviceIdOf, trimTrailingSlash } from './conjur-options.js';
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

type Route = 'inject' | 'authenticate' | 'secrets';
type RouteRequest = Omit<HttpsExchange, 'timeoutMs' | 'clock'>;

/**
 * The three Conjur calls the agent makes, over node:https with Conjur's CA as the only trust
 * anchor. inject and secrets share one keep-alive Agent (no client certificate). Every
 * authenticate gets a fresh Agent without keep-alive or TLS session cache, destroyed after the
 * call: a connection or session opened with one pod's certificate can never carry another pod's
 * request. Each call is bounded by requestTimeoutMs and retried only on 'unavailable'.
 */
export class ConjurClient {
  readonly serviceId: string;
  readonly account: string;
  private readonly shared: Agent;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(
    private readonly options: ConjurConnectionOptions,
    private readonly deps: ConjurClientDeps = {},
  ) {
    this.serviceId = serviceIdOf(options.authnUrl);
    this.account = options.account;
    this.clock = deps.clock ?? systemClock;
    this.log = (deps.logger ?? silentLogger).child({ component: 'conjur-client' });
    this.shared = new Agent({ ca: options.sslCertificatePem, keepAlive: true, maxSockets: 16 });
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
          return parseAccessToken(res.body, login);
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
      cert: credentials.certPem,
      key: credentials.keyPem,
      keepAlive: false,
      maxCachedSessions: 0,
    });
  }

  private call(route: Route, req: RouteRequest, signal: AbortSignal): Promise<HttpsResponse> {
    return withRetries(() => this.once(route, req, signal), this.retryContext(), signal);
  }

  private async once(route: Route, req: RouteRequest, signal: AbortSignal): Promise<HttpsResponse> {
    let res: HttpsResponse;
    try {
      res = await exchange({ ...req, timeoutMs: this.options.requestTimeoutMs, clock: this.clock }, signal);
    } catch (error) {
      this.deps.onResponse?.(route, 'error');
      throw error;
    }
    this.deps.onResponse?.(route, String(res.status));
    if (res.status >= 200 && res.status < 300) return res;
    throw errorForStatus(route, res.status);
  }

  private retryContext() {
    return {
      retry: this.options.retry,
      clock: this.clock,
      random: this.deps.random,
      onRetry: (error: ConjurError) => this.log.debug('Retrying Conjur call', { [F.reason]: error.message }),
    };
  }
}

/**
 * 401/403 are answers about this identity: 'denied', never retried here. 5xx, 408 and 429 are
 * outages: 'unavailable', retried. A 404 on a variable is 'not-found'; on the authn routes it
 * means the URL (service id, account, login) is wrong, which no retry fixes.
 */
export function errorForStatus(route: Route, status: number): ConjurError {
  const message = `conjur returned ${status} for ${route}`;
  if (status >= 500 || status === 408 || status === 429) return new ConjurError('unavailable', message, { status });
  if (status === 404 && route === 'secrets') return new ConjurError('not-found', message, { status });
  return new ConjurError('denied', message, { status });
}
