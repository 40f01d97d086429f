import { Server } from '@grpc/grpc-js';
import { systemClock } from '../async/index.js';
import type { Clock } from '../async/index.js';
import type { Logger } from '../log/index.js';
import type { SpiffeWorkloadAPIHandlers } from '../gen/SpiffeWorkloadAPI.js';
import type { ConjurTokenServiceHandlers } from '../gen/conjur/spiffe/v1/ConjurTokenService.js';
import { callLimitInterceptor } from './call-limit-interceptor.js';
import { CallerLimits, DEFAULT_ENDPOINT_LIMITS } from './caller-limits.js';
import type { EndpointLimits, LimitName } from './caller-limits.js';
import { fetchConjurToken } from './fetch-conjur-token.js';
import { fetchX509Bundles } from './fetch-x509-bundles.js';
import { fetchX509Svid } from './fetch-x509-svid.js';
import { OpenStreams } from './open-streams.js';
import { PeerRegistry } from './peer-registry.js';
import type { Attestor, IdentityResolver, SvidSubscriptions, TokenSubscriptions } from './ports.js';
import { describeServedProtos } from './proto.js';
import { addReflection } from './reflection.js';
import { servedServices } from './served-services.js';
import { securityHeaderInterceptor } from './security-header.js';
import { JWT_UNIMPLEMENTED, TOKENS_UNIMPLEMENTED, unimplementedStream, unimplementedUnary, WIT_UNIMPLEMENTED } from './unimplemented.js';
import { WorkloadHealth } from './workload-health.js';

export interface WorkloadApiServerDeps {
  readonly attestor: Attestor;
  readonly identities: IdentityResolver;
  readonly svids: SvidSubscriptions;
  /** Absent (development mode): FetchConjurToken answers Unimplemented. */
  readonly tokens?: TokenSubscriptions;
  readonly logger: Logger;
  /** Initial health status; default true (readiness may set it false until the agent can issue). */
  readonly serving?: boolean;
  /** Bounds on callers (limits.*); DEFAULT_ENDPOINT_LIMITS where not given. */
  readonly limits?: Partial<EndpointLimits>;
  /** Counts each refusal or closing by a bound (the metric). */
  readonly onLimit?: (limit: LimitName) => void;
  readonly clock?: Clock;
}

/**
 * The gRPC side of the Workload Endpoint, not yet listening anywhere: hand it to a
 * WorkloadEndpoint, which accepts connections, records their peers in `peers` and injects them.
 */
export interface WorkloadApiServer {
  readonly grpcServer: Server;
  readonly health: WorkloadHealth;
  readonly peers: PeerRegistry;
  readonly streams: OpenStreams;
  readonly limits: CallerLimits;
  /** Closes a connection gracefully by id; set by the WorkloadEndpoint that serves this server. */
  closeConnection: (connectionId: string) => void;
}

export function createWorkloadApiServer(deps: WorkloadApiServerDeps): WorkloadApiServer {
  const logger = deps.logger.child({ component: 'workload-api' });
  const peers = new PeerRegistry();
  const streams = new OpenStreams();
  const clock = deps.clock ?? systemClock;
  const limitOptions: EndpointLimits = { ...DEFAULT_ENDPOINT_LIMITS, ...deps.limits };
  const limits = new CallerLimits(limitOptions, {
    logger: deps.logger.child({ component: 'workload-endpoint' }),
    now: () => clock.now(),
    ...(deps.onLimit ? { onRefusal: deps.onLimit } : {}),
  });
  const api: { closeConnection: (connectionId: string) => void } = { closeConnection: () => {} };
  const grpcServer = new Server({
    // grpc-js nests interceptors in order, so the last is the outermost: the limit sees every
    // call first and every status last (including the security header's refusals).
    interceptors: [securityHeaderInterceptor(logger), callLimitInterceptor(limits, (connectionId) => api.closeConnection(connectionId))],
    'grpc.max_concurrent_streams': limitOptions.streamsPerConnection,
    'grpc.max_connection_idle_ms': limitOptions.idleTimeoutMs,
  });
  const services = servedServices();
  const handlerDeps = { ...deps, peers, streams, logger };

  const workload: SpiffeWorkloadAPIHandlers = {
    FetchX509SVID: fetchX509Svid(handlerDeps),
    FetchX509Bundles: fetchX509Bundles(handlerDeps),
    FetchJWTSVID: unimplementedUnary(JWT_UNIMPLEMENTED),
    FetchJWTBundles: unimplementedStream(JWT_UNIMPLEMENTED),
    ValidateJWTSVID: unimplementedUnary(JWT_UNIMPLEMENTED),
    FetchWITSVID: unimplementedStream(WIT_UNIMPLEMENTED),
    FetchWITBundles: unimplementedStream(WIT_UNIMPLEMENTED),
  };
  const tokens = deps.tokens;
  const token: ConjurTokenServiceHandlers = {
    FetchConjurToken: tokens ? fetchConjurToken({ ...handlerDeps, tokens }) : unimplementedStream(TOKENS_UNIMPLEMENTED),
  };
  grpcServer.addService(services.workloadService, workload);
  grpcServer.addService(services.tokenService, token);

  const health = new WorkloadHealth(deps.serving ?? true);
  health.addToServer(grpcServer, services.healthService);
  // Reflection describes our two protos and health, so grpcurl works against the socket unaided.
  // Built on its first call (reflection.ts), with proto-loader.
  addReflection(grpcServer, describeServedProtos);

  return Object.assign(api, { grpcServer, health, peers, streams, limits });
}
