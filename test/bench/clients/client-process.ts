import { parentIpc } from '../support/children.js';
import { sampleCachedPath } from './cached-samples.js';
import type { CachedPathParams } from './cached-samples.js';
import { sampleCachedSvid } from './cached-svid-samples.js';
import { burstOfCallers, firstSvidAndToken } from './new-callers.js';
import { sampleFirstSds } from './sds-samples.js';
import type { FirstSdsParams } from './sds-samples.js';
import { StreamPool } from './stream-pool.js';
import type { StreamKind } from './stream-pool.js';

// A workload process for the bench (forked by run-all): it makes Workload API calls when told to
// over IPC and reports what it measured. It never imports the agent: only grpc-js on raw bytes.
// Its pid is what the agent attests; run-all places it in a pod by writing its cgroup file.

const ipc = parentIpc();
let pool: StreamPool | undefined;

interface PoolParams {
  readonly socketPath: string;
  readonly connections: number;
}

ipc
  .handle('cached', (params) => sampleCachedPath(params as CachedPathParams))
  .handle('cached-svid', (params) => sampleCachedSvid(params as { socketPath: string; samples: number }))
  .handle('first-sds', (params) => sampleFirstSds(params as FirstSdsParams))
  .handle('open', (params) => {
    const { socketPath, connections, count, kind } = params as PoolParams & { count: number; kind?: StreamKind };
    pool ??= new StreamPool(socketPath, connections, kind);
    pool.open(count);
    return pool.size;
  })
  .handle('await-first', (params) => requirePool().awaitFirst((params as { timeoutMs: number }).timeoutMs))
  .handle('arm', () => requirePool().arm())
  .handle('collect-armed', (params) => requirePool().collectArmed((params as { timeoutMs: number }).timeoutMs))
  .handle('close-streams', () => {
    pool?.closeAll();
    pool = undefined;
  })
  .handle('burst', (params) => {
    const { socketPath, count } = params as { socketPath: string; count: number };
    return burstOfCallers(socketPath, count);
  })
  .handle('first-svid-token', (params) => firstSvidAndToken((params as { socketPath: string }).socketPath));

function requirePool(): StreamPool {
  if (!pool) throw new Error('no streams are open');
  return pool;
}

ipc.emit('ready', {});
