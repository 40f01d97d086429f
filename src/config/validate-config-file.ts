import { ConfigError } from './config-error.js';
import { nodeFileSystem } from './config-file-system.js';
import type { ConfigFileSystem } from './config-file-system.js';
import type { Environment } from './field-values.js';
import { loadConfig } from './load-config.js';

/**
 * For `conjur-spiffe-agent validate --config FILE`: the problems of FILE combined with `env`,
 * one line each, exactly as the agent would refuse to start; an empty list means valid.
 */
export function validateConfigFile(file: string, env: Environment, fileSystem: ConfigFileSystem = nodeFileSystem): string[] {
  try {
    loadConfig({ env, file, fileSystem });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.lines();
    throw error;
  }
}
