import type { ServiceDefinition } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import type { SecretDiscoveryServiceDefinition } from '../gen/envoy/service/secret/v3/SecretDiscoveryService.js';
import { lazyServiceDefinition, PROTO_LOADER_OPTIONS, protoDir, protoLoader } from '../workload-api/index.js';

// Envoy's protos are loaded with proto-loader, with the Workload API's options (workload-api/
// proto.ts), on the first SDS message: most nodes serve no Envoy, and parsing them before the
// socket listens cost every start a few ms and the agent's heap about 0.4 MB.

/** Imports every type a response's `Any`s hold, so the runtime can encode them by type URL. */
export const SDS_PROTO = 'envoy/service/secret/v3/sds.proto';

export interface SdsProtos {
  readonly packageDefinition: PackageDefinition;
  readonly sdsService: SecretDiscoveryServiceDefinition;
}

export const SDS_SERVICE = 'envoy.service.secret.v3.SecretDiscoveryService';

let cached: SdsProtos | undefined;

/**
 * The SDS service as registered at start: its codecs load the Envoy protos on the first SDS
 * message (lazy-service.ts), so an agent no Envoy talks to never parses them.
 */
export function sdsServiceDefinition(): SecretDiscoveryServiceDefinition {
  const bidi = { requestStream: true, responseStream: true };
  const methods = { StreamSecrets: bidi, DeltaSecrets: bidi, FetchSecrets: { requestStream: false, responseStream: false } };
  return lazyServiceDefinition(SDS_SERVICE, methods, () => loadSdsProtos().sdsService as unknown as ServiceDefinition) as unknown as SecretDiscoveryServiceDefinition;
}

/** Loads the Envoy protos once per process. */
export function loadSdsProtos(): SdsProtos {
  cached ??= load();
  return cached;
}

function load(): SdsProtos {
  const packageDefinition = protoLoader().loadSync(SDS_PROTO, {
    ...PROTO_LOADER_OPTIONS,
    includeDirs: [protoDir()],
  });
  const found = packageDefinition[SDS_SERVICE];
  if (found === undefined || 'format' in found) throw new Error(`proto/ defines no service ${SDS_SERVICE}`);
  return { packageDefinition, sdsService: found as unknown as SecretDiscoveryServiceDefinition };
}
