// Writes the V8 code cache of cli.cjs (see cli-loader.mjs): `node [FLAGS] write-cli-code-cache.cjs
// DIR`, run by scripts/bundle-image.mjs with the Node that will run the image, once per flag set
// (cli-cache-file.cjs). V8 caches the functions compiled by the time the cache is made, so first
// the command lines that run in pods go through once, in this process, with their output
// discarded: `--version`, and `api fetch x509` and `healthcheck` against a socket path that does
// not exist (their error paths; nothing listens, nothing is written).
'use strict';
const { mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { tmpdir } = require('node:os');
const { dirname, join, resolve } = require('node:path');
const { Script } = require('node:vm');
const { cliCacheFile } = require('./cli-cache-file.cjs');

const file = join(resolve(process.argv[2]), 'cli.cjs');
const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file });
const loaded = { exports: {} };
script.runInThisContext()(loaded.exports, Module.createRequire(file), loaded, file, dirname(file));
const { runCli } = loaded.exports;
if (typeof runCli !== 'function') throw new Error(`${file} exports no runCli`);

const noActions = new Proxy({}, { get: () => () => Promise.reject(new Error('not available while writing the code cache')) });
const dir = mkdtempSync(join(tmpdir(), 'cli-code-cache-'));
const missing = join(dir, 'missing.sock');
const quiet = { stdout: () => {}, stderr: () => {}, env: {}, signal: new AbortController().signal, version: '0.0.0' };

(async () => {
  try {
    for (const argv of [['--version'], ['api', 'fetch', 'x509', '--socket', missing], ['healthcheck', '--socket', missing]]) {
      await runCli(argv, noActions, quiet);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  writeFileSync(cliCacheFile(file, process.execArgv), script.createCachedData());
})().catch((error) => {
  process.exitCode = 1;
  console.error(error);
});
