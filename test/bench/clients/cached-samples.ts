import { connect, FETCH_X509_SVID, firstMessage, openStream, ping, waitForReady } from './raw-grpc.js';
import { elapsedMs } from '../support/stats.js';

// The cached path from the workload's side: time to the first FetchX509SVID message for an
// identity the agent already holds, on an existing and on a new connection, and the same two
// shapes of plain grpc-js unary round trip against a trivial server (the floor). The four kinds
// are sampled in interleaved rounds so that load from elsewhere on the machine hits all alike.
//
// Each X.509 sample ends by cancelling its stream (an RST_STREAM). Node's HTTP/2 server limits
// stream resets per session (nghttp2's rapid-reset guard: a burst of 1,000, then 33 per second)
// and closes a session past it, so "existing connection" samples rotate over a few established
// connections, each seeing at most RESETS_PER_CONNECTION resets. A real workload keeps its
// stream open and never comes near that limit.

const RESETS_PER_CONNECTION = 500;

export interface CachedPathParams {
  readonly socketPath: string;
  readonly floorSocketPath: string;
  /** Samples per kind. */
  readonly samples: number;
  readonly warmup: number;
  readonly rounds: number;
}

export interface CachedPathSamples {
  readonly svidExisting: number[];
  readonly svidNew: number[];
  readonly floorExisting: number[];
  readonly floorNew: number[];
}

type Kind = keyof CachedPathSamples;

export async function sampleCachedPath(params: CachedPathParams): Promise<CachedPathSamples> {
  const count = Math.ceil((params.samples + params.warmup) / RESETS_PER_CONNECTION);
  const agent = Array.from({ length: count }, () => connect(params.socketPath));
  const floor = Array.from({ length: count }, () => connect(params.floorSocketPath));
  await Promise.all([...agent, ...floor].map((c) => waitForReady(c)));
  let nextAgent = 0;
  let nextFloor = 0;
  const measure: Record<Kind, () => Promise<number>> = {
    svidExisting: () => timeFirstSvid(() => agent[nextAgent++ % count]!),
    svidNew: () => timeFirstSvid(() => connect(params.socketPath), true),
    floorExisting: () => timePing(() => floor[nextFloor++ % count]!),
    floorNew: () => timePing(() => connect(params.floorSocketPath), true),
  };
  const kinds = Object.keys(measure) as Kind[];
  for (const kind of kinds) for (let i = 0; i < params.warmup; i++) await measure[kind]();
  const samples: CachedPathSamples = { svidExisting: [], svidNew: [], floorExisting: [], floorNew: [] };
  const perRound = Math.ceil(params.samples / params.rounds);
  for (let round = 0; round < params.rounds; round++) {
    for (const kind of kinds) {
      for (let i = 0; i < perRound && samples[kind].length < params.samples; i++) samples[kind].push(await measure[kind]());
    }
  }
  for (const c of [...agent, ...floor]) c.close();
  return samples;
}

/** From the call (and, for a new connection, the client's creation) to the first message. */
async function timeFirstSvid(client: () => ReturnType<typeof connect>, closeAfter = false): Promise<number> {
  const started = process.hrtime.bigint();
  const c = client();
  const stream = openStream(c, FETCH_X509_SVID);
  await firstMessage(stream);
  const ms = elapsedMs(started);
  stream.cancel();
  if (closeAfter) c.close();
  return ms;
}

async function timePing(client: () => ReturnType<typeof connect>, closeAfter = false): Promise<number> {
  const started = process.hrtime.bigint();
  const c = client();
  await ping(c);
  const ms = elapsedMs(started);
  if (closeAfter) c.close();
  return ms;
}
