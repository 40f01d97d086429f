import { CommanderError } from 'commander';
import { buildCli } from './build-cli.js';
import { processCliContext } from './cli-context.js';
import type { CliActions, CliContext } from './cli-context.js';
import { errorLine } from './cli-error.js';

/**
 * Parses and runs one command line; resolves with the process exit code (never exits itself).
 * Without `context.signal`, SIGINT and SIGTERM stop long-running commands for the duration
 * of the call. Every failure is one `error: ...` line on stderr, never a stack trace.
 */
export async function runCli(argv: readonly string[], actions: CliActions, context: CliContext = processCliContext()): Promise<number> {
  const stop = context.signal ? undefined : stopOnProcessSignals();
  const program = buildCli(actions, { ...context, signal: context.signal ?? stop?.signal });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    // Commander has already printed its own message (help, version, usage errors).
    if (error instanceof CommanderError) return error.exitCode;
    context.stderr(errorLine(error));
    return 1;
  } finally {
    stop?.dispose();
  }
}

function stopOnProcessSignals(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = () => controller.abort();
  // `once`: a second Ctrl-C gets Node's default behaviour and ends a command that hangs.
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}
