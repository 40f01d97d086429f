import { systemClock } from './async/index.js';
import type { Clock } from './async/index.js';
import { UnixAttestor } from './attestation/index.js';
import { DevelopmentIssuer } from './dev-ca/index.js';
import { UidIdentityResolver } from './identity/index.js';
import type { Logger } from './log/index.js';
import { TrustDomain } from './spiffe/index.js';
import { addSdsService, DEFAULT_SDS_OPTIONS } from './sds/index.js';
import { SvidCache } from './svid-cache/index.js';
import { createWorkloadApiServer, WorkloadEndpoint } from './workload-api/index.js';

// Composition root of `conjur-spiffe-agent dev`: the real Workload Endpoint with the unix
// attestor and the in-memory development CA (NOT FOR PRODUCTION), so developers can use any
// SPIFFE client on their machine and watch SVIDs rotate.

export interface DevAgentOptions {
  readonly socketPath: string;
  readonly trustDomain: string;
  readonly svidTtlMs?: number;
  readonly procRoot?: string;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export interface RunningAgent {
  readonly socketPath: string;
  readonly endpoint: WorkloadEndpoint;
  /** Stops accepting, ends open streams, waits up to `graceMs`, removes the socket. */
  close(graceMs?: number): Promise<void>;
}

export async function startDevAgent(options: DevAgentOptions): Promise<RunningAgent> {
  const clock = options.clock ?? systemClock;
  const procRoot = options.procRoot ?? '/proc';
  const trustDomain = TrustDomain.parse(options.trustDomain);
  const logger = options.logger;
  const issuer = new DevelopmentIssuer({
    trustDomain,
    clock,
    logger: logger.child({ component: 'dev-ca' }),
    ...(options.svidTtlMs === undefined ? {} : { svidTtlMs: options.svidTtlMs }),
  });
  const cache = new SvidCache({ issuer, bundles: issuer, clock, logger });
  const attestor = new UnixAttestor({ procRoot });
  const identities = new UidIdentityResolver({ trustDomain });
  const api = createWorkloadApiServer({ attestor, identities, svids: cache, logger });
  // Envoy SDS with SPIRE's resource names, so a local Envoy can be tried against `dev` too.
  addSdsService(api, { attestor, identities, svids: cache, options: DEFAULT_SDS_OPTIONS, logger });
  const endpoint = new WorkloadEndpoint(api, { socketPath: options.socketPath, procRoot, logger, clock });
  try {
    await endpoint.listen();
  } catch (error) {
    cache.close();
    throw error;
  }
  return {
    socketPath: options.socketPath,
    endpoint,
    async close(graceMs = 5000) {
      await endpoint.close(graceMs);
      cache.close();
    },
  };
}
