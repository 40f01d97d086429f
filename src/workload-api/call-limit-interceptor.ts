import { ServerInterceptingCall, status } from '@grpc/grpc-js';
import type { ServerInterceptor } from '@grpc/grpc-js';
import type { CallerLimits } from './caller-limits.js';

/** The health service's streaming method: open to any caller, so it has bounds of its own. */
export const HEALTH_WATCH_PATH = '/grpc.health.v1.Health/Watch';

/**
 * The first interceptor of every call, whatever the method (health and reflection included):
 * counts the call against its connection's group until it ends (status sent or cancelled), and
 * answers ResourceExhausted, naming the bound and its setting, when it is over one. The caller's
 * connection id is the socket's remoteAddress (see endpoint.ts).
 */
export function callLimitInterceptor(limits: CallerLimits, onConnectionRefused: (connectionId: string) => void): ServerInterceptor {
  return (method, call) => {
    const connectionId = call.getConnectionInfo().remoteAddress ?? '';
    const lease = limits.openCall(connectionId, method.path === HEALTH_WATCH_PATH ? 'health-watch' : 'call');
    if (typeof lease !== 'function') {
      return new ServerInterceptingCall(call, {
        start: (next) =>
          next({
            onReceiveMetadata: () => {
              call.sendStatus({ code: status.RESOURCE_EXHAUSTED, details: lease.message });
              if (lease.limit === 'connections' || lease.limit === 'connectionsPerPod') onConnectionRefused(connectionId);
            },
          }),
      });
    }
    return new ServerInterceptingCall(call, {
      start: (next) => next({ onCancel: lease }),
      sendStatus: (statusObject, next) => {
        lease();
        next(statusObject);
      },
    });
  };
}
