import { LineCounter, isMap, isNode, isScalar, parseDocument } from 'yaml';
import type { Document, Node, Pair, YAMLMap } from 'yaml';
import type { ConfigErrorCode, ConfigProblem } from './config-error.js';
import type { ConfigFileSystem } from './config-file-system.js';
import { reasonOf } from './config-file-system.js';
import type { RawValue } from './field.js';
import { FIELD_BY_PATH, SECTIONS } from './field-table.js';
import { describeValue } from './field-types.js';

// Reads the YAML file into flat `path → raw value` entries, each remembering its line, and
// reports unknown keys by name. Syntax errors are fatal: what follows them cannot be trusted.

export type ConfigFileResult =
  | { readonly kind: 'read'; readonly values: ReadonlyMap<string, RawValue>; readonly problems: readonly ConfigProblem[] }
  | { readonly kind: 'failed'; readonly code: ConfigErrorCode; readonly problems: readonly ConfigProblem[] };

export function readConfigFile(file: string, fileSystem: ConfigFileSystem): ConfigFileResult {
  let source: string;
  try {
    source = fileSystem.readText(file);
  } catch (error) {
    return { kind: 'failed', code: 'unreadable', problems: [{ path: file, message: `cannot read the configuration file (${reasonOf(error)})` }] };
  }
  return parseConfigText(file, source);
}

export function parseConfigText(file: string, source: string): ConfigFileResult {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const at = lines.linePos(e.pos[0]);
      return { path: file, message: `malformed YAML at line ${at.line}, column ${at.col}: ${lowerFirst(e.message)}` };
    });
    return { kind: 'failed', code: 'malformed', problems };
  }
  if (doc.contents === null) return { kind: 'read', values: new Map(), problems: [] };
  if (!isMap(doc.contents)) {
    return { kind: 'failed', code: 'malformed', problems: [{ path: file, message: 'expected a mapping of settings (key: value lines) at the top level' }] };
  }
  const walker = new Walker(file, doc, lines);
  walker.walk(doc.contents, '');
  return { kind: 'read', values: walker.values, problems: walker.problems };
}

class Walker {
  readonly values = new Map<string, RawValue>();
  readonly problems: ConfigProblem[] = [];

  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  walk(map: YAMLMap, prefix: string): void {
    for (const pair of map.items) this.visit(pair, prefix);
  }

  private visit(pair: Pair, prefix: string): void {
    const key = isScalar(pair.key) ? String(pair.key.value) : '?';
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const where = this.where(pair.key);
    const value = isNode(pair.value) ? (pair.value as Node) : undefined;
    const isEmpty = value === undefined || (isScalar(value) && value.value === null);
    if (FIELD_BY_PATH.has(path)) {
      // `key:` with nothing after it leaves the setting to the environment or the default.
      if (!isEmpty) this.values.set(path, { value: value.toJS(this.doc), origin: { kind: 'file', file: this.file, ...where } });
    } else if (SECTIONS.has(path)) {
      if (isMap(value)) this.walk(value, path);
      else if (!isEmpty) this.problem(path, `expected a mapping of settings, got ${describeValue(value.toJS(this.doc))}`, where.line);
    } else {
      this.problem(path, `unknown key${suggestion(path)}`, where.line);
    }
  }

  private where(node: unknown): { line: number; column: number } {
    const offset = isNode(node) ? (node.range?.[0] ?? 0) : 0;
    const at = this.lines.linePos(offset);
    return { line: at.line, column: at.col };
  }

  private problem(path: string, message: string, line: number): void {
    this.problems.push({ path, message: `${message} (${this.file} line ${line})` });
  }
}

/** `; did you mean kubelet.url?` for a near miss (case, a stray `Ms` suffix, a typo). */
function suggestion(path: string): string {
  const depth = path.split('.').length;
  const candidates = [...FIELD_BY_PATH.keys(), ...SECTIONS].filter((c) => c.split('.').length === depth);
  const best = candidates
    .map((c) => ({ c, d: distance(path.toLowerCase(), c.toLowerCase()) }))
    .sort((a, b) => a.d - b.d)[0];
  return best !== undefined && best.d <= 2 ? `; did you mean ${best.c}?` : '';
}

/** Levenshtein distance, small strings only. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
