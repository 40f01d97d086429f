import { status } from '@grpc/grpc-js';
import type { SecretDiscoveryServiceHandlers } from '../gen/envoy/service/secret/v3/SecretDiscoveryService.js';
import type { Logger } from '../log/index.js';
import type { Attestor, IdentityResolver, SvidSubscriptions, WorkloadApiServer } from '../workload-api/index.js';
import { fetchSecrets } from './fetch-secrets.js';
import type { SdsObserver } from './ports.js';
import { sdsServiceDefinition } from './sds-proto.js';
import type { SdsOptions } from './sds-options.js';
import { SecretSetCache } from './secret-set.js';
import { streamSecrets } from './stream-secrets.js';

export const DELTA_UNIMPLEMENTED = 'incremental xDS (DeltaSecrets) is not implemented; use StreamSecrets';

export interface SdsServiceDeps {
  readonly attestor: Attestor;
  readonly identities: IdentityResolver;
  readonly svids: SvidSubscriptions;
  readonly options: SdsOptions;
  readonly logger: Logger;
  readonly observer?: SdsObserver;
}

/** The SDS service once added to a Workload API server: its open streams, for the gauge. */
export interface SdsService {
  readonly openStreamCount: number;
}

const IGNORE: SdsObserver = { pushed: () => {}, nacked: () => {} };

/**
 * Adds envoy.service.secret.v3.SecretDiscoveryService to the Workload API server, so Envoy
 * reaches it on the same socket. It shares the server's peer registry (callers are attested
 * from the kernel, exactly like Workload API callers) and its open streams (shutdown ends them
 * with the same Unavailable).
 */
export function addSdsService(api: WorkloadApiServer, deps: SdsServiceDeps): SdsService {
  const logger = deps.logger.child({ component: 'sds' });
  let open = 0;
  const onStreamOpen = () => {
    open++;
    let closed = false;
    return () => {
      if (!closed) open--;
      closed = true;
    };
  };
  const sets = new SecretSetCache(deps.options);
  const handlerDeps = { ...deps, logger, sets, peers: api.peers, streams: api.streams, observer: deps.observer ?? IGNORE, onStreamOpen };
  const handlers: SecretDiscoveryServiceHandlers = {
    StreamSecrets: streamSecrets(handlerDeps),
    FetchSecrets: fetchSecrets(handlerDeps),
    DeltaSecrets: (call) => call.emit('error', { code: status.UNIMPLEMENTED, details: DELTA_UNIMPLEMENTED }),
  };
  api.grpcServer.addService(sdsServiceDefinition(), handlers);
  return {
    get openStreamCount() {
      return open;
    },
  };
}
