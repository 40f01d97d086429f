// One row of the configuration table: a setting's file path, type, environment variable,
// default and description. The same rows drive validation and the README's reference.

/** Thrown by a FieldType's parse with a lower-case reason; the caller adds path and origin. */
export class FieldValueError extends Error {
  override readonly name = 'FieldValueError';
}

/** How a raw value (YAML scalar or list, environment string, command-line flag) becomes a T. */
export interface FieldType<T> {
  /** Shown in the configuration reference. */
  readonly name: string;
  /** Throws FieldValueError saying what was expected. */
  parse(raw: unknown): T;
}

/** A raw value as written: text, a number, a boolean or a list of text. */
export type RawSetting = string | number | boolean | readonly string[];

export type Presence =
  | { readonly kind: 'required' }
  | { readonly kind: 'default'; readonly value: RawSetting }
  /** No value is fine; `note` describes what happens then (a derived default, or nothing). */
  | { readonly kind: 'optional'; readonly note: string };

export interface Field<P extends string = string, T = unknown> {
  /** Dotted path in the YAML file: `kubelet.minRequestInterval`. */
  readonly path: P;
  readonly type: FieldType<T>;
  /** The environment variable that sets it (Conjur tooling and downward-API names only). */
  readonly env?: string;
  readonly presence: Presence;
  readonly description: string;
}

/** Identity function that keeps the path's literal type, so ConfigPath can be derived. */
export function field<P extends string, T>(spec: Field<P, T>): Field<P, T> {
  return spec;
}

export const required: Presence = { kind: 'required' };

export function byDefault(value: RawSetting): Presence {
  return { kind: 'default', value };
}

export function optional(note: string): Presence {
  return { kind: 'optional', note };
}

/** Where a value came from, for messages that point at the right place. */
export type Origin =
  | { readonly kind: 'default' }
  | { readonly kind: 'file'; readonly file: string; readonly line: number; readonly column: number }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'override' };

export interface RawValue {
  readonly value: unknown;
  readonly origin: Origin;
}

/** ` (from CONJUR_APPLIANCE_URL)`, ` (agent.yaml line 4)`, or nothing for defaults and flags. */
export function originSuffix(origin: Origin): string {
  switch (origin.kind) {
    case 'env':
      return ` (from ${origin.name})`;
    case 'file':
      return ` (${origin.file} line ${origin.line})`;
    case 'override':
      return ' (from the command line)';
    case 'default':
      return '';
  }
}

/** `set CONJUR_APPLIANCE_URL or conjur.applianceUrl`: how to provide a missing value. */
export function howToSet(f: Field): string {
  return f.env === undefined ? `set ${f.path}` : `set ${f.env} or ${f.path}`;
}
