/**
 * Ids for accepted connections, unique within the process. They double as the socket's
 * `remoteAddress`, which grpc-js reports from `call.getPeer()`, so they contain no ':'.
 */
export class ConnectionIds {
  private counter = 0;

  constructor(private readonly prefix = 'conn') {}

  next(): string {
    this.counter += 1;
    return `${this.prefix}-${this.counter}`;
  }
}
