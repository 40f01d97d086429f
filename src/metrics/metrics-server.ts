import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBoundedHttpServer, DEFAULT_HTTP_ENDPOINT_LIMITS } from '../health/index.js';
import type { HttpEndpointLimits } from '../health/index.js';
import type { Logger } from '../log/index.js';
import type { AgentMetrics } from './agent-metrics.js';

/** Serves GET /metrics on its own port (loopback by default), apart from the probes. */
export class MetricsServer {
  private server: Server | undefined;

  constructor(
    private readonly metrics: AgentMetrics,
    private readonly logger: Logger,
    private readonly limits: HttpEndpointLimits = DEFAULT_HTTP_ENDPOINT_LIMITS,
  ) {}

  async listen(host: string, port: number): Promise<AddressInfo> {
    const server = createBoundedHttpServer(this.limits, (req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      this.metrics.exposition().then(
        (text) => res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    server.unref();
    const address = server.address() as AddressInfo;
    this.logger.info('Metrics endpoint listening', { address: `${address.address}:${address.port}` });
    return address;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
