import { createServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Bounds for an HTTP endpoint that listens beyond the node: the probes answer on the pod IP, so
 * any pod in the cluster can connect. Connections are counted per remote address as well as in
 * all, so one pod holding its share open cannot crowd out the kubelet's probes (which would
 * get the agent restarted): the kubelet connects from the node's address, a pod from its own.
 */
export interface HttpEndpointLimits {
  /** Open connections in all; one over it is closed at once (node:http's maxConnections). */
  readonly maxConnections: number;
  /** Open connections from one remote address; one over it is closed at once. */
  readonly maxConnectionsPerAddress: number;
  /** A request's headers and body must arrive within this; an idle connection is closed after it. */
  readonly requestTimeoutMs: number;
  /** Called for each connection closed by either bound. */
  readonly onRefused?: () => void;
}

export const DEFAULT_HTTP_ENDPOINT_LIMITS: HttpEndpointLimits = { maxConnections: 256, maxConnectionsPerAddress: 8, requestTimeoutMs: 5000 };

/** node:http with HttpEndpointLimits applied. */
export function createBoundedHttpServer(limits: HttpEndpointLimits, handler: RequestListener): Server {
  // node:http checks its timeouts only this often (30 s by default): keep it below the timeout.
  const connectionsCheckingInterval = Math.max(100, Math.min(1000, Math.floor(limits.requestTimeoutMs / 2)));
  const server = createServer({ connectionsCheckingInterval }, handler);
  server.maxConnections = limits.maxConnections;
  server.headersTimeout = limits.requestTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  // The two above start with a request's first byte; a connection that never sends one ends here.
  server.timeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = Math.min(limits.requestTimeoutMs, 5000);
  server.on('drop', () => limits.onRefused?.());
  const perAddress = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const open = perAddress.get(address) ?? 0;
    if (open >= limits.maxConnectionsPerAddress) {
      limits.onRefused?.();
      socket.destroy();
      return;
    }
    perAddress.set(address, open + 1);
    socket.once('close', () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
  });
  return server;
}
