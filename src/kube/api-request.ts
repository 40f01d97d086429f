import { request as httpRequest } from 'node:http';
import type { IncomingMessage, RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../async/index.js';
import { KubeError } from './kube-error.js';

/**
 * The most an answer from the API server or the kubelet (kubelet-pod-source.ts) may hold: a
 * node's pod list is a few MB even at 250 pods, and an answer without end (a broken proxy, a
 * misrouted URL) must not grow the agent's memory until it is OOM-killed.
 */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * GETs `path` (e.g. `/api/v1/pods?...`) from the API server `kubeConfig` names, with a deadline,
 * and returns the parsed JSON: the deadline fires after `timeoutMs` or when `signal` aborts, and
 * covers the whole answer. Failures become KubeError 'unavailable' naming what was asked and why;
 * a 404 is returned as undefined.
 *
 * The connection is client-node's: KubeConfig applies the CA, client certificate, token (or token
 * file, through our authenticator) and proxy to the request options, as its Watch does. The
 * request is sent here rather than through its generated CoreV1Api, which would load its
 * ObjectSerializer and every one of its model classes (about 3.5 MB of heap for as long as the
 * agent runs, README "Performance") to build class instances that fromPodJson reads as plain
 * JSON anyway.
 */
export async function getJson(
  kubeConfig: KubeConfig,
  path: string,
  what: string,
  context: { signal: AbortSignal; timeoutMs: number; clock: Clock; maxBytes?: number },
): Promise<unknown> {
  const controller = new AbortController();
  let timedOut = false;
  const cancelTimer = context.clock.setTimer(() => {
    timedOut = true;
    controller.abort();
  }, context.timeoutMs);
  const onAbort = () => controller.abort();
  context.signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (context.signal.aborted) throw context.signal.reason;
    // Checked unless the kubeconfig says insecure-skip-tls-verify (client-node then sets false):
    // left unset, NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment would turn the check off.
    const options: RequestOptions & { rejectUnauthorized?: boolean } = { rejectUnauthorized: true };
    await kubeConfig.applyToHTTPSOptions(options);
    const server = kubeConfig.getCurrentCluster()?.server ?? '';
    const { status, body } = await get(new URL(server + path), options, controller.signal, context.maxBytes ?? MAX_RESPONSE_BYTES);
    if (status === 404) return undefined;
    if (status !== 200) throw Object.assign(new Error(`HTTP ${status}`), { statusCode: status });
    try {
      return JSON.parse(body.toString('utf8')) as unknown;
    } catch {
      throw new Error('the answer is not JSON');
    }
  } catch (error) {
    if (context.signal.aborted) throw context.signal.reason;
    throw toKubeError(what, error, timedOut ? context.timeoutMs : undefined);
  } finally {
    cancelTimer();
    context.signal.removeEventListener('abort', onAbort);
  }
}

export function toKubeError(what: string, error: unknown, timedOutAfterMs?: number): KubeError {
  if (timedOutAfterMs !== undefined) return new KubeError('unavailable', `api server request for ${what} timed out after ${timedOutAfterMs} ms`, { cause: error });
  const status = statusCodeOf(error);
  if (status !== undefined) return new KubeError('unavailable', `api server returned ${status} for ${what}`, { cause: error });
  const reason = error instanceof Error ? error.message : String(error);
  return new KubeError('unavailable', `api server request for ${what} failed: ${reason}`, { cause: error });
}

function statusCodeOf(error: unknown): number | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { statusCode?: unknown }).statusCode : undefined;
  return typeof code === 'number' ? code : undefined;
}

/** One GET with the options KubeConfig applied (its agent carries the TLS settings); the body is read whole. */
function get(url: URL, options: RequestOptions, signal: AbortSignal, maxBytes: number): Promise<{ status: number; body: Buffer }> {
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const headers = { ...options.headers, Accept: 'application/json' };
    const request = send(url, { ...options, method: 'GET', headers, signal }, (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      if (status !== 200) {
        response.resume();
        resolve({ status, body: Buffer.alloc(0) });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= maxBytes) return void chunks.push(chunk);
        chunks.length = 0;
        request.destroy();
        reject(new Error(`the answer exceeds ${maxBytes} bytes`));
      });
      response.once('end', () => resolve({ status, body: Buffer.concat(chunks) }));
      response.once('error', reject);
      response.once('aborted', () => reject(new Error('the answer was cut short')));
    });
    request.once('error', reject);
    request.end();
  });
}
