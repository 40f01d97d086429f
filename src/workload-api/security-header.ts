import { ServerInterceptingCall } from '@grpc/grpc-js';
import type { Metadata, ServerInterceptor } from '@grpc/grpc-js';
import { F } from '../log/index.js';
import type { Logger } from '../log/index.js';
import { toGrpcStatus } from './status.js';
import { WorkloadApiError } from './workload-api-error.js';

/** The SPIFFE Workload Endpoint's security header: proof the request did not come from a browser or proxy. */
export const SECURITY_HEADER = 'workload.spiffe.io';

/** Methods that require the header. Health and reflection are open, as in SPIRE. */
const CHECKED_PREFIXES = ['/SpiffeWorkloadAPI/', '/conjur.spiffe.v1.ConjurTokenService/'];

/** Exactly one value, exactly `true` (SPIRE's verifySecurityHeader). */
export function hasSecurityHeader(metadata: Metadata): boolean {
  const values = metadata.get(SECURITY_HEADER);
  return values.length === 1 && values[0] === 'true';
}

export function requiresSecurityHeader(path: string): boolean {
  return CHECKED_PREFIXES.some((prefix) => path.startsWith(prefix));
}

/**
 * A global interceptor, like SPIRE's middleware: the check runs before any handler (also before
 * the Unimplemented ones), so a request without the header is never attested or served.
 */
export function securityHeaderInterceptor(logger: Logger): ServerInterceptor {
  return (method, call) => {
    if (!requiresSecurityHeader(method.path)) return new ServerInterceptingCall(call);
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, forward) => {
            if (hasSecurityHeader(metadata)) return forward(metadata);
            const failure = toGrpcStatus(new WorkloadApiError('missing-header', 'request has no single workload.spiffe.io: true header'));
            logger[failure.logLevel](failure.logMessage, {
              [F.method]: method.path,
              [F.connectionId]: call.getConnectionInfo().remoteAddress,
            });
            call.sendStatus({ code: failure.code, details: failure.details });
          },
        }),
    });
  };
}
