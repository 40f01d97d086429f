/**
 * gRPC status codes by name, as the gRPC spec numbers them (grpc-js's `status` enum holds the
 * same). Kept here so that reading a status never loads grpc-js: `healthcheck` speaks HTTP/2
 * without it (health-probe.ts), and the client loads grpc-js only when a channel is made.
 */
export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const NAMES = new Map<number, string>(Object.entries(GRPC_STATUS).map(([name, code]) => [code, name]));

/** `UNAVAILABLE` for 14; the number itself for a code the spec does not name. */
export function grpcStatusName(code: number): string {
  return NAMES.get(code) ?? String(code);
}
