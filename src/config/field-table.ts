import { AGENT_FIELDS } from './agent-fields.js';
import { CONJUR_FIELDS } from './conjur-fields.js';
import type { Field, RawSetting } from './field.js';
import { KUBE_FIELDS } from './kube-fields.js';
import { LIMIT_FIELDS } from './limit-fields.js';
import { SDS_FIELDS } from './sds-fields.js';

// The whole table, in the order of the README reference and of reported problems.

export const FIELDS = { ...AGENT_FIELDS, ...LIMIT_FIELDS, ...KUBE_FIELDS, ...CONJUR_FIELDS, ...SDS_FIELDS } as const;

type FieldOf = (typeof FIELDS)[keyof typeof FIELDS];

/** Every setting's dotted path, as written in the YAML file: 'socketPath', 'kubelet.url', ... */
export type ConfigPath = FieldOf['path'];

/** Values from command-line flags, keyed by path, written as in the file ('30s', '0666'). */
export type ConfigOverrides = Partial<Readonly<Record<ConfigPath, RawSetting>>>;

export const FIELD_LIST: readonly Field[] = Object.values(FIELDS);

/** Paths that hold a mapping of settings: 'kubelet', 'conjur', ... */
export const SECTIONS: ReadonlySet<string> = new Set(
  FIELD_LIST.flatMap((f) => {
    const parts = f.path.split('.');
    return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('.'));
  }),
);

export const FIELD_BY_PATH: ReadonlyMap<string, Field> = new Map(FIELD_LIST.map((f) => [f.path, f]));
