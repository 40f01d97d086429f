import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/index.js';
import { createBoundedHttpServer, DEFAULT_HTTP_ENDPOINT_LIMITS } from './bounded-http-server.js';
import type { HttpEndpointLimits } from './bounded-http-server.js';

/** One component's view of its own state; the agent is ready only when every check is ready. */
export interface ReadinessCheck {
  readonly name: string;
  isReady(): boolean;
  /** Short human reason when not ready, e.g. "conjur: authenticate returned 401". */
  detail?(): string;
}

export interface HealthServerOptions {
  host: string;
  port: number;
  checks: readonly ReadinessCheck[];
  logger: Logger;
  limits?: HttpEndpointLimits;
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
    const server = createBoundedHttpServer(limits, (req, res) => {
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
