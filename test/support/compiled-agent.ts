import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// The agent as the DaemonSet runs it: plain JavaScript, no loader. A test that measures the
// agent's RSS must not also measure a TypeScript loader (the module-hooks thread of
// register-ts.mjs adds about 33 MiB on Node 20, and loading TypeScript itself 70 MiB more).
// src/ is transpiled (like ts-jest here: no type-check, `npm test` runs tsc for that) into
// node_modules/.cache, keyed by a hash of the sources, so later runs start at once. From
// there, packages resolve upwards to this checkout; proto/ and the native addon's build/ are
// linked beside the compiled src/, where the agent looks for them as it does from dist/.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The path of src/main.ts compiled to JavaScript, building it first when the sources changed. */
export function compiledAgentMain(): string {
  const sources = listTypeScript(join(ROOT, 'src'));
  const hash = createHash('sha256');
  for (const file of sources) hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  const dir = join(ROOT, 'node_modules', '.cache', 'conjur-spiffe-agent', `agent-js-${hash.digest('hex').slice(0, 16)}`);
  const main = join(dir, 'src', 'main.js');
  if (existsSync(main)) return main;
  // Built aside and renamed into place, so a concurrent test never runs a half-written tree.
  const building = `${dir}.${process.pid}.building`;
  rmSync(building, { recursive: true, force: true });
  for (const file of sources) {
    const output = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    }).outputText;
    const target = join(building, relative(ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, output);
  }
  for (const shared of ['proto', 'build']) symlinkSync(join(ROOT, shared), join(building, shared));
  try {
    renameSync(building, dir);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(main)) throw error; // else another test built the same sources first
  }
  return main;
}

function listTypeScript(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return listTypeScript(path);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
    })
    .sort();
}
