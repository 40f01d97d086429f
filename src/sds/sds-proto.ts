import * as protoLoader from '@grpc/proto-loader';
import type { PackageDefinition } from '@grpc/proto-loader';
import type { SecretDiscoveryServiceDefinition } from '../gen/envoy/service/secret/v3/SecretDiscoveryService.js';
import { PROTO_LOADER_OPTIONS, protoDir } from '../workload-api/index.js';

// Loaded the same way as the Workload API's protos (workload-api/proto.ts), with the same
// options, so whatever replaces run-time loading there can replace it here too.

/** Imports every type a response's `Any`s hold, so the runtime can encode them by type URL. */
export const SDS_PROTO = 'envoy/service/secret/v3/sds.proto';

export interface SdsProtos {
  readonly packageDefinition: PackageDefinition;
  readonly sdsService: SecretDiscoveryServiceDefinition;
}

let cached: SdsProtos | undefined;

/** Loads the Envoy protos once per process, and only when an SDS service is created. */
export function loadSdsProtos(): SdsProtos {
  cached ??= load();
  return cached;
}

function load(): SdsProtos {
  const packageDefinition = protoLoader.loadSync(SDS_PROTO, {
    ...PROTO_LOADER_OPTIONS,
    includeDirs: [protoDir()],
  });
  const found = packageDefinition['envoy.service.secret.v3.SecretDiscoveryService'];
  if (found === undefined || 'format' in found) throw new Error('proto/ defines no service envoy.service.secret.v3.SecretDiscoveryService');
  return { packageDefinition, sdsService: found as unknown as SecretDiscoveryServiceDefinition };
}
