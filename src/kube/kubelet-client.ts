import http from 'node:http';
import https from 'node:https';
import type { Clock } from '../async/index.js';
import { KubeError } from './kube-error.js';
import type { PodInfo } from './pod-info.js';
import { fromPodListJson } from './pod-json.js';
import { ServiceAccountToken } from './service-account-token.js';

/** How the kubelet's server certificate is checked: against its CA, or (explicitly) not at all. */
export type KubeletTls = { readonly caPem: string } | { readonly insecureSkipVerify: true };

/**
 * The secure port (`https://<node>:10250`, bearer token from the service-account token file) or
 * the read-only port (`http://<node>:10255`, no auth; disabled on most clusters).
 */
export type KubeletEndpoint =
  | { readonly kind: 'secure'; readonly url: string; readonly tokenFile: string; readonly tls: KubeletTls }
  | { readonly kind: 'read-only'; readonly url: string };

export interface KubeletClientOptions {
  readonly requestTimeoutMs: number;
  readonly maxResponseBytes: number;
  readonly clock: Clock;
}

/**
 * One `GET /pods` round trip. The body is collected as bytes and parsed once into PodInfo
 * values, so the raw JSON is garbage as soon as this returns. Every failure is a KubeError
 * 'unavailable' whose message names it (status, timeout, malformed JSON, connection error).
 */
export class KubeletClient {
  private readonly podsUrl: URL;
  // An agent of its own: its TLS settings (the kubelet CA) must never mix with other upstreams'.
  // No keep-alive: requests are at most a few per second, and a kubelet-closed idle socket
  // would otherwise fail the next request.
  private readonly agent: http.Agent;
  private readonly token: ServiceAccountToken | undefined;

  constructor(
    endpoint: KubeletEndpoint,
    private readonly options: KubeletClientOptions,
  ) {
    this.podsUrl = parseUrl(endpoint);
    if (endpoint.kind === 'secure') {
      const tls = 'caPem' in endpoint.tls ? { ca: endpoint.tls.caPem, rejectUnauthorized: true } : { rejectUnauthorized: false };
      this.agent = new https.Agent({ keepAlive: false, ...tls });
      this.token = new ServiceAccountToken(endpoint.tokenFile);
    } else {
      this.agent = new http.Agent({ keepAlive: false });
      this.token = undefined;
    }
  }

  get url(): string {
    return this.podsUrl.href;
  }

  async fetchPods(signal: AbortSignal): Promise<PodInfo[]> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers['authorization'] = `Bearer ${await this.token.read()}`;
    const body = await this.get(headers, signal);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw new KubeError('unavailable', 'kubelet returned malformed JSON', { cause: error });
    }
    const pods = fromPodListJson(json);
    if (!pods) throw new KubeError('unavailable', 'kubelet returned malformed JSON', { cause: new Error('no items array') });
    return pods;
  }

  close(): void {
    this.agent.destroy();
  }

  private get(headers: Record<string, string>, signal: AbortSignal): Promise<Buffer> {
    const { requestTimeoutMs, maxResponseBytes, clock } = this.options;
    return new Promise<Buffer>((resolve, reject) => {
      let settled = false;
      let cancelTimer = () => {};
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        cancelTimer();
        signal.removeEventListener('abort', onAbort);
        outcome();
      };
      const fail = (error: KubeError) => settle(() => (req.destroy(), reject(error)));
      const onAbort = () => fail(new KubeError('unavailable', 'kubelet request was cancelled', { cause: signal.reason }));
      const transport = this.podsUrl.protocol === 'https:' ? https : http;
      const req = transport.request(this.podsUrl, { method: 'GET', headers, agent: this.agent }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return fail(new KubeError('unavailable', `kubelet returned ${res.statusCode} for /pods`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxResponseBytes) return fail(new KubeError('unavailable', `kubelet response exceeds ${maxResponseBytes} bytes`));
          chunks.push(chunk);
        });
        res.on('end', () => settle(() => resolve(Buffer.concat(chunks, size))));
        res.on('close', () => {
          if (!res.complete) fail(new KubeError('unavailable', 'kubelet closed the connection before the response was complete'));
        });
      });
      req.on('error', (error) => fail(new KubeError('unavailable', `kubelet request failed: ${error.message}`, { cause: error })));
      cancelTimer = clock.setTimer(() => fail(new KubeError('unavailable', `kubelet request timed out after ${requestTimeoutMs} ms`)), requestTimeoutMs);
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      req.end();
    });
  }
}

function parseUrl(endpoint: KubeletEndpoint): URL {
  let url: URL;
  try {
    // Relative to the base, so a proxy path (…/api/v1/nodes/<node>/proxy/) is kept.
    url = new URL('pods', endpoint.url.endsWith('/') ? endpoint.url : `${endpoint.url}/`);
  } catch (error) {
    throw new KubeError('invalid-config', `kubelet url ${endpoint.url} is not a url`, { cause: error });
  }
  const expected = endpoint.kind === 'secure' ? 'https:' : 'http:';
  if (url.protocol !== expected) throw new KubeError('invalid-config', `kubelet ${endpoint.kind} port needs an ${expected}// url, got ${endpoint.url}`);
  return url;
}
