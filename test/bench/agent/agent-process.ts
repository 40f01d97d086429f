import { createWriteStream } from 'node:fs';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { startAgent } from '../../../src/agent.js';
import { loadConfig } from '../../../src/config/index.js';
import type { ConfigOverrides } from '../../../src/config/index.js';
import { startDevAgent } from '../../../src/dev-agent.js';
import { createJsonLogger } from '../../../src/log/index.js';
import type { Logger } from '../../../src/log/index.js';
import { startFloorServer } from '../cached-path/floor-server.js';
import { parentIpc } from '../support/children.js';
import { sleepMs } from '../support/stats.js';
import { Probes } from './probes.js';

// The agent under measurement, alone in its process (forked by run-all), so its RSS and CPU are
// its own and no client or double shares its event loop. 'dev' is `conjur-spiffe-agent dev`
// (startDevAgent) plus the floor server; 'node' is the Conjur-backed agent (startAgent) against
// the simulated node's doubles, with timing probes. Logs go to a file at the configured level.

interface Running {
  close(graceMs?: number): Promise<void>;
  readonly endpoint: { readonly openStreamCount: number; readonly connectionCount: number };
  readonly cache?: { readonly size: number };
}

const ipc = parentIpc();
const probes = new Probes();
let running: Running | undefined;
let floor: { close(): void } | undefined;

function fileLogger(path: string, level: 'debug' | 'info' | 'warn' | 'error'): Logger {
  return createJsonLogger({ level, destination: createWriteStream(path, { flags: 'a' }) });
}

ipc
  .handle('start-dev', async (params) => {
    const { socketPath, floorSocketPath, logFile } = params as { socketPath: string; floorSocketPath: string; logFile: string };
    // An hour-long SVID: rotation is not what the cached path measures.
    running = await startDevAgent({ socketPath, trustDomain: 'bench.local', svidTtlMs: 60 * 60_000, logger: fileLogger(logFile, 'info') });
    floor = await startFloorServer(floorSocketPath);
  })
  .handle('start-node', async (params) => {
    const { overrides, logFile } = params as { overrides: ConfigOverrides; logFile: string };
    const config = loadConfig({ env: {}, overrides });
    probes.install((attested) => ipc.emit('attested', attested));
    const agent = await startAgent(config, { logger: fileLogger(logFile, config.log.level) });
    running = agent;
    // Ready as the kubelet's readiness probe means it: watch synced, agent authenticated, bundle loaded.
    for (let waited = 0; !agent.health.readiness().ready; waited += 50) {
      if (waited > 60_000) throw new Error(`agent not ready after 60 s: ${JSON.stringify(agent.health.readiness())}`);
      await sleepMs(50);
    }
  })
  .handle('usage', (params) => {
    // A forced collection (the bench starts this process with --expose-gc) shows what is retained.
    if ((params as { collect?: boolean }).collect) (globalThis as { gc?: () => void }).gc?.();
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    return {
      rssBytes: memory.rss,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      heapUsedBytes: memory.heapUsed,
      cpuMs: (cpu.user + cpu.system) / 1000,
      streams: running?.endpoint.openStreamCount ?? 0,
      connections: running?.endpoint.connectionCount ?? 0,
      identities: running?.cache?.size ?? 0,
    };
  })
  .handle('settle', (params) => settle(params as { quietMs: number; maxMs: number }))
  .handle('drain-probes', () => probes.drain())
  .handle('stop', async () => {
    floor?.close();
    await running?.close(1_000);
    running = undefined;
  });

/**
 * Waits until V8 has done no full collection for `quietMs` (at most `maxMs`). After a burst of
 * work V8's memory reducer runs one to three full collections about 8 s after the last one
 * (--gc-memory-reducer-start-delay-ms), to hand the burst's garbage back: work the burst caused,
 * not rest. The observer is only connected while settling.
 */
async function settle({ quietMs, maxMs }: { quietMs: number; maxMs: number }): Promise<{ settledMs: number; fullGcs: number; quiet: boolean }> {
  const started = performance.now();
  let lastFullGc = started;
  let fullGcs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) continue;
      fullGcs++;
      lastFullGc = performance.now();
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    while (performance.now() - lastFullGc < quietMs && performance.now() - started < maxMs) await sleepMs(250);
  } finally {
    observer.disconnect();
  }
  return { settledMs: performance.now() - started, fullGcs, quiet: performance.now() - lastFullGc >= quietMs };
}

process.once('SIGTERM', () => {
  floor?.close();
  void (running?.close(1_000) ?? Promise.resolve()).finally(() => process.exit(0));
});

ipc.emit('ready', {});
