import { chmod, lstat, unlink } from 'node:fs/promises';
import type { ServerHttp2Session } from 'node:http2';
import { createServer } from 'node:net';
import type { Server as NetServer, Socket } from 'node:net';
import { ServerCredentials } from '@grpc/grpc-js';
import type { ConnectionInjector } from '@grpc/grpc-js';
import { systemClock } from '../async/index.js';
import type { Clock } from '../async/index.js';
import { describeError, F } from '../log/index.js';
import type { Logger } from '../log/index.js';
import { ConnectionIds, readPeer, readPeerCredentials } from '../peer/index.js';
import type { AcceptedPeer } from '../peer/index.js';
import { addHttp2ServerOptions, onHttp2Session } from './grpc-internals.js';
import type { CallOnConnection } from './peer-registry.js';
import type { CallerGroups } from './ports.js';
import { RefusedPeers } from './refused-peers.js';
import { SessionGuard } from './session-guard.js';
import { prepareSocketPath, toListenError } from './socket-path.js';
import type { WorkloadApiServer } from './workload-api-server.js';
import { WorkloadApiError } from './workload-api-error.js';

export interface WorkloadEndpointOptions {
  readonly socketPath: string;
  /** Mode of the socket file; 0o777 by default so workloads of any uid can connect (as SPIRE). */
  readonly socketMode?: number;
  /** Where /proc is, for the liveness fallback on kernels without SO_PEERPIDFD. */
  readonly procRoot?: string;
  /** Which pod or uid a connection counts against (limits.*); by default its uid. */
  readonly groups?: CallerGroups;
  readonly logger: Logger;
  readonly clock?: Clock;
}

/** Connections over a connection bound that are kept open just long enough to answer why. */
const MAX_REFUSING_CONNECTIONS = 32;
/** Processes of pods refused for early resets whose reconnects are refused without a /proc read (one pidfd each). */
const MAX_REFUSED_PEERS = 64;
/**
 * Node >= 23 applies http2's streamResetBurst/streamResetRate; older versions ignore them and
 * keep nghttp2's fixed limit, which SessionGuard then stays clear of by closing gracefully.
 */
const RESET_LIMIT_SETTABLE = Number(process.versions.node.split('.')[0]) >= 23;
/** nghttp2's reset limit, raised out of the way where Node lets us: our own bound is SessionGuard's. */
const LIFTED_RESET_LIMIT = { streamResetBurst: 1_000_000, streamResetRate: 1_000_000 };

const byUid: CallerGroups = { groupOf: (peer) => Promise.resolve(`uid ${peer.credentials.uid}`) };

/**
 * The Workload Endpoint: our own net.Server on a Unix socket. grpc-js cannot tell a handler who
 * is calling, so each accepted socket's kernel credentials are read here, stored under a
 * connection id, and the id is set as the socket's `remoteAddress` before grpc-js gets the socket
 * (`call.getPeer()` then returns it). A connection whose credentials cannot be read is dropped.
 *
 * Before a connection is handed to grpc-js it is counted against its caller's group (its pod,
 * from the cgroup; its uid outside pods) and the node (limits.connections*). One over a bound is
 * still handed over, marked refused, so its first call can be answered ResourceExhausted with
 * the bound's name; it is closed right after (at most MAX_REFUSING_CONNECTIONS of those at once,
 * the rest are closed at once). A pod refused for an HTTP/2 Rapid Reset flood gets no session:
 * its connections are held unanswered until its refusal ends (limits.earlyResetBackoff), and
 * its processes' reconnects are recognised from their pid, without the /proc read. Each admitted session gets a SessionGuard (handshake timeout,
 * stream-reset policy); grpc-js closes connections idle for limits.idleTimeout.
 */
export class WorkloadEndpoint {
  private readonly netServer: NetServer;
  private readonly injector: ConnectionInjector;
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Map<string, ServerHttp2Session>();
  private readonly ids = new ConnectionIds();
  private readonly groups: CallerGroups;
  private readonly refusedPeers: RefusedPeers;
  private refusing = 0;
  private readonly heldFlooders = new Set<Socket>();
  /** The connection being injected: grpc-js creates its session synchronously, inside injectConnection. */
  private injecting: string | undefined;
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
    this.groups = options.groups ?? byUid;
    this.refusedPeers = new RefusedPeers(MAX_REFUSED_PEERS, (group) => api.limits.isResetPenalized(group));
    if (RESET_LIMIT_SETTABLE) addHttp2ServerOptions(api.grpcServer, LIFTED_RESET_LIMIT);
    // One injector (one internal http2 server) for all connections: one per socket would leak.
    this.injector = api.grpcServer.createConnectionInjector(ServerCredentials.createInsecure());
    onHttp2Session(api.grpcServer, (session) => this.guard(session));
    api.closeConnection = (connectionId) => this.closeGracefully(connectionId);
    // Nothing is read from a connection before it is admitted: what it sends meanwhile waits in
    // the kernel, and one that is held unanswered (holdFlooder) never costs a read buffer.
    this.netServer = createServer({ pauseOnConnect: true }, (socket) => this.accept(socket));
  }

  get socketPath(): string {
    return this.options.socketPath;
  }

  /** Open connections (refused ones still held open included); back to 0 once clients are gone. */
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
    this.refusedPeers.clear();
    for (const socket of this.heldFlooders) socket.destroy();
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
    // Peers that send garbage or vanish make the socket error; http2 closes it, nothing to crash on.
    socket.on('error', (error) => this.logger.debug('Connection error', { [F.connectionId]: connectionId, [F.cause]: describeError(error) }));
    let pid: number;
    try {
      pid = readPeerCredentials(socket).pid;
    } catch (error) {
      this.dropUnreadable(socket, connectionId, error);
      return;
    }
    if (this.refusedPeers.has(pid)) void this.refuseReconnect(socket, connectionId, pid);
    else this.acceptPeer(socket, connectionId);
  }

  /**
   * A process of a pod refused for a Rapid Reset flood, reconnecting (such a pod typically does
   * so in a tight loop): closed without a pidfd, a /proc read or an HTTP/2 session.
   */
  private async refuseReconnect(socket: Socket, connectionId: string, pid: number): Promise<void> {
    const group = await this.refusedPeers.refusedGroupOf(pid);
    if (group === undefined) {
      if (!socket.destroyed) this.acceptPeer(socket, connectionId); // no longer refused, or another process
      return;
    }
    this.api.limits.refuseReconnect(connectionId, group);
    this.holdFlooder(socket, group);
  }

  /**
   * A connection refused because its pod floods with early resets: left unanswered (never read,
   * no HTTP/2 session) until the pod's refusal ends, for at most limits.handshakeTimeout, as a connection that never
   * completes its handshake would be. Closed at once, it would only bring the pod's next
   * reconnect sooner: each one costs the agent an accept and a socket, and a pod that loops
   * costs it a good part of a core. At most limits.earlyResetHeldConnections are held; the rest
   * close at once.
   */
  private holdFlooder(socket: Socket, group: string): void {
    const { handshakeTimeoutMs, earlyResetHeldConnections } = this.api.limits.limits;
    const holdMs = Math.min(this.api.limits.resetRefusalLeftMs(group), handshakeTimeoutMs);
    if (this.heldFlooders.size >= earlyResetHeldConnections || holdMs <= 0 || this.closing) {
      socket.destroy();
      return;
    }
    this.heldFlooders.add(socket);
    this.sockets.add(socket);
    const cancelTimer = this.clock.setTimer(() => socket.destroy(), holdMs);
    socket.once('close', () => {
      cancelTimer();
      this.heldFlooders.delete(socket);
      this.sockets.delete(socket);
    });
  }

  private dropUnreadable(socket: Socket, connectionId: string, error: unknown): void {
    this.logger.warn('Dropped connection without peer credentials', { [F.connectionId]: connectionId, [F.cause]: describeError(error) });
    socket.destroy();
  }

  private acceptPeer(socket: Socket, connectionId: string): void {
    let peer: AcceptedPeer;
    try {
      peer = readPeer(socket, { connectionId, procRoot: this.options.procRoot });
    } catch (error) {
      this.dropUnreadable(socket, connectionId, error);
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.api.peers.remove(connectionId);
      this.api.limits.closeConnection(connectionId);
    });
    Object.defineProperty(socket, 'remoteAddress', { value: connectionId, configurable: true });
    void this.admit(socket, peer);
  }

  /** Counts the connection against its group (bytes it sends meanwhile wait in the socket), then injects it. */
  private async admit(socket: Socket, peer: AcceptedPeer): Promise<void> {
    const connectionId = peer.connectionId;
    let group: string;
    try {
      group = await this.groups.groupOf(peer, new AbortController().signal);
      // The group was read from the pid's /proc: it is the caller's only if the caller still runs.
      if (!(await peer.isStillAlive())) throw new Error(`process ${peer.credentials.pid} exited`);
    } catch (error) {
      this.logger.debug('Dropped connection of a caller that is gone', { [F.connectionId]: connectionId, [F.cause]: describeError(error) });
      peer.release();
      socket.destroy();
      return;
    }
    if (socket.destroyed || this.closing) {
      peer.release();
      socket.destroy();
      return;
    }
    const refusal = this.api.limits.openConnection(connectionId, group);
    if (refusal) {
      // A pod that spent its Rapid Reset budget gets no HTTP/2 session to flood; this process's
      // next connections are recognised from its pid alone while the refusal lasts.
      if (refusal.limit === 'earlyResets') {
        if (!this.refusedPeers.remember(peer, group)) peer.release();
        this.holdFlooder(socket, group);
      } else {
        peer.release();
        this.injectRefused(socket, connectionId);
      }
      return;
    }
    this.api.peers.add(peer);
    this.inject(socket, connectionId);
  }

  private injectRefused(socket: Socket, connectionId: string): void {
    if (this.refusing >= MAX_REFUSING_CONNECTIONS) {
      socket.destroy();
      return;
    }
    this.refusing += 1;
    socket.once('close', () => (this.refusing -= 1));
    this.inject(socket, connectionId);
  }

  private inject(socket: Socket, connectionId: string): void {
    this.injecting = connectionId;
    try {
      socket.resume(); // paused since accept; the HTTP/2 session reads it from here on
      this.injector.injectConnection(socket);
    } finally {
      this.injecting = undefined;
    }
  }

  private guard(session: ServerHttp2Session): void {
    const connectionId = this.injecting;
    if (connectionId === undefined) return;
    this.sessions.set(connectionId, session);
    session.once('close', () => this.sessions.delete(connectionId));
    const limits = this.api.limits.limits;
    new SessionGuard(session, {
      handshakeTimeoutMs: limits.handshakeTimeoutMs,
      earlyResetBurst: limits.earlyResetBurst,
      takeEarlyReset: () => this.api.limits.takeEarlyReset(connectionId),
      resetLimitLifted: RESET_LIMIT_SETTABLE,
      clock: this.clock,
      onClosed: (refusal) => this.api.limits.reportClosed(connectionId, refusal),
    });
  }

  /** GOAWAY, then close once open streams end (a refused connection after its answer). */
  private closeGracefully(connectionId: string): void {
    const session = this.sessions.get(connectionId);
    if (!session || session.closed || session.destroyed) return;
    session.close();
  }
}
