import { Server } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import type { Logger } from '../log/index.js';
import type { SpiffeWorkloadAPIHandlers } from '../gen/SpiffeWorkloadAPI.js';
import type { ConjurTokenServiceHandlers } from '../gen/conjur/spiffe/v1/ConjurTokenService.js';
import { fetchConjurToken } from './fetch-conjur-token.js';
import { fetchX509Bundles } from './fetch-x509-bundles.js';
import { fetchX509Svid } from './fetch-x509-svid.js';
import { OpenStreams } from './open-streams.js';
import { PeerRegistry } from './peer-registry.js';
import type { Attestor, IdentityResolver, SvidSubscriptions, TokenSubscriptions } from './ports.js';
import { loadWorkloadApiProtos, PROTO_LOADER_OPTIONS } from './proto.js';
import { addReflection } from './reflection.js';
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
}

export function createWorkloadApiServer(deps: WorkloadApiServerDeps): WorkloadApiServer {
  const logger = deps.logger.child({ component: 'workload-api' });
  const peers = new PeerRegistry();
  const streams = new OpenStreams();
  const grpcServer = new Server({ interceptors: [securityHeaderInterceptor(logger)] });
  const protos = loadWorkloadApiProtos();
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
  grpcServer.addService(protos.workloadService, workload);
  grpcServer.addService(protos.tokenService, token);

  const health = new WorkloadHealth(deps.serving ?? true);
  health.addToServer(grpcServer);
  // Reflection describes our two protos and health, so grpcurl works against the socket unaided.
  const healthDefinition = protoLoader.loadSync(healthProtoPath, PROTO_LOADER_OPTIONS);
  addReflection(grpcServer, { ...protos.packageDefinition, ...healthDefinition });

  return { grpcServer, health, peers, streams };
}
