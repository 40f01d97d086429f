import type { ConfigProblem } from './config-error.js';
import { FieldValueError, howToSet, originSuffix } from './field.js';
import type { Field, Origin, RawValue } from './field.js';
import type { ConfigOverrides } from './field-table.js';

// Resolves each field of the table from its sources, strongest first: command-line overrides,
// then the environment (Conjur and downward-API names), then the file, then the default.
// Every bad or missing value becomes a problem; resolution never stops at the first one.

export type Environment = Readonly<Record<string, string | undefined>>;

export interface FieldSources {
  readonly overrides: ConfigOverrides;
  readonly env: Environment;
  readonly file: ReadonlyMap<string, RawValue>;
}

interface Resolved {
  readonly value: unknown;
  readonly origin: Origin;
}

/** The parsed value of every field that had a good one. */
export class FieldValues {
  constructor(
    private readonly resolved: ReadonlyMap<string, Resolved>,
    private readonly rejected: ReadonlySet<string>,
  ) {}

  /** A value was given but refused (already reported): checks that depend on it stay quiet. */
  isRejected(f: Field): boolean {
    return this.rejected.has(f.path);
  }

  get<T>(f: Field<string, T>): T | undefined {
    return this.resolved.get(f.path)?.value as T | undefined;
  }

  origin(f: Field): Origin | undefined {
    return this.resolved.get(f.path)?.origin;
  }

  /** For building the config once validation found no problem: a missing value is a bug here. */
  require<T>(f: Field<string, T>): T {
    if (!this.resolved.has(f.path)) throw new Error(`configuration value ${f.path} is missing after validation`);
    return this.get(f) as T;
  }
}

export function resolveFields(fields: readonly Field[], sources: FieldSources): { values: FieldValues; problems: ConfigProblem[] } {
  const resolved = new Map<string, Resolved>();
  const rejected = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const f of fields) {
    const raw = rawValueOf(f, sources);
    if (raw === undefined) {
      if (f.presence.kind === 'required') problems.push({ path: f.path, message: `missing (${howToSet(f)})` });
      continue;
    }
    try {
      resolved.set(f.path, { value: f.type.parse(raw.value), origin: raw.origin });
    } catch (error) {
      if (!(error instanceof FieldValueError)) throw error;
      rejected.add(f.path);
      problems.push({ path: f.path, message: `${error.message}${originSuffix(raw.origin)}` });
    }
  }
  return { values: new FieldValues(resolved, rejected), problems };
}

function rawValueOf(f: Field, sources: FieldSources): RawValue | undefined {
  const override = (sources.overrides as Readonly<Record<string, unknown>>)[f.path];
  if (override !== undefined) return { value: override, origin: { kind: 'override' } };
  const fromEnv = envValue(sources.env, f.env);
  if (fromEnv !== undefined) return fromEnv;
  const fromFile = sources.file.get(f.path);
  if (fromFile !== undefined) return fromFile;
  if (f.presence.kind === 'default') return { value: f.presence.value, origin: { kind: 'default' } };
  return undefined;
}

/** An empty variable counts as unset, so a blank ConfigMap entry means "not given". */
export function envValue(env: Environment, name: string | undefined): RawValue | undefined {
  if (name === undefined) return undefined;
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : { value, origin: { kind: 'env', name } };
}
