// The command line (commander): the command tree, its options and output, and the exit-code rule
// (one `error:` line on stderr, never a stack). Agent commands are plugged in by main.ts through
// CliActions; the workload-side commands (api, healthcheck, helper) use the client library.
export { buildCli, PROGRAM_NAME } from './build-cli.js';
export { runCli } from './run-cli.js';
export { processCliContext } from './cli-context.js';
export type {
  CliActions,
  CliContext,
  DevCommandOptions,
  RunCommandOptions,
  DebugAttestCommandOptions,
  DebugAttestResult,
  ValidateCommandOptions,
} from './cli-context.js';
export { CliError, errorLine } from './cli-error.js';
export type { CliErrorCode } from './cli-error.js';
export { parseDuration, parsePositiveDuration, formatDuration } from './duration.js';
export { writeFileAtomic } from './atomic-write.js';
