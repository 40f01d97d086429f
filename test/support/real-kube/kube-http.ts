import { request } from 'node:https';

// A tiny JSON client for the real API server: one request, bearer token, the cluster's CA, no
// keep-alive (so nothing lingers when a test ends). Answers with the status and parsed body
// whatever the status, so tests can assert refusals (403) as well as successes.

export interface KubeAnswer<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
}

export interface KubeEndpoint {
  readonly url: string;
  readonly caPem: string;
}

export type KubeMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export function kubeRequest<T = Record<string, unknown>>(
  endpoint: KubeEndpoint,
  token: string,
  method: KubeMethod,
  path: string,
  body?: unknown,
  options: { contentType?: string; timeoutMs?: number } = {},
): Promise<KubeAnswer<T>> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
  if (payload) {
    headers['content-type'] = options.contentType ?? (method === 'PATCH' ? 'application/merge-patch+json' : 'application/json');
    headers['content-length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, endpoint.url), { method, headers, ca: endpoint.caPem, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = {};
        try {
          parsed = text ? JSON.parse(text) : {};
        } catch {
          parsed = { text };
        }
        resolve({ status: res.statusCode ?? 0, body: parsed as T });
      });
    });
    req.setTimeout(options.timeoutMs ?? 30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Throws unless the status is 2xx; returns the body. */
export async function expectOk<T = Record<string, unknown>>(answer: Promise<KubeAnswer<T>>, what: string): Promise<T> {
  const { status, body } = await answer;
  if (status < 200 || status >= 300) throw new Error(`${what}: api server returned ${status}: ${JSON.stringify(body).slice(0, 400)}`);
  return body;
}
