import { connect, FETCH_CONJUR_TOKEN, FETCH_X509_SVID, firstMessage, openStream } from './raw-grpc.js';
import { elapsedMs } from '../support/stats.js';

// Callers the agent has not seen before: each is a new connection, so the agent reads its peer
// credentials and attests it from scratch. Connections are closed once measured.

/** `count` new callers at once; milliseconds from each call to its first X.509 message. */
export async function burstOfCallers(socketPath: string, count: number): Promise<number[]> {
  const started = process.hrtime.bigint();
  const callers = Array.from({ length: count }, () => {
    const client = connect(socketPath);
    return { client, stream: openStream(client, FETCH_X509_SVID) };
  });
  try {
    return await Promise.all(callers.map(async ({ stream }) => (await firstMessage(stream), elapsedMs(started))));
  } finally {
    for (const { client, stream } of callers) stream.cancel(), client.close();
  }
}

/** A workload's start: FetchX509SVID and FetchConjurToken together on a new connection. */
export async function firstSvidAndToken(socketPath: string): Promise<{ svidMs: number; tokenMs: number }> {
  const started = process.hrtime.bigint();
  const client = connect(socketPath);
  const svid = openStream(client, FETCH_X509_SVID);
  const token = openStream(client, FETCH_CONJUR_TOKEN);
  try {
    const [svidMs, tokenMs] = await Promise.all([firstMessage(svid).then(() => elapsedMs(started)), firstMessage(token).then(() => elapsedMs(started))]);
    return { svidMs, tokenMs };
  } finally {
    svid.cancel();
    token.cancel();
    client.close();
  }
}
