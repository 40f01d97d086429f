// Loads one CommonJS bundle of the image (agent.cjs for `run`, cli.cjs for the command line)
// through node:vm with the V8 code cache the build wrote beside it (write-code-cache.cjs): V8 then
// skips parsing and compiling most of the code, which was most of `run`'s start-up (the Kubernetes
// client alone is 1.6 MB) and a sixth of a command's CPU (issue 14). Node 20 offers no code cache
// for ES modules, hence CommonJS bundles. A cache that does not match this Node and its flags is
// rejected by V8 and the code is compiled as usual.
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { codeCacheFile } from './code-cache-file.cjs';

function readCache(file) {
  // The cache for this process's flags, else the one for none (a flag V8 does not see, such as
  // --require, keeps it valid).
  for (const cache of [codeCacheFile(file, process.execArgv), codeCacheFile(file, [])]) {
    try {
      return readFileSync(cache);
    } catch {
      // try the next one; with none, the code is compiled as usual
    }
  }
  return undefined;
}

/** The exports of the bundle at `url`. */
export function loadCachedBundle(url) {
  const file = fileURLToPath(url);
  const cachedData = readCache(file);
  const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, ...(cachedData ? { cachedData } : {}) });
  const loaded = { exports: {} };
  script.runInThisContext()(loaded.exports, createRequire(file), loaded, file, dirname(file));
  return loaded.exports;
}
