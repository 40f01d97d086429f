import type { handleServerStreamingCall } from '@grpc/grpc-js';
import type { X509SVIDRequest__Output } from '../gen/X509SVIDRequest.js';
import type { X509SVIDResponse } from '../gen/X509SVIDResponse.js';
import { authorizeCaller } from './authorize-caller.js';
import type { CallerDeps } from './authorize-caller.js';
import type { SvidSubscriptions } from './ports.js';
import { serveStream } from './serve-stream.js';
import type { StreamDeps } from './serve-stream.js';
import { WorkloadApiError } from './workload-api-error.js';
import { toX509SvidResponse } from './x509-svid-response.js';

export interface FetchX509SvidDeps extends StreamDeps, CallerDeps {
  readonly svids: SvidSubscriptions;
}

/**
 * FetchX509SVID: attest, resolve, then one full message per context the subscription yields
 * (the first as soon as the cache has it, then one per rotation or bundle change).
 */
export function fetchX509Svid(deps: FetchX509SvidDeps): handleServerStreamingCall<X509SVIDRequest__Output, X509SVIDResponse> {
  return (call) =>
    serveStream(call, deps, async ({ peer, signal, send, logFields }) => {
      const identity = await authorizeCaller(peer, deps, signal, logFields);
      for await (const context of deps.svids.subscribe(identity, signal)) {
        // The standard: a caller without X509-SVIDs gets PermissionDenied, never an empty list.
        if (context.svids.length === 0) throw new WorkloadApiError('no-identity', 'the X.509 context holds no SVIDs');
        await send(toX509SvidResponse(context));
      }
    });
}
