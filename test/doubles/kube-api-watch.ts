import type { ServerResponse } from 'node:http';
import { filteredEvent } from './kube-api-pod-store.js';
import type { KubeApiPodStore, PodObject } from './kube-api-pod-store.js';
import { statusJson } from './kube-api-status.js';

// A pods watch as the API server streams it: 200 at once, then one JSON event per line
// (`{"type":"ADDED","object":{...}}`), open until the client leaves, `timeoutSeconds` passes or
// the test drops it. Without a resourceVersion (or "0") it first sends the current pods as ADDED;
// from version N it replays what changed after N, or one ERROR event with a 410 Status when the
// history no longer reaches back that far (client-node's informer then re-lists).

export interface WatchRequest {
  matches: (pod: PodObject) => boolean;
  resourceVersion: string | null;
  timeoutSeconds: number | null;
}

export class WatchStreams {
  private readonly open = new Set<ServerResponse>();

  constructor(private readonly store: KubeApiPodStore) {}

  get count(): number {
    return this.open.size;
  }

  serve(res: ServerResponse, request: WatchRequest): void {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const send = (type: string, object: unknown) => {
      if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify({ type, object })}\n`);
    };
    const { resourceVersion: rv } = request;
    if (rv === null || rv === '' || rv === '0') {
      for (const pod of this.store.list()) if (request.matches(pod)) send('ADDED', pod);
    } else {
      const changes = /^\d+$/.test(rv) ? this.store.changesSince(Number(rv)) : 'expired';
      if (changes === 'expired') {
        send('ERROR', statusJson(410, `too old resource version: ${rv} (${this.store.resourceVersion})`));
        res.end();
        return;
      }
      for (const change of changes) {
        const event = filteredEvent(change, request.matches);
        if (event) send(event.type, event.object);
      }
    }
    const unsubscribe = this.store.subscribe((change) => {
      const event = filteredEvent(change, request.matches);
      if (event) send(event.type, event.object);
    });
    const timer = request.timeoutSeconds ? setTimeout(() => res.end(), request.timeoutSeconds * 1000) : undefined;
    this.open.add(res);
    res.on('close', () => {
      unsubscribe();
      clearTimeout(timer);
      this.open.delete(res);
    });
  }

  /** Ends every open stream cleanly, as an API server restart or its watch timeout does. */
  endAll(): void {
    for (const res of this.open) res.end();
  }
}
