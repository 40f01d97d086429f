import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

// A loopback TCP relay in front of the API server, so a test can cut one client (the agent) off
// while others (the test's admin requests) carry on: setDown(true) drops every relayed connection
// and refuses new ones, as a network partition between node and control plane would.

export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private down = false;
  private connections = 0;

  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy?.relay(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new TcpProxy(server, (server.address() as AddressInfo).port);
    return proxy;
  }

  /** Connections accepted so far (each reconnect of a client counts). */
  get connectionCount(): number {
    return this.connections;
  }

  setDown(down: boolean): void {
    this.down = down;
    if (down) for (const socket of this.sockets) socket.destroy();
  }

  close(): Promise<void> {
    this.setDown(true);
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, targetPort: number): void {
    if (this.down) return void client.destroy();
    this.connections++;
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined); // the other side is closed with it below
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  }
}
