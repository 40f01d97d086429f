import type { handleServerStreamingCall } from '@grpc/grpc-js';
import { sameBundleSet } from '../spiffe/index.js';
import type { BundleSet } from '../spiffe/index.js';
import type { X509BundlesRequest__Output } from '../gen/X509BundlesRequest.js';
import type { X509BundlesResponse } from '../gen/X509BundlesResponse.js';
import { authorizeCaller } from './authorize-caller.js';
import type { FetchX509SvidDeps } from './fetch-x509-svid.js';
import { serveStream } from './serve-stream.js';
import { toX509BundlesResponse } from './x509-bundles-response.js';

/**
 * FetchX509Bundles: like SPIRE, only for callers with an identity (else PermissionDenied), and a
 * message only when the set actually changed (SPIRE dedupes with proto.Equal).
 */
export function fetchX509Bundles(deps: FetchX509SvidDeps): handleServerStreamingCall<X509BundlesRequest__Output, X509BundlesResponse> {
  return (call) =>
    serveStream(call, deps, async ({ peer, signal, send, logFields }) => {
      await authorizeCaller(peer, deps, signal, logFields);
      let sent: BundleSet | undefined;
      for await (const bundles of deps.svids.subscribeBundles(signal)) {
        if (sent !== undefined && sameBundleSet(sent, bundles)) continue;
        sent = bundles;
        await send(toX509BundlesResponse(bundles));
      }
    });
}
