import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/index.js';

/** One component's view of its own state; the agent is ready only when every check is ready. */
export interface ReadinessCheck {
  readonly name: string;
  isReady(): boolean;
  /** Short human reason when not ready, e.g. "conjur: authenticate returned 401". */
  detail?(): string;
}

/**
 * Bounds for an HTTP endpoint that listens beyond the node (the probes answer on the pod IP, so
 * any pod in the cluster can connect): without them idle or trickling connections pile up.
 */
export interface HttpEndpointLimits {
  /** Open connections; one over it is closed at once (node:http's maxConnections). */
  readonly maxConnections: number;
  /** A request's headers and body must arrive within this; an idle connection is closed after it. */
  readonly requestTimeoutMs: number;
  /** Called for each connection closed because of maxConnections. */
  readonly onRefused?: () => void;
}

export const DEFAULT_HTTP_ENDPOINT_LIMITS: HttpEndpointLimits = { maxConnections: 32, requestTimeoutMs: 5000 };

export interface HealthServerOptions {
  host: string;
  port: number;
  checks: readonly ReadinessCheck[];
  logger: Logger;
  limits?: HttpEndpointLimits;
}

/** Applies HttpEndpointLimits to a node:http server (create it with httpServerOptions). */
export function boundHttpServer(server: Server, limits: HttpEndpointLimits): void {
  server.maxConnections = limits.maxConnections;
  server.headersTimeout = limits.requestTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  // The two above start with a request's first byte; a connection that never sends one ends here.
  server.timeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = Math.min(limits.requestTimeoutMs, 5000);
  server.on('drop', () => limits.onRefused?.());
}

/** node:http checks its timeouts only this often (30 s by default): keep it below the timeout. */
export function httpServerOptions(limits: HttpEndpointLimits): { connectionsCheckingInterval: number } {
  return { connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.requestTimeoutMs / 2))) };
}

/**
 * HTTP `/live` and `/ready` for kubelet probes. `/live` answers while the event loop runs;
 * `/ready` answers 200 only when every component can serve, 503 with the reasons otherwise.
 */
export class HealthServer {
  private server: Server | undefined;

  constructor(private readonly options: HealthServerOptions) {}

  async listen(): Promise<AddressInfo> {
    const limits = this.options.limits ?? DEFAULT_HTTP_ENDPOINT_LIMITS;
    const server = createServer(httpServerOptions(limits), (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405).end();
        return;
      }
      if (path === '/live') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"live":true}\n');
        return;
      }
      if (path === '/ready') {
        const report = this.readiness();
        res.writeHead(report.ready ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(report)}\n`);
        return;
      }
      res.writeHead(404).end();
    });
    boundHttpServer(server, limits);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    server.unref();
    const address = server.address() as AddressInfo;
    this.options.logger.info('Health endpoint listening', { address: `${address.address}:${address.port}` });
    return address;
  }

  readiness(): { ready: boolean; components: Record<string, { ready: boolean; detail?: string }> } {
    const components: Record<string, { ready: boolean; detail?: string }> = {};
    for (const check of this.options.checks) {
      const ready = check.isReady();
      const detail = ready ? undefined : check.detail?.();
      components[check.name] = detail === undefined ? { ready } : { ready, detail };
    }
    return { ready: Object.values(components).every((c) => c.ready), components };
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
