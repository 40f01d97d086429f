import { STATUS_CODES, createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TestCa } from '../support/test-ca.js';
import { LoopbackListener } from './loopback-listener.js';

// A kubelet's `GET /pods` over HTTPS with bearer-token auth, answering PodList JSON exactly as a
// real kubelet does (see /work/shared/data/kubelet), with knobs for the failures the agent must
// survive: error statuses, slow answers, truncated JSON. The read-only mode is the kubelet's
// plain-HTTP port 10255: no TLS, no auth.

export type KubeletOptions =
  | { ca: TestCa; token: string; pods?: unknown[]; readOnly?: false }
  | { readOnly: true; pods?: unknown[] };

export interface KubeletDouble {
  /** `https://127.0.0.1:<port>` (or `http://` in read-only mode). */
  readonly url: string;
  /** GET /pods requests received, answered or not (auth failures and injected failures count). */
  readonly requests: number;
  setPods(pods: unknown[]): void;
  /** The next `times` GET /pods get `status` with the status text as body (as the kubelet's text errors). */
  failNext(status: number, times?: number): void;
  /** Every answer waits this long first (0 = none). */
  setDelayMs(ms: number): void;
  /** The next answer is a 200 whose JSON body is cut off half way. */
  setMalformedNext(): void;
  /** Rotation: from now on only this token is accepted. */
  setToken(token: string): void;
  close(): Promise<void>;
}

export async function startKubelet(options: KubeletOptions): Promise<KubeletDouble> {
  const state = new KubeletState(options.pods ?? [], options.readOnly ? undefined : options.token);
  const handler = (req: IncomingMessage, res: ServerResponse) => state.handle(req, res);
  let server: Server;
  if (options.readOnly) {
    server = createHttpServer(handler);
  } else {
    const cert = await options.ca.issueServerCert();
    server = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, handler);
  }
  const listener = new LoopbackListener(server);
  const port = await listener.listen();
  const url = `${options.readOnly ? 'http' : 'https'}://127.0.0.1:${port}`;

  return {
    url,
    get requests() {
      return state.requests;
    },
    setPods: (pods) => state.setPods(pods),
    failNext: (status, times = 1) => state.failures.push(...Array<number>(times).fill(status)),
    setDelayMs: (ms) => (state.delayMs = ms),
    setMalformedNext: () => (state.malformedNext = true),
    setToken: (token) => (state.token = token),
    close: () => {
      state.cancelDelays();
      return listener.close();
    },
  };
}

class KubeletState {
  requests = 0;
  delayMs = 0;
  malformedNext = false;
  readonly failures: number[] = [];
  private body = '';
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    pods: unknown[],
    public token: string | undefined,
  ) {
    this.setPods(pods);
  }

  setPods(pods: unknown[]): void {
    // Serialised once per change, as the kubelet's answer is one document per request.
    this.body = JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: pods });
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://kubelet').pathname;
    if (req.method !== 'GET' || path !== '/pods') return sendText(res, 404, '404 page not found');
    this.requests++;
    if (this.token !== undefined && req.headers.authorization !== `Bearer ${this.token}`) {
      return sendText(res, 401, 'Unauthorized');
    }
    if (this.delayMs > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.answer(res);
      }, this.delayMs);
      this.timers.add(timer);
      return;
    }
    this.answer(res);
  }

  cancelDelays(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private answer(res: ServerResponse): void {
    if (res.destroyed) return;
    const status = this.failures.shift();
    if (status !== undefined) return sendText(res, status, status === 403 ? FORBIDDEN : (STATUS_CODES[status] ?? 'error'));
    const body = this.malformedNext ? this.body.slice(0, Math.floor(this.body.length / 2)) : this.body;
    this.malformedNext = false;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }
}

// The kubelet's authorizer answer when the token's subject lacks nodes/proxy.
const FORBIDDEN = 'Forbidden (user=system:serviceaccount:conjur:conjur-spiffe-agent, verb=get, resource=nodes, subresource=proxy)';

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
