import type { handleUnaryCall } from '@grpc/grpc-js';
import { describeError, F } from '../log/index.js';
import type { LogFields } from '../log/index.js';
import type { X509Context } from '../spiffe/index.js';
import type { DiscoveryRequest__Output } from '../gen/envoy/service/discovery/v3/DiscoveryRequest.js';
import type { DiscoveryResponse } from '../gen/envoy/service/discovery/v3/DiscoveryResponse.js';
import { authorizeCaller, toGrpcStatus, WorkloadApiError } from '../workload-api/index.js';
import type { WorkloadIdentity } from '../identity/index.js';
import { SECRET_TYPE_URL, toDiscoveryResponse } from './discovery-response.js';
import { validationFormFor } from './envoy-version.js';
import { SdsError } from './sds-error.js';
import type { StreamSecretsDeps } from './stream-secrets.js';

export type FetchSecretsDeps = Omit<StreamSecretsDeps, 'streams' | 'onStreamOpen'>;

/**
 * FetchSecrets: one answer with the caller's current Secrets (waiting for its first SVID if the
 * cache has none yet); the version is the content digest, as on the stream, and there is no
 * nonce (xDS has none for unary fetches). Failures carry FetchX509SVID's statuses.
 */
export function fetchSecrets(deps: FetchSecretsDeps): handleUnaryCall<DiscoveryRequest__Output, DiscoveryResponse> {
  return (call, callback) => {
    const controller = new AbortController();
    const onCancel = () => controller.abort(new WorkloadApiError('stream-ended', 'the client cancelled the call'));
    call.on('cancelled', onCancel);
    const logFields: LogFields = { [F.method]: call.getPath(), [F.connectionId]: call.getPeer(), [F.resourceNames]: call.request.resource_names };
    void answer(call.request, deps, controller.signal, logFields, call.getPeer())
      .then((response) => callback(null, response))
      .catch((error: unknown) => {
        const failure = toGrpcStatus(error);
        deps.logger[failure.logLevel](failure.logMessage, { ...logFields, [F.status]: failure.code, [F.cause]: describeError(error) });
        callback({ code: failure.code, details: failure.details });
      })
      .finally(() => {
        call.off('cancelled', onCancel);
        controller.abort();
      });
  };
}

async function answer(
  request: DiscoveryRequest__Output,
  deps: FetchSecretsDeps,
  signal: AbortSignal,
  logFields: LogFields,
  connectionId: string,
): Promise<DiscoveryResponse> {
  if (request.type_url !== '' && request.type_url !== SECRET_TYPE_URL) {
    throw new SdsError('invalid-request', `type_url ${JSON.stringify(request.type_url)} is not ${SECRET_TYPE_URL}`);
  }
  const peer = deps.peers.get(connectionId);
  if (!peer) throw new WorkloadApiError('unknown-peer', `no peer credentials stored for connection ${connectionId}`);
  logFields[F.pid] = peer.credentials.pid;
  const identity = await authorizeCaller(peer, deps, signal, logFields);
  const context = await currentContext(deps, identity, signal);
  const set = deps.sets.get(context, request.resource_names, validationFormFor(request.node, deps.options));
  deps.logger.debug('Sent secrets', { ...logFields, [F.versionInfo]: set.versionInfo, [F.count]: set.secrets.length });
  deps.observer.pushed('request');
  return toDiscoveryResponse(set, '');
}

async function currentContext(deps: FetchSecretsDeps, identity: WorkloadIdentity, signal: AbortSignal): Promise<X509Context> {
  for await (const context of deps.svids.subscribe(identity, signal)) {
    if (context.svids.length === 0) throw new WorkloadApiError('no-identity', 'the X.509 context holds no SVIDs');
    return context;
  }
  throw signal.aborted ? signal.reason : new WorkloadApiError('stream-ended', 'subscription ended without an X.509 context');
}
