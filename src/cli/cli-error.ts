/**
 * A command failed in a way the user can act on; the message is printed as `error: <message>`.
 * - usage: the command line itself is wrong (bad option value, missing socket)
 * - failed: the command ran and did not succeed (agent unreachable, file not writable)
 * - unhealthy: `healthcheck` found the agent not serving
 */
export type CliErrorCode = 'usage' | 'failed' | 'unhealthy';

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly code: CliErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The single stderr line for any error: no stack, no second line, never "error: error: ...". */
export function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const text = message.replace(/\s*\n\s*/g, ' ').trim().replace(/^error:\s*/i, '');
  return `error: ${text || 'unknown error'}\n`;
}
