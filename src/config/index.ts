// Configuration: environment (Conjur tooling and downward-API names) + an optional YAML file +
// flags → one validated, deeply frozen AgentConfig, or a ConfigError listing every problem.
// The only code that interprets environment variables; callers pass process.env in.
export { loadConfig } from './load-config.js';
export type { LoadConfigOptions } from './load-config.js';
export { validateConfigFile } from './validate-config-file.js';
export { configReference, configFields } from './config-reference.js';
export { ConfigError, formatProblem } from './config-error.js';
export type { ConfigErrorCode, ConfigProblem } from './config-error.js';
export { nodeFileSystem } from './config-file-system.js';
export type { ConfigFileSystem } from './config-file-system.js';
export type { ConfigPath, ConfigOverrides } from './field-table.js';
export type { Environment } from './field-values.js';
export type { RawSetting } from './field.js';
export { parseDurationMs } from '../async/index.js';
export type {
  AgentConfig,
  BundleOrigin,
  ConjurOptions,
  KubeletOptions,
  KubernetesConnection,
  KubernetesOptions,
  ListenAddress,
  LimitOptions,
  LogLevel,
  LogOptions,
  SdsConfig,
  SvidOptions,
} from './agent-config.js';
