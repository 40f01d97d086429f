import { createServer, Agent } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TestCa } from '../support/test-ca.js';
import { LoopbackListener } from './loopback-listener.js';
import { handleAuthenticate } from './conjur/authenticate-handler.js';
import { FailureQueue } from './conjur/context.js';
import type { ConjurContext, ConjurRoute, InjectionKnobs } from './conjur/context.js';
import { FaultList, identifyAuthenticate, identifyInject } from './conjur/faults.js';
import type { FaultAction, FaultScope, RequestIdentity, RequestRecord } from './conjur/faults.js';
import { readBody, sendHead, sendJson } from './conjur/http.js';
import { handleInject } from './conjur/inject-handler.js';
import { DEFAULT_EXEC_TIMEOUT_MS } from './conjur/injection.js';
import { createConjurCa } from './conjur/issue-certificate.js';
import { KubeLookup } from './conjur/kube-lookup.js';
import type { KubeConnection } from './conjur/kube-lookup.js';
import { matchRoute } from './conjur/routes.js';
import { rsaKey } from './conjur/rsa-keys.js';
import { handleBatchSecrets, handleSecret, handleWhoami } from './conjur/secrets-handler.js';
import { ConjurState, hostIdOf } from './conjur/state.js';
import type { HostOptions } from './conjur/state.js';
import { DEFAULT_TTL_SECONDS, TokenSigner } from './conjur/token.js';
import type { TokenJson } from './conjur/token.js';

// A Conjur server for tests that speaks the real authn-k8s wire protocol
// (conjur-authn-k8s-protocol.md §15): HTTPS that asks every client for a certificate and accepts
// any (nginx `optional_no_ca`), inject_client_cert with the real check order and a real
// WebSocket exec into the pod through the Kubernetes API double (attach test/doubles/kube-exec.ts
// to it), authenticate over mutual TLS, Slosilo-signed access tokens, and the secrets endpoints.
// Everything a test may turn is below: hosts, variables, services, failures, injection modes,
// the clock and the token TTL.

export type { HostOptions } from './conjur/state.js';
export type { ConjurRoute, InjectionKnobs, InjectionMode } from './conjur/context.js';
export type { TokenJson } from './conjur/token.js';
export type { FaultAction, FaultScope, RequestIdentity, RequestRecord } from './conjur/faults.js';
export { toAuthorizationHeader, SLOSILO_ALG } from './conjur/token.js';
export { copyCertificateScript } from './conjur/injection.js';

export interface ConjurOptions {
  /** Issues the HTTPS server certificate (localhost, 127.0.0.1); the agent trusts this CA. */
  readonly ca: TestCa;
  /** The server's CONJUR_ACCOUNT: the only account that exists. */
  readonly account: string;
  /** The authn-k8s service created (enabled, with its CA) at start. */
  readonly serviceId: string;
  /** How Conjur reaches the Kubernetes API double (bearer token and its CA). */
  readonly kubeApi: KubeConnection;
  /**
   * Where Conjur reads pods, service accounts and controllers: by default `kubeApi`; a real API
   * server in the real-API suite (exec still goes through `kubeApi`, which stands in for the
   * kubelet's exec there).
   */
  readonly podLookup?: KubeConnection;
  /** Not used: the certificate reaches the pod volume through exec (kube-exec.ts maps it). */
  readonly kubeletPodsDir?: string;
  /** Time for certificate validity, token iat/exp and expiry checks; real time by default (see clockOffsetMs). */
  readonly clock?: { now(): number };
  /** CONJUR_HOST_AUTHORIZATION_TOKEN_TTL (default 480, clamped to 5 h when used). */
  readonly tokenTtlSeconds?: number;
  /** KUBE_EXEC_COMMAND_TIMEOUT in ms (default 5000; 0 = no limit). */
  readonly execTimeoutMs?: number;
  /** Per Kubernetes API request (Conjur's Net::HTTP default is 60 s; 10 s here). */
  readonly kubeTimeoutMs?: number;
  /** Test mode: accept X-SSL-Client-Certificate when the TLS connection carries no certificate. */
  readonly trustClientCertHeader?: boolean;
}

export interface ConjurDouble {
  readonly url: string;
  readonly account: string;
  readonly serviceId: string;
  /** The authn-k8s CA of `serviceId` (RSA-2048, self-signed): the agent's trust bundle. */
  readonly caCertPem: string;
  /** Its private key (PKCS#1 PEM), for tests that forge certificates. */
  readonly caKeyPem: string;
  /** The account's token-signing public key (SPKI PEM) and its kid (SHA-256 hex of the SPKI DER). */
  readonly tokenSigningKeyPem: string;
  readonly tokenKid: string;
  /** Read on every authenticate. */
  tokenTtlSeconds: number;
  /** KUBE_EXEC_COMMAND_TIMEOUT in ms, read on every inject (0 = no limit). */
  execTimeoutMs: number;
  /** Read on every inject: `mode` and `delayMs` may be changed at any time. */
  readonly injection: InjectionKnobs;
  /** Requests received per route (failed or not). */
  readonly calls: { inject: number; authenticate: number; secrets: number };
  /** Every inject, authenticate and secrets request in arrival order, with its pod, host and outcome. */
  readonly requests: readonly RequestRecord[];
  /** The requests for a pod (`namespace/name`) and/or host, optionally of one route. */
  requestsFor(scope: FaultScope & { route?: ConjurRoute }): RequestRecord[];
  /**
   * Conjur's clock minus the real one (ms; negative = behind): certificate validity, token iat
   * and exp, expiry checks and every response's Date header follow it. Read per request.
   */
  clockOffsetMs: number;
  /**
   * Requests to `route` for the scope (a pod `namespace/name`, a host, both or neither) meet
   * `action`: a status with an empty body, a hang, or (inject) a misbehaving injection. `times`
   * requests, Infinity by default; the first matching fault wins.
   */
  fault(route: ConjurRoute, action: FaultAction, scope?: FaultScope, times?: number): void;
  /** Removes the faults of exactly this scope, or all faults (and failNext queue) without one. */
  clearFaults(scope?: FaultScope): void;
  /** Conjur's Kubernetes lookups find this pod gone although the kubelet and the API the agent watches still list it. */
  setPodGone(namespace: string, name: string, gone: boolean): void;
  /** inject_client_cert requests being answered now, and the most at once (a test may reset `peak`). */
  readonly injectsInFlight: { now: number; peak: number };
  /** Why requests were refused, as Conjur would log it (`CONJ00006E ...`). */
  readonly serverLog: readonly string[];
  /** `id` without the `host/` kind (a leading `host/` is stripped). */
  addHost(id: string, options?: HostOptions): void;
  removeHost(id: string): void;
  /** Adds a version (null: the variable exists without a value); `permitted` hosts get read+execute. */
  setVariable(id: string, value: string | Buffer | null, options?: { mimeType?: string; permitted?: readonly string[] }): void;
  permit(id: string, hostIds: readonly string[], privilege?: 'execute' | 'read'): void;
  deleteVariable(id: string): void;
  /** Another authn-k8s service with its own CA (enabled); returns that CA. */
  addService(id: string): Promise<{ certPem: string; keyPem: string }>;
  /** Whether `authn-k8s/<id>` is listed in CONJUR_AUTHENTICATORS. */
  setServiceEnabled(id: string, enabled: boolean): void;
  /** The next `times` requests to `route` (Infinity allowed) get `status` with an empty body. */
  failNext(route: ConjurRoute, status: number, times?: number): void;
  clearFailures(): void;
  /** Down: every connection is dropped at once (the agent sees a transport error). */
  setDown(down: boolean): void;
  /** Resolves when no delayed injection is pending (then the exec double's whenIdle covers the shell). */
  whenIdle(): Promise<void>;
  /** Signs any header/claims with the account key (for token-middleware tests). */
  mintToken(claims: Record<string, unknown>, header?: Record<string, unknown>): TokenJson;
  close(): Promise<void>;
}

export async function startConjur(options: ConjurOptions): Promise<ConjurDouble> {
  const baseClock = options.clock ?? { now: () => Date.now() };
  let clockOffsetMs = 0;
  const clock = { now: () => baseClock.now() + clockOffsetMs };
  const state = new ConjurState(options.account);
  const [serverCert, signingKey] = await Promise.all([options.ca.issueServerCert(), rsaKey(`signing:${options.account}`)]);
  const signer = new TokenSigner(options.account, signingKey);
  const addService = async (id: string) => {
    const now = clock.now();
    const ca = createConjurCa(options.account, id, await rsaKey(`ca:${options.account}:${id}`), now);
    state.services.set(id, true);
    state.setVariable(`conjur/authn-k8s/${id}/ca/cert`, ca.certPem);
    state.setVariable(`conjur/authn-k8s/${id}/ca/key`, ca.keyPem);
    return ca;
  };
  const mainCa = await addService(options.serviceId);
  const kubeAgent = new Agent({ keepAlive: true, maxSockets: 16 });
  const closing = new AbortController();
  const pending = new Set<Promise<void>>();
  const serverLog: string[] = [];
  const calls = { inject: 0, authenticate: 0, secrets: 0 };
  const injectsInFlight = { now: 0, peak: 0 };
  const failures = new FailureQueue();
  const faults = new FaultList();
  const requests: RequestRecord[] = [];
  const hung = new Set<ServerResponse>();
  const injection: InjectionKnobs = { delayMs: 0, mode: 'normal' };
  let tokenTtlSeconds = options.tokenTtlSeconds ?? DEFAULT_TTL_SECONDS;
  let execTimeoutMs = options.execTimeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;

  const ctx: ConjurContext = {
    state,
    signers: [signer],
    kubeConnection: options.kubeApi,
    kube: () => new KubeLookup(options.podLookup ?? options.kubeApi, kubeAgent, options.kubeTimeoutMs ?? 10_000),
    now: () => clock.now(),
    injection,
    tokenTtlSeconds: () => tokenTtlSeconds,
    execTimeoutMs: () => execTimeoutMs,
    trustClientCertHeader: options.trustClientCertHeader ?? false,
    otherCa: async () => createConjurCa(options.account, options.serviceId, await rsaKey('other-ca'), clock.now()),
    log: (line) => void serverLog.push(line),
    background(task) {
      const tracked = task.catch((error: unknown) => void serverLog.push(`background: ${String(error)}`)).finally(() => pending.delete(tracked));
      pending.add(tracked);
    },
    closing: closing.signal,
  };

  const dispatch = async (req: IncomingMessage, res: ServerResponse) => {
    // Rails stamps every answer with its own clock: the agent measures skew from it.
    res.sendDate = false;
    res.setHeader('date', new Date(clock.now()).toUTCString());
    const route = matchRoute(req.method ?? 'GET', req.url ?? '/');
    const counted: ConjurRoute | undefined = route.kind === 'inject' || route.kind === 'authenticate' ? route.kind : route.kind === 'secret' || route.kind === 'batch-secrets' ? 'secrets' : undefined;
    if (route.kind === 'inject') {
      injectsInFlight.peak = Math.max(injectsInFlight.peak, ++injectsInFlight.now);
      // Done when the answer is handed to the socket ('prefinish', emitted inside end()): 'finish'
      // and 'close' can come after the agent has read the answer and sent its next request,
      // which would count that request twice.
      let open = true;
      const done = () => void (open && ((open = false), injectsInFlight.now--));
      res.once('prefinish', done).once('close', done);
    }
    let body: Promise<Buffer> | undefined;
    let injectionMode = injection.mode;
    if (counted) {
      calls[counted]++;
      let who: RequestIdentity = {};
      if (route.kind === 'inject') {
        body = readBody(req);
        who = identifyInject(await body.catch(() => Buffer.alloc(0)), headerValue(req.headers['host-id-prefix']), route.serviceId);
      } else if (route.kind === 'authenticate') {
        who = identifyAuthenticate(req, route.login);
      }
      const record: RequestRecord = { route: counted, at: Date.now(), ...who, outcome: undefined };
      requests.push(record);
      res.once('finish', () => (record.outcome = res.statusCode));
      res.once('close', () => (record.durationMs = Date.now() - record.at));
      const status = failures.take(counted);
      if (status !== undefined) return void (req.resume(), sendHead(req, res, status));
      const action = faults.take(counted, who);
      if (action?.kind === 'status') return void (req.resume(), sendHead(req, res, action.status));
      if (action?.kind === 'hang') {
        record.outcome = 'hung';
        req.resume();
        hung.add(res);
        res.once('close', () => hung.delete(res));
        return;
      }
      if (action?.kind === 'injection') injectionMode = action.mode;
    }
    switch (route.kind) {
      case 'inject':
        return handleInject(ctx, req, res, route.serviceId, body, injectionMode);
      case 'authenticate':
        return handleAuthenticate(ctx, req, res, route);
      case 'secret':
        return handleSecret(ctx, req, res, route);
      case 'batch-secrets':
        return handleBatchSecrets(ctx, req, res);
      case 'whoami':
        return handleWhoami(ctx, req, res);
      case 'authenticators':
        return sendJson(res, 200, state.authenticators());
      case 'not-found':
        req.resume();
        return sendHead(req, res, 404);
    }
  };

  const server = createServer({ cert: serverCert.certPem, key: serverCert.keyPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    dispatch(req, res).catch((error: unknown) => {
      serverLog.push(`unexpected: ${String(error)}`);
      if (!res.headersSent) sendHead(req, res, 500);
    });
  });
  const listener = new LoopbackListener(server);
  const port = await listener.listen();

  return {
    url: `https://127.0.0.1:${port}`,
    account: options.account,
    serviceId: options.serviceId,
    caCertPem: mainCa.certPem,
    caKeyPem: mainCa.keyPem,
    tokenSigningKeyPem: signer.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    tokenKid: signer.kid,
    get tokenTtlSeconds() {
      return tokenTtlSeconds;
    },
    set tokenTtlSeconds(value: number) {
      tokenTtlSeconds = value;
    },
    get execTimeoutMs() {
      return execTimeoutMs;
    },
    set execTimeoutMs(value: number) {
      execTimeoutMs = value;
    },
    injection,
    calls,
    requests,
    requestsFor: ({ route, pod, host }) => {
      const hostId = host === undefined ? undefined : hostIdOf(host);
      return requests.filter((r) => (route === undefined || r.route === route) && (pod === undefined || r.pod === pod) && (hostId === undefined || r.host === hostId));
    },
    get clockOffsetMs() {
      return clockOffsetMs;
    },
    set clockOffsetMs(value: number) {
      clockOffsetMs = value;
    },
    fault: (route, action, scope, times) => faults.add(route, action, scope, times),
    clearFaults: (scope) => {
      faults.clear(scope);
      if (scope === undefined) failures.clear();
    },
    setPodGone: (namespace, name, gone) => void (gone ? state.podsGone.add(`${namespace}/${name}`) : state.podsGone.delete(`${namespace}/${name}`)),
    injectsInFlight,
    serverLog,
    addHost: (id, hostOptions = {}) =>
      void state.hosts.set(hostIdOf(id), {
        id: hostIdOf(id),
        annotations: { ...hostOptions.annotations },
        canAuthenticate: hostOptions.canAuthenticate ?? true,
        restrictedTo: [...(hostOptions.restrictedTo ?? [])],
      }),
    removeHost: (id) => void state.hosts.delete(hostIdOf(id)),
    setVariable: (id, value, variableOptions) => state.setVariable(id, value, variableOptions),
    permit: (id, hostIds, privilege = 'execute') => state.permit(id, hostIds, privilege),
    deleteVariable: (id) => void state.variables.delete(id),
    addService,
    setServiceEnabled: (id, enabled) => void (state.services.has(id) && state.services.set(id, enabled)),
    failNext: (route, status, times = 1) => failures.push(route, status, times),
    clearFailures: () => failures.clear(),
    setDown: (value) => listener.setDown(value),
    async whenIdle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    mintToken: (claims, header = { alg: 'conjur.org/slosilo/v2', kid: signer.kid }) => signer.sign(header, claims),
    async close() {
      closing.abort();
      for (const res of hung) res.destroy();
      await Promise.all([...pending]);
      kubeAgent.destroy();
      await listener.close();
    },
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
