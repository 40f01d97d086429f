import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// Enforces the dependency rules of style.md §5.2 by reading the import lines of src/**.
// Folders may import only the folders listed for them (type-only imports included, so that
// adapters stay free of their consumers); each outside library belongs to one folder.

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

const ALLOWED: Record<string, string[]> = {
  spiffe: [],
  async: [],
  log: [],
  gen: [],
  x509: ['spiffe'],
  peer: [],
  config: ['spiffe', 'x509', 'async'],
  attestation: ['spiffe', 'peer', 'async', 'log'],
  identity: ['spiffe', 'attestation', 'log'],
  'svid-cache': ['spiffe', 'x509', 'async', 'log', 'identity'],
  'dev-ca': ['spiffe', 'x509', 'async', 'log', 'identity'],
  kube: ['async', 'log'],
  conjur: ['spiffe', 'x509', 'async', 'log', 'identity'],
  'workload-api': ['spiffe', 'peer', 'gen', 'async', 'log', 'attestation', 'identity', 'svid-cache'],
  sds: ['spiffe', 'x509', 'gen', 'log', 'identity', 'workload-api'],
  health: ['log', 'async'],
  metrics: ['log', 'health'],
  client: ['spiffe', 'gen', 'async'],
  'pod-contract': [],
  cli: ['client', 'log', 'async', 'spiffe', 'pod-contract'],
  '.': ['*'],
};

// Outside libraries and the only folders that may import them.
const LIBRARY_OWNERS: Record<string, string[]> = {
  '@grpc/grpc-js': ['workload-api', 'sds', 'client', 'gen'],
  '@grpc/proto-loader': ['workload-api', 'sds', 'client', 'gen'],
  '@grpc/reflection': ['workload-api'],
  'grpc-health-check': ['workload-api'],
  '@kubernetes/client-node': ['kube'],
  pkijs: ['x509'],
  asn1js: ['x509'],
  commander: ['cli'],
  'prom-client': ['metrics'],
  pino: ['log'],
  yaml: ['config', 'pod-contract'],
};

interface ImportEdge {
  file: string;
  from: string;
  target: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function folderOf(file: string): string {
  const rel = relative(SRC, file).split(sep);
  return rel.length > 1 ? rel[0]! : '.';
}

function importsOf(file: string): ImportEdge[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  const dynamic = [...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
  return [...specifiers, ...dynamic].map((target) => ({ file, from: folderOf(file), target }));
}

const files = sourceFiles(SRC);
const edges = files.flatMap(importsOf);
const local = edges.filter((e) => e.target.startsWith('.'));

function resolveFolder(edge: ImportEdge): { folder: string; path: string } {
  const abs = join(edge.file, '..', edge.target);
  return { folder: folderOf(abs), path: relative(SRC, abs) };
}

describe('architecture', () => {
  it('knows every folder under src/', () => {
    const unknown = [...new Set(files.map(folderOf))].filter((f) => !(f in ALLOWED));
    expect(unknown).toEqual([]);
  });

  it('lets each folder import only the folders below it', () => {
    const forbidden = local
      .map((e) => ({ ...e, to: resolveFolder(e).folder }))
      .filter((e) => e.to !== e.from && !ALLOWED[e.from]?.includes('*') && !ALLOWED[e.from]?.includes(e.to))
      .map((e) => `${relative(SRC, e.file)} → ${e.to}`);
    expect(forbidden).toEqual([]);
  });

  it('crosses folders only through index.ts', () => {
    const deep = local
      .map((e) => ({ ...e, ...resolveFolder(e) }))
      .filter((e) => e.folder !== e.from && e.folder !== '.' && e.folder !== 'gen')
      .filter((e) => !e.path.endsWith(`${e.folder}${sep}index.js`))
      .map((e) => `${relative(SRC, e.file)} → ${e.target}`);
    expect(deep).toEqual([]);
  });

  it('keeps each outside library in its one folder', () => {
    const misplaced = edges
      .filter((e) => !e.target.startsWith('.'))
      .flatMap((e) => {
        const lib = Object.keys(LIBRARY_OWNERS).find((l) => e.target === l || e.target.startsWith(`${l}/`));
        return lib && e.from !== '.' && !LIBRARY_OWNERS[lib]!.includes(e.from) ? [`${relative(SRC, e.file)} → ${lib}`] : [];
      });
    expect(misplaced).toEqual([]);
  });

  it('never imports test code from src/', () => {
    const fromTests = local.filter((e) => resolveFolder(e).path.startsWith('..')).map((e) => relative(SRC, e.file));
    expect(fromTests).toEqual([]);
  });

  it('has no import cycles between folders', () => {
    const graph = new Map<string, Set<string>>();
    for (const e of local) {
      const to = resolveFolder(e).folder;
      if (to === e.from || e.from === '.') continue;
      if (!graph.has(e.from)) graph.set(e.from, new Set());
      graph.get(e.from)!.add(to);
    }
    const cycles: string[] = [];
    const visit = (node: string, path: string[]) => {
      if (path.includes(node)) return cycles.push([...path.slice(path.indexOf(node)), node].join(' → '));
      for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
      return undefined;
    };
    for (const node of graph.keys()) visit(node, []);
    expect(cycles).toEqual([]);
  });
});
