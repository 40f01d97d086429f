import { connect, FETCH_X509_SVID, firstMessage, openStream, waitForReady } from './raw-grpc.js';
import { elapsedMs } from '../support/stats.js';

// Time to the first FetchX509SVID message for an identity the agent already holds, on an
// existing connection: the cached path alone, without its floor (the "under attack" bench compares
// it with itself on a quiet agent). Connections rotate as in cached-samples.ts, so no connection
// sees more stream cancels than a well-behaved client would.

const CALLS_PER_CONNECTION = 500;

export async function sampleCachedSvid(params: { readonly socketPath: string; readonly samples: number }): Promise<number[]> {
  const count = Math.ceil(params.samples / CALLS_PER_CONNECTION);
  const clients = Array.from({ length: count }, () => connect(params.socketPath));
  await Promise.all(clients.map((c) => waitForReady(c)));
  const samples: number[] = [];
  try {
    for (let i = 0; i < params.samples; i++) {
      const started = process.hrtime.bigint();
      const stream = openStream(clients[i % count]!, FETCH_X509_SVID);
      await firstMessage(stream);
      samples.push(elapsedMs(started));
      stream.cancel();
    }
  } finally {
    for (const c of clients) c.close();
  }
  return samples;
}
