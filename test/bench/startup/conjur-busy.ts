import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';

// "Conjur's own time": how long, within a window, the Conjur double was busy answering (from a
// request's arrival to its response's end, overlapping requests counted once). The double runs
// in this process, so Node's HTTP server diagnostics channels see its requests; they are told
// apart from the kubelet's and API server's by the port they arrived on.

interface Interval {
  start: number;
  end: number;
}

export class ConjurBusyTime {
  private readonly open = new Map<ServerResponse, number>();
  private readonly done: Interval[] = [];
  private readonly onStart = (message: unknown) => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    if (request.socket.localPort === this.port) this.open.set(response, performance.now());
  };
  private readonly onFinish = (message: unknown) => {
    const { response } = message as { response: ServerResponse };
    const start = this.open.get(response);
    if (start === undefined) return;
    this.open.delete(response);
    this.done.push({ start, end: performance.now() });
  };

  constructor(private readonly port: number) {
    subscribe('http.server.request.start', this.onStart);
    subscribe('http.server.response.finish', this.onFinish);
  }

  /** Milliseconds within [from, to] (performance.now() readings) in which at least one request was being answered. */
  busyMs(from: number, to: number): number {
    const clipped = this.done
      .map((i) => ({ start: Math.max(i.start, from), end: Math.min(i.end, to) }))
      .filter((i) => i.end > i.start)
      .sort((a, b) => a.start - b.start);
    let total = 0;
    let reach = from;
    for (const i of clipped) {
      if (i.end <= reach) continue;
      total += i.end - Math.max(i.start, reach);
      reach = i.end;
    }
    return total;
  }

  /** When the first request answered within [from, to] arrived (performance.now()), if any did. */
  firstStart(from: number, to: number): number | undefined {
    const starts = this.done.filter((i) => i.start >= from && i.end <= to).map((i) => i.start);
    return starts.length === 0 ? undefined : Math.min(...starts);
  }

  /** Requests answered within the window. */
  count(from: number, to: number): number {
    return this.done.filter((i) => i.start >= from && i.end <= to).length;
  }

  close(): void {
    unsubscribe('http.server.request.start', this.onStart);
    unsubscribe('http.server.response.finish', this.onFinish);
  }
}
