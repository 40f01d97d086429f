// What `import './cli/index.js'` in src/main.ts becomes in the image bundle (scripts/bundle-image.mjs).
// The command line (commander, the command tree, and the workload-side actions: api, healthcheck,
// helper, check) is loaded from cli.cjs, one CommonJS bundle, through node:vm with the V8 code
// cache the build wrote beside it (cli.cjs.cache), as agent-loader.mjs does for `run`: `api fetch`,
// `healthcheck` and `--version` run in exec probes and workload pods, and compiling their code and
// loading it as a dozen ES modules was about a sixth of their CPU (issue 14). A cache that does not
// match this Node and its flags is rejected by V8 and the code is compiled as usual.
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { cliCacheFile } from './cli-cache-file.cjs';

// This module is bundled into main.js; cli.cjs sits beside it.
const file = fileURLToPath(new URL('./cli.cjs', import.meta.url));

function readCache() {
  // V8 rejects a cache made under other Node flags: the build writes one for the ENTRYPOINT's
  // flags beside the one for none (cli-cache-file.cjs). Named without a hash, so that a command
  // does not load node:crypto for it; any other flags (a --require, say) get the default one.
  for (const cache of [cliCacheFile(file, process.execArgv), cliCacheFile(file, [])]) {
    try {
      return readFileSync(cache);
    } catch {
      // try the next one; with none, the code is compiled as usual
    }
  }
  return undefined;
}

function load() {
  const cachedData = readCache();
  const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, ...(cachedData ? { cachedData } : {}) });
  const loaded = { exports: {} };
  script.runInThisContext()(loaded.exports, createRequire(file), loaded, file, dirname(file));
  return loaded.exports;
}

export const { CliError, processCliContext, runCli } = load();
