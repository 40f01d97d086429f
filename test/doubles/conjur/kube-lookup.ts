import { Agent, request } from 'node:https';
import { ConjurDenial } from './http.js';

// Conjur's view of the Kubernetes API (protocol §7): a fresh set of kubeclient clients per
// request, each discovering its group-version lazily, tried in a fixed order until one knows the
// resource. A 404 or a transport error on discovery skips that client; other HTTP errors
// propagate. Object GETs use the bearer token and verify the API server's certificate.

export interface KubeConnection {
  readonly url: string;
  readonly token: string;
  readonly caPem: string;
}

/** A Kubernetes HTTP error other than 404 (403 forbidden, 5xx, ...). */
export class KubeHttpError extends Error {
  constructor(
    readonly status: number,
    path: string,
  ) {
    super(`kubernetes api returned ${status} for ${path}`);
  }
}

const CLIENTS = [
  '/api/v1',
  '/apis/apps/v1',
  '/apis/apps/v1beta2',
  '/apis/apps/v1beta1',
  '/apis/extensions/v1',
  '/apis/extensions/v1beta1',
  '/oapi/v1',
  '/apis/apps.openshift.io/v1',
];

export type Resource = 'pods' | 'serviceaccounts' | 'namespaces' | 'replicationcontrollers' | 'deployments' | 'replicasets' | 'statefulsets' | 'deploymentconfigs';

export type KubeObject = Record<string, unknown>;

/** One request's worth of Kubernetes clients (discovery is cached only for its lifetime). */
export class KubeLookup {
  private readonly discovered = new Map<string, Promise<Set<string> | undefined>>();

  constructor(
    private readonly connection: KubeConnection,
    private readonly agent: Agent,
    private readonly timeoutMs: number,
  ) {}

  /** The object, or undefined on 404. Throws ConjurDenial CONJ00132E when no client knows the resource. */
  async get(resource: Resource, namespace: string, name: string): Promise<KubeObject | undefined> {
    const client = await this.clientFor(resource);
    const path = resource === 'namespaces' ? `${client}/namespaces/${name}` : `${client}/namespaces/${namespace}/${resource}/${name}`;
    const { status, body } = await this.fetch(path);
    if (status === 404) return undefined;
    if (status !== 200) throw new KubeHttpError(status, path);
    return body as KubeObject;
  }

  private async clientFor(resource: Resource): Promise<string> {
    for (const client of CLIENTS) {
      let resources = this.discovered.get(client);
      if (!resources) {
        resources = this.discover(client);
        this.discovered.set(client, resources);
      }
      if ((await resources)?.has(resource)) return client;
    }
    throw new ConjurDenial('CONJ00132E', `no kubernetes client knows get_${resource}`);
  }

  private async discover(client: string): Promise<Set<string> | undefined> {
    let response: { status: number; body: unknown };
    try {
      response = await this.fetch(client);
    } catch {
      return undefined; // not a Kubernetes HTTP error: kubeclient skips the client
    }
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw new KubeHttpError(response.status, client);
    const resources = (response.body as { resources?: { name?: unknown }[] } | undefined)?.resources ?? [];
    return new Set(resources.map((r) => String(r.name)));
  }

  private fetch(path: string): Promise<{ status: number; body: unknown }> {
    const base = new URL(this.connection.url);
    const url = new URL(`${base.pathname.replace(/\/$/, '')}${path}`, base);
    return new Promise((resolve, reject) => {
      const req = request(url, { agent: this.agent, ca: this.connection.caPem, headers: { authorization: `Bearer ${this.connection.token}`, accept: 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`kubernetes api timed out after ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
  }
}
