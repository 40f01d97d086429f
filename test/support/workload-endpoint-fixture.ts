import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorkloadApiServer, WorkloadEndpoint } from '../../src/workload-api/index.js';
import type { WorkloadApiServer } from '../../src/workload-api/index.js';
import type { Clock } from '../../src/async/index.js';
import { FakeAttestor } from '../fakes/fake-attestor.js';
import { FakeIdentityResolver } from '../fakes/fake-identity-resolver.js';
import type { FakeSvidSubscriptions } from '../fakes/fake-svid-subscriptions.js';
import { FakeTokenSubscriptions } from '../fakes/fake-token-subscriptions.js';
import { WorkloadClient } from './workload-client.js';
import type { WorkloadClientOptions } from './workload-client.js';
import { recordingLogger } from '../fakes/recording-logger.js';
import type { LogRecord } from '../fakes/recording-logger.js';
import type { Logger } from '../../src/log/index.js';

export { recordingLogger };
export type { LogRecord };

/** A real Workload Endpoint on a Unix socket in a fresh temp dir, with fakes behind its ports. */
export interface TestEndpoint {
  dir: string;
  socketPath: string;
  api: WorkloadApiServer;
  endpoint: WorkloadEndpoint;
  attestor: FakeAttestor;
  identities: FakeIdentityResolver;
  svids: FakeSvidSubscriptions;
  tokens: FakeTokenSubscriptions;
  logs: LogRecord[];
  /** The logger the endpoint writes to (its records are `logs`), for services added to `api`. */
  logger: Logger;
  /** A client on its own connection; closed by `close()`. */
  client(options?: WorkloadClientOptions): WorkloadClient;
  close(): Promise<void>;
}

export async function startTestEndpoint(
  svids: FakeSvidSubscriptions,
  options: { tokens?: boolean; clock?: Clock; socketMode?: number } = {},
): Promise<TestEndpoint> {
  const dir = await mkdtemp(join(tmpdir(), 'wl-'));
  await chmod(dir, 0o755); // callers running as other uids (nobody) must reach the socket
  const socketPath = join(dir, 'agent.sock');
  const logger = recordingLogger();
  const attestor = new FakeAttestor();
  const identities = new FakeIdentityResolver();
  const tokens = new FakeTokenSubscriptions();
  const api = createWorkloadApiServer({ attestor, identities, svids, tokens: options.tokens === false ? undefined : tokens, logger });
  const endpoint = new WorkloadEndpoint(api, { socketPath, logger, clock: options.clock, socketMode: options.socketMode });
  await endpoint.listen();
  const clients: WorkloadClient[] = [];
  return {
    dir,
    socketPath,
    api,
    endpoint,
    attestor,
    identities,
    svids,
    tokens,
    logs: logger.records,
    logger,
    client(clientOptions) {
      const client = new WorkloadClient(socketPath, clientOptions);
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.close();
      await endpoint.close(1000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `condition` on the event loop (no sleeps) until it holds; fails after `limitMs`. */
export async function eventually(condition: () => boolean, limitMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > limitMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
