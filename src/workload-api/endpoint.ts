import { chmod, lstat, unlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server as NetServer, Socket } from 'node:net';
import { ServerCredentials } from '@grpc/grpc-js';
import type { ConnectionInjector } from '@grpc/grpc-js';
import { systemClock } from '../async/index.js';
import type { Clock } from '../async/index.js';
import { describeError, F } from '../log/index.js';
import type { Logger } from '../log/index.js';
import { ConnectionIds, readPeer } from '../peer/index.js';
import type { AcceptedPeer } from '../peer/index.js';
import type { CallOnConnection } from './peer-registry.js';
import { prepareSocketPath, toListenError } from './socket-path.js';
import type { WorkloadApiServer } from './workload-api-server.js';
import { WorkloadApiError } from './workload-api-error.js';

export interface WorkloadEndpointOptions {
  readonly socketPath: string;
  /** Mode of the socket file; 0o777 by default so workloads of any uid can connect (as SPIRE). */
  readonly socketMode?: number;
  /** Where /proc is, for the liveness fallback on kernels without SO_PEERPIDFD. */
  readonly procRoot?: string;
  readonly logger: Logger;
  readonly clock?: Clock;
}

/**
 * The Workload Endpoint: our own net.Server on a Unix socket. grpc-js cannot tell a handler who
 * is calling, so each accepted socket's kernel credentials are read here, stored under a
 * connection id, and the id is set as the socket's `remoteAddress` before grpc-js gets the socket
 * (`call.getPeer()` then returns it). A connection whose credentials cannot be read is dropped.
 */
export class WorkloadEndpoint {
  private readonly netServer: NetServer;
  private readonly injector: ConnectionInjector;
  private readonly sockets = new Set<Socket>();
  private readonly ids = new ConnectionIds();
  private readonly logger: Logger;
  private readonly clock: Clock;
  private closing: Promise<void> | undefined;
  /** The inode of the socket file we created: close() removes that file and never another. */
  private socketInode: number | undefined;

  constructor(
    private readonly api: WorkloadApiServer,
    private readonly options: WorkloadEndpointOptions,
  ) {
    this.logger = options.logger.child({ component: 'workload-endpoint' });
    this.clock = options.clock ?? systemClock;
    // One injector (one internal http2 server) for all connections: one per socket would leak.
    this.injector = api.grpcServer.createConnectionInjector(ServerCredentials.createInsecure());
    this.netServer = createServer((socket) => this.accept(socket));
  }

  get socketPath(): string {
    return this.options.socketPath;
  }

  /** Open connections (each has a stored peer); back to 0 once clients are gone. */
  get connectionCount(): number {
    return this.sockets.size;
  }

  get openStreamCount(): number {
    return this.api.streams.count;
  }

  /** The peer a call came from; undefined when its connection has closed. */
  peerOf(call: CallOnConnection): AcceptedPeer | undefined {
    return this.api.peers.peerOf(call);
  }

  /** Throws EndpointError (one line saying what to fix) when the socket cannot be served. */
  async listen(): Promise<void> {
    const { socketPath } = this.options;
    await prepareSocketPath(socketPath);
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => reject(toListenError(error, socketPath));
      this.netServer.once('error', onError);
      this.netServer.listen(socketPath, () => {
        this.netServer.off('error', onError);
        resolve();
      });
    });
    this.netServer.on('error', (error) => this.logger.error('Endpoint server error', { [F.cause]: describeError(error) }));
    this.socketInode = (await lstat(socketPath)).ino;
    await chmod(socketPath, this.options.socketMode ?? 0o777);
    this.logger.info('Workload endpoint listening', { [F.socketPath]: socketPath });
  }

  /**
   * Stops accepting, ends open streams with Unavailable "agent shutting down", lets connections
   * close on their own for up to `graceMs`, then cuts the rest and removes the socket file.
   */
  close(graceMs = 5000): Promise<void> {
    this.closing ??= this.shutdown(graceMs);
    return this.closing;
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.netServer.close();
    this.api.health.setServing(false);
    this.api.streams.abortAll(new WorkloadApiError('shutting-down', 'the agent is shutting down'));
    this.injector.destroy(); // GOAWAY on every session; sessions close once their streams end
    await this.socketsClosed(graceMs);
    for (const socket of this.sockets) socket.destroy();
    this.api.grpcServer.forceShutdown();
    await this.removeSocketFile();
    // An endpoint that never listened (the path belongs to another agent) closed nothing there.
    if (this.socketInode !== undefined) this.logger.info('Workload endpoint closed', { [F.socketPath]: this.options.socketPath });
  }

  private async removeSocketFile(): Promise<void> {
    const { socketPath } = this.options;
    const current = await lstat(socketPath).catch(() => undefined);
    if (this.socketInode !== undefined && current?.ino === this.socketInode) await unlink(socketPath).catch(() => undefined);
  }

  private socketsClosed(graceMs: number): Promise<void> {
    if (this.sockets.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        cancelTimer();
        for (const socket of this.sockets) socket.off('close', check);
        resolve();
      };
      const check = () => {
        if (this.sockets.size === 0) done();
      };
      const cancelTimer = this.clock.setTimer(done, graceMs);
      for (const socket of this.sockets) socket.on('close', check);
    });
  }

  private accept(socket: Socket): void {
    const connectionId = this.ids.next();
    let peer: AcceptedPeer;
    try {
      peer = readPeer(socket, { connectionId, procRoot: this.options.procRoot });
    } catch (error) {
      this.logger.warn('Dropped connection without peer credentials', { [F.connectionId]: connectionId, [F.cause]: describeError(error) });
      socket.destroy();
      return;
    }
    this.api.peers.add(peer);
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.api.peers.remove(connectionId);
    });
    // Peers that send garbage or vanish make the socket error; http2 closes it, nothing to crash on.
    socket.on('error', (error) => this.logger.debug('Connection error', { [F.connectionId]: connectionId, [F.cause]: describeError(error) }));
    Object.defineProperty(socket, 'remoteAddress', { value: connectionId, configurable: true });
    this.injector.injectConnection(socket);
  }
}
