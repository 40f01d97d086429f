import type { Field, Presence } from './field.js';
import { FIELD_LIST } from './field-table.js';

// The README's configuration reference, generated from the same table that validates, so the
// two cannot drift apart (a test checks that the README holds this text).

/** A Markdown table, one row per setting in table order; no trailing newline. */
export function configReference(): string {
  const rows = FIELD_LIST.map((f) => row([code(f.path), f.env === undefined ? '' : code(f.env), f.type.name, defaultCell(f.presence), f.description]));
  return [row(['Setting', 'Environment', 'Type', 'Default', 'Description']), row(['---', '---', '---', '---', '---']), ...rows].join('\n');
}

function defaultCell(presence: Presence): string {
  switch (presence.kind) {
    case 'required':
      return '**required**';
    case 'optional':
      return presence.note;
    case 'default':
      return code(Array.isArray(presence.value) ? `[${presence.value.join(', ')}]` : String(presence.value));
  }
}

function code(text: string): string {
  return `\`${text}\``;
}

function row(cells: readonly string[]): string {
  return `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
}

/** The settings as data, for tools that want more than the Markdown (e.g. `--help` texts). */
export function configFields(): readonly Pick<Field, 'path' | 'env' | 'description'>[] {
  return FIELD_LIST.map(({ path, env, description }) => ({ path, env, description }));
}
