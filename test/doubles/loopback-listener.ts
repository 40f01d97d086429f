import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What every double does with its server: listen on a free loopback port, track connections
 * so `close()` never waits on a keep-alive client, and a "down" switch that drops every
 * connection, open or new (the agent sees a transport error, as with a dead upstream).
 */
export class LoopbackListener {
  private readonly sockets = new Set<Socket>();
  private down = false;

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      if (this.down) {
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Listens on 127.0.0.1 and resolves with the port. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  setDown(down: boolean): void {
    this.down = down;
    if (down) this.destroyConnections();
  }

  destroyConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  /** Cuts every connection and stops listening. */
  close(): Promise<void> {
    this.destroyConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
