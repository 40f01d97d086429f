/** One problem with the configuration: the setting's path as the file spells it, and what is wrong. */
export interface ConfigProblem {
  /** `kubelet.url`, `conjur.applianceUrl`, ... or the configuration file's path for file-level problems. */
  readonly path: string;
  /** Lower case, no trailing period; says where the bad value came from when that helps. */
  readonly message: string;
}

/**
 * Why the configuration was refused.
 * - unreadable: the configuration file could not be read
 * - malformed: the file is not valid YAML (every syntax error is listed)
 * - invalid: the settings are wrong (every problem is listed, not only the first)
 */
export type ConfigErrorCode = 'unreadable' | 'malformed' | 'invalid';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly code: ConfigErrorCode,
    readonly problems: readonly ConfigProblem[],
    options?: { cause?: unknown },
  ) {
    super(`invalid configuration: ${problems.map(formatProblem).join('; ')}`, options);
  }

  /** One line per problem, ready to print. */
  lines(): string[] {
    return this.problems.map(formatProblem);
  }
}

export function formatProblem(problem: ConfigProblem): string {
  return `${problem.path}: ${problem.message}`;
}
