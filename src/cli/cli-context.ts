import type { TrustDomain } from '../spiffe/index.js';

/**
 * What the CLI needs from its surroundings, injectable so tests run commands in-process:
 * where output goes, the environment (only for SPIFFE_ENDPOINT_SOCKET), and the signal that
 * stops long-running commands (default: SIGINT or SIGTERM).
 */
export interface CliContext {
  stdout(text: string): void;
  stderr(text: string): void;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Printed by --version. */
  version?: string;
}

/** `dev`: the agent with the unix attestor and the in-memory development CA (NOT FOR PRODUCTION). */
export interface DevCommandOptions {
  /** Absolute path of the Unix socket to serve. */
  readonly socketPath: string;
  readonly trustDomain: TrustDomain;
  /** SVID lifetime; undefined means the development CA's default. */
  readonly svidTtlMs?: number;
}

/** `run`: the Conjur-backed agent. */
export interface RunCommandOptions {
  /** Optional YAML configuration file; the environment supplies the rest. */
  readonly configFile?: string;
}

/** `debug attest`: attest a local process the way a Workload API call would. */
export interface DebugAttestCommandOptions {
  readonly pid: number;
  /** Where the host's /proc is mounted (default /proc). */
  readonly procRoot: string;
  /** The agent's configuration file, as for `run`. */
  readonly configFile?: string | undefined;
}

/** `validate`: check a configuration file without starting anything. */
export interface ValidateCommandOptions {
  readonly configFile: string;
}

/** The shape `debug attest` prints: any JSON report with an `ok` flag and, when not ok, why. */
export interface DebugAttestResult {
  readonly ok: boolean;
  readonly failure?: { readonly step: string; readonly message: string } | null;
}

/**
 * The agent-side implementations, wired by main.ts. Long-running ones resolve when `signal`
 * aborts (a clean stop) and reject with an error whose message is one line for the user.
 */
export interface CliActions {
  runDev(options: DevCommandOptions, signal: AbortSignal): Promise<void>;
  runAgent(options: RunCommandOptions, signal: AbortSignal): Promise<void>;
  /** The report is printed as JSON; `ok: false` makes the command exit 1. */
  debugAttest(options: DebugAttestCommandOptions, signal: AbortSignal): Promise<DebugAttestResult>;
  /** Every problem, one line each (config/'s validateConfigFile); empty means valid. */
  validateConfig(options: ValidateCommandOptions): Promise<readonly string[]> | readonly string[];
}

/** The real process: stdout, stderr (the environment is read by the client library itself). */
export function processCliContext(): CliContext {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
  };
}
