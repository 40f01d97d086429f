import type { AgentConfig } from './agent-config.js';
import { ConfigError } from './config-error.js';
import type { ConfigProblem } from './config-error.js';
import { readConfigFile } from './config-file.js';
import { nodeFileSystem } from './config-file-system.js';
import type { ConfigFileSystem } from './config-file-system.js';
import { checkCrossField } from './cross-field-checks.js';
import { checkEnvironment } from './environment-checks.js';
import { deriveSettings } from './derived-settings.js';
import type { RawValue } from './field.js';
import { FIELD_LIST } from './field-table.js';
import type { ConfigOverrides } from './field-table.js';
import { resolveFields } from './field-values.js';
import type { Environment } from './field-values.js';
import { checkLocalFiles } from './local-file-checks.js';
import { deepFreeze, toAgentConfig } from './to-agent-config.js';

export interface LoadConfigOptions {
  /** The environment: main.ts passes process.env; nothing else in the agent reads it. Only the
   * names in the configuration reference are used (CONJUR_*, MY_*, KUBERNETES_SERVICE_*). */
  readonly env: Environment;
  /** The YAML file (`--config`); without it, the environment and defaults only. */
  readonly file?: string;
  /** Values from command-line flags, written as in the file; they win over everything. */
  readonly overrides?: ConfigOverrides;
  /** node:fs unless given; lets a configuration for another machine be checked here. */
  readonly fileSystem?: ConfigFileSystem;
}

/**
 * Reads, validates and freezes the agent's configuration. Precedence, strongest first:
 * overrides, environment, file, defaults. Throws ConfigError listing every problem found.
 */
export function loadConfig(options: LoadConfigOptions): AgentConfig {
  const fileSystem = options.fileSystem ?? nodeFileSystem;
  let fileValues: ReadonlyMap<string, RawValue> = new Map();
  const problems: ConfigProblem[] = [];
  if (options.file !== undefined) {
    const read = readConfigFile(options.file, fileSystem);
    if (read.kind === 'failed') throw new ConfigError(read.code, read.problems);
    fileValues = read.values;
    problems.push(...read.problems);
  }
  const resolved = resolveFields(FIELD_LIST, { overrides: options.overrides ?? {}, env: options.env, file: fileValues });
  const { derived, problems: derivedProblems } = deriveSettings(resolved.values, options.env, fileSystem);
  problems.push(
    ...resolved.problems,
    ...derivedProblems,
    ...checkCrossField(resolved.values),
    ...checkEnvironment(options.env),
    ...checkLocalFiles(resolved.values, derived, fileSystem),
  );
  if (problems.length > 0) throw new ConfigError('invalid', problems);
  return deepFreeze(toAgentConfig(resolved.values, derived));
}
