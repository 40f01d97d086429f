// Module hooks for register-ts.mjs: `./x.js` imports resolve to `./x.ts` when only the .ts
// exists (NodeNext style), and .ts files are transpiled to ES modules with TypeScript itself.
// Output is cached by content hash under the OS temp dir, so only changed files are transpiled
// again and TypeScript (slow to load) is loaded only on a miss.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CACHE_DIR = join(tmpdir(), 'conjur-spiffe-bench-ts-cache');
let typescript;

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const relative = specifier.startsWith('.') || specifier.startsWith('file:');
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !relative || !specifier.endsWith('.js')) throw error;
    return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
  }
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.ts')) return nextLoad(url, context);
  const fileName = fileURLToPath(url);
  const source = await readFile(fileName, 'utf8');
  const cached = join(CACHE_DIR, `${createHash('sha256').update(fileName).update('\0').update(source).digest('hex')}.js`);
  const hit = await readFile(cached, 'utf8').catch(() => undefined);
  if (hit !== undefined) return { format: 'module', source: hit, shortCircuit: true };
  const output = await transpile(source, fileName);
  await mkdir(CACHE_DIR, { recursive: true });
  const temporary = `${cached}.${process.pid}.tmp`;
  await writeFile(temporary, output);
  await rename(temporary, cached);
  return { format: 'module', source: output, shortCircuit: true };
}

async function transpile(source, fileName) {
  typescript ??= (await import('typescript')).default;
  const compilerOptions = {
    module: typescript.ModuleKind.ESNext,
    target: typescript.ScriptTarget.ES2022,
    verbatimModuleSyntax: true,
    inlineSourceMap: true,
  };
  return typescript.transpileModule(source, { fileName, compilerOptions }).outputText;
}
