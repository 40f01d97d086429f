import type { ClientReadableStream, ServiceError } from '@grpc/grpc-js';
import { GRPC_STATUS as Status, grpcStatusName } from './grpc-status.js';
import { WorkloadApiError } from './workload-api-error.js';
import type { WorkloadApiErrorCode } from './workload-api-error.js';

/**
 * Server-streaming calls as AsyncIterables that end quietly when `signal` aborts and otherwise
 * throw WorkloadApiError. `describe` names the call and the endpoint for every message, so an
 * error printed on its own still says which socket it was about.
 */
export async function* readStream<T>(
  call: ClientReadableStream<T>,
  describe: string,
  signal: AbortSignal,
): AsyncGenerator<T> {
  const cancel = () => call.cancel();
  signal.addEventListener('abort', cancel, { once: true });
  try {
    for await (const message of call) yield message as T;
  } catch (error) {
    if (signal.aborted) return;
    throw toWorkloadApiError(error, describe);
  } finally {
    signal.removeEventListener('abort', cancel);
    call.cancel();
  }
  if (!signal.aborted) throw new WorkloadApiError('unavailable', `${describe} failed: the stream ended`);
}

/** The first message of a stream; if `signal` aborts first, rejects with the signal's reason. */
export async function firstMessage<T>(messages: AsyncIterable<T>, signal: AbortSignal): Promise<T> {
  for await (const message of messages) return message;
  throw signal.reason;
}

export function toWorkloadApiError(error: unknown, describe: string): WorkloadApiError {
  if (error instanceof WorkloadApiError) return error;
  if (!isServiceError(error)) {
    const reason = error instanceof Error ? error.message : String(error);
    return new WorkloadApiError('unavailable', `${describe} failed: ${reason}`, { cause: error });
  }
  const statusName = grpcStatusName(error.code);
  const unreachable = error.code === Status.UNAVAILABLE ? connectFailure(error.details) : undefined;
  const reason = unreachable ?? `${statusName}: ${oneLine(error.details)}`;
  return new WorkloadApiError(codeOf(error.code), `${describe} failed: ${reason}`, { cause: error });
}

/**
 * grpc-js says "No connection established. Last error: Error: connect ENOENT /x. Resolution
 * note: "; users need "cannot connect: connect ENOENT /x (is the agent running?)".
 */
function connectFailure(details: string): string | undefined {
  const m = /No connection established\. Last error: (?:Error: )?(.*?)\.?(?:\s*Resolution note:.*)?$/s.exec(details);
  if (!m) return undefined;
  // grpc-js appends the time of the failure in parentheses: noise in a one-line message.
  const lastError = oneLine(m[1] ?? '').replace(/\s*\(\d{4}-\d\d-\d\dT[^)]*\)$/, '');
  const hint = /ENOENT|ECONNREFUSED/.test(lastError) ? ' (is the agent running?)' : '';
  return `cannot connect: ${lastError}${hint}`;
}

function codeOf(code: number): WorkloadApiErrorCode {
  switch (code) {
    case Status.INVALID_ARGUMENT:
      return 'invalid-argument';
    case Status.PERMISSION_DENIED:
      return 'permission-denied';
    case Status.UNIMPLEMENTED:
      return 'unimplemented';
    default:
      return 'unavailable';
  }
}

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number' && 'details' in error;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
