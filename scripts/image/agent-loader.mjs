// What `import('./agent.js')` in src/main.ts becomes in the image bundle (scripts/bundle-image.mjs).
// `run` (the agent, its configuration and logger) is loaded from agent.cjs, one CommonJS bundle, through node:vm with the V8 code cache
// that the build wrote beside it for this process's Node flags (code-cache-file.cjs): V8 then skips parsing and compiling most of
// the agent's code (the Kubernetes client alone is 1.6 MB), which is most of `run`'s start-up.
// Node 20 offers no code cache for ES modules, hence the CommonJS bundle. A cache that does not
// match this Node and its flags is rejected by V8 and the code is compiled as usual.
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { codeCacheFile } from './code-cache-file.cjs';

// This module is a chunk in chunks/; agent.cjs sits beside main.js.
const file = fileURLToPath(new URL('../agent.cjs', import.meta.url));

function readCache() {
  try {
    return readFileSync(codeCacheFile(file, process.execArgv));
  } catch {
    return undefined; // none for these flags: compiled as usual
  }
}

function load() {
  const cachedData = readCache();
  const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, ...(cachedData ? { cachedData } : {}) });
  const loaded = { exports: {} };
  script.runInThisContext()(loaded.exports, createRequire(file), loaded, file, dirname(file));
  return loaded.exports;
}

export const { ConfigError, createJsonLogger, loadConfig, startAgent } = load();
