import { status } from '@grpc/grpc-js';
import type { handleServerStreamingCall, handleUnaryCall, ServerWritableStream } from '@grpc/grpc-js';

export const JWT_UNIMPLEMENTED = 'JWT-SVID profile is not implemented yet';
export const WIT_UNIMPLEMENTED = 'WIT-SVID profile is not implemented';
export const TOKENS_UNIMPLEMENTED = 'Conjur access tokens are not served in this mode';

/** A unary RPC we do not serve: Unimplemented, which clients report and do not retry. */
export function unimplementedUnary(details: string): handleUnaryCall<unknown, never> {
  return (_call, callback) => callback({ code: status.UNIMPLEMENTED, details });
}

/** The streaming form; the stream ends at once with the status. */
export function unimplementedStream(details: string): handleServerStreamingCall<unknown, never> {
  return (call: ServerWritableStream<unknown, never>) => call.emit('error', { code: status.UNIMPLEMENTED, details });
}
