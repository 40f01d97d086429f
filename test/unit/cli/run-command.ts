import { runCli } from '../../../src/cli/index.js';
import type { CliActions, DebugAttestResult } from '../../../src/cli/index.js';

// Runs the CLI in-process, capturing its output (test helper, not a test).

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RecordedCall {
  action: keyof CliActions;
  options: unknown;
}

/** CliActions that record their calls; debugAttest answers `report`, validateConfig `problems`. */
export function recordingActions(knobs: { report?: DebugAttestResult; problems?: string[]; fail?: Error } = {}): CliActions & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const record = (action: keyof CliActions, options: unknown) => {
    calls.push({ action, options });
    if (knobs.fail) throw knobs.fail;
  };
  return {
    calls,
    async runDev(options) {
      record('runDev', options);
    },
    async runAgent(options) {
      record('runAgent', options);
    },
    async debugAttest(options) {
      record('debugAttest', options);
      return knobs.report ?? { ok: true, failure: null };
    },
    validateConfig(options) {
      record('validateConfig', options);
      return knobs.problems ?? [];
    },
  };
}

export async function run(
  argv: string[],
  options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal; actions?: CliActions; onStdout?: (text: string) => void } = {},
): Promise<CommandResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, options.actions ?? recordingActions(), {
    stdout: (text) => {
      stdout += text;
      options.onStdout?.(text);
    },
    stderr: (text) => (stderr += text),
    env: options.env ?? {},
    signal: options.signal ?? new AbortController().signal,
    version: '0.0.0-test',
  });
  return { code, stdout, stderr };
}
