import { connect, FETCH_X509_SVID, firstMessage, openDuplex, openStream, waitForReady } from './raw-grpc.js';
import { encodeDiscoveryRequest, STREAM_SECRETS } from './sds-wire.js';
import { SDS_NAMES } from './stream-pool.js';
import { elapsedMs } from '../support/stats.js';

// Time to the first SDS response (StreamSecrets for default + ROOTCA, as an Envoy sidecar asks)
// beside time to the first FetchX509SVID message, for a pod whose SVID the agent already holds,
// on existing connections, sampled in interleaved rounds. Each sample ends with a cancel, so the
// connections rotate to stay under HTTP/2's reset limit (see cached-samples.ts).

const RESETS_PER_CONNECTION = 500;

export interface FirstSdsParams {
  readonly socketPath: string;
  readonly samples: number;
  readonly warmup: number;
  readonly rounds: number;
}

export interface FirstSdsSamples {
  readonly sds: number[];
  readonly svid: number[];
}

export async function sampleFirstSds(params: FirstSdsParams): Promise<FirstSdsSamples> {
  const count = Math.ceil((params.samples + params.warmup) / RESETS_PER_CONNECTION);
  const sdsConnections = Array.from({ length: count }, () => connect(params.socketPath));
  const svidConnections = Array.from({ length: count }, () => connect(params.socketPath));
  await Promise.all([...sdsConnections, ...svidConnections].map((c) => waitForReady(c)));
  let nextSds = 0;
  let nextSvid = 0;
  const measure = {
    sds: () => timeFirstSds(sdsConnections[nextSds++ % count]!),
    svid: () => timeFirstSvid(svidConnections[nextSvid++ % count]!),
  };
  for (let i = 0; i < params.warmup; i++) await Promise.all([measure.sds(), measure.svid()]);
  const samples: FirstSdsSamples = { sds: [], svid: [] };
  const perRound = Math.ceil(params.samples / params.rounds);
  for (let round = 0; round < params.rounds; round++) {
    for (const kind of ['sds', 'svid'] as const) {
      for (let i = 0; i < perRound && samples[kind].length < params.samples; i++) samples[kind].push(await measure[kind]());
    }
  }
  for (const c of [...sdsConnections, ...svidConnections]) c.close();
  return samples;
}

async function timeFirstSds(client: ReturnType<typeof connect>): Promise<number> {
  const started = process.hrtime.bigint();
  const stream = openDuplex(client, STREAM_SECRETS);
  stream.write(encodeDiscoveryRequest({ names: SDS_NAMES }));
  await firstMessage(stream);
  const ms = elapsedMs(started);
  stream.cancel();
  return ms;
}

async function timeFirstSvid(client: ReturnType<typeof connect>): Promise<number> {
  const started = process.hrtime.bigint();
  const stream = openStream(client, FETCH_X509_SVID);
  await firstMessage(stream);
  const ms = elapsedMs(started);
  stream.cancel();
  return ms;
}
