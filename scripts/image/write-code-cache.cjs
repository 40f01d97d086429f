// Writes the V8 code cache of a bundle (see load-cached-bundle.mjs):
// `node [FLAGS] write-code-cache.cjs DIR agent|cli`, run by scripts/bundle-image.mjs with the Node
// that will run the image, once per flag set (code-cache-file.cjs). V8 caches the functions
// compiled by the time the cache is made, so the code runs first, in this process:
// - agent.cjs is evaluated (its top level and what runs while it loads; no I/O beyond reading its
//   own files);
// - cli.cjs also runs the command lines that run in pods, with their output discarded:
//   `--version`, and `api fetch x509` and `healthcheck` against a socket path that does not exist
//   (their error paths; nothing listens, nothing is written).
'use strict';
const { mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { tmpdir } = require('node:os');
const { dirname, join, resolve } = require('node:path');
const { Script } = require('node:vm');
const { codeCacheFile } = require('./code-cache-file.cjs');

const [dirArg, which] = process.argv.slice(2);
const file = join(resolve(dirArg), `${which}.cjs`);
const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file });
const loaded = { exports: {} };
script.runInThisContext()(loaded.exports, Module.createRequire(file), loaded, file, dirname(file));

async function runPodCommandLines({ runCli }) {
  if (typeof runCli !== 'function') throw new Error(`${file} exports no runCli`);
  const noActions = new Proxy({}, { get: () => () => Promise.reject(new Error('not available while writing the code cache')) });
  const dir = mkdtempSync(join(tmpdir(), 'cli-code-cache-'));
  const missing = join(dir, 'missing.sock');
  const quiet = { stdout: () => {}, stderr: () => {}, env: {}, signal: new AbortController().signal, version: '0.0.0' };
  try {
    for (const argv of [['--version'], ['api', 'fetch', 'x509', '--socket', missing], ['healthcheck', '--socket', missing]]) {
      await runCli(argv, noActions, quiet);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const warmUps = {
  agent: async ({ startAgent }) => {
    if (typeof startAgent !== 'function') throw new Error(`${file} exports no startAgent`);
  },
  cli: runPodCommandLines,
};

(async () => {
  const warmUp = warmUps[which];
  if (!warmUp) throw new Error(`usage: write-code-cache.cjs DIR agent|cli (got ${which})`);
  await warmUp(loaded.exports);
  writeFileSync(codeCacheFile(file, process.execArgv), script.createCachedData());
})().catch((error) => {
  process.exitCode = 1;
  console.error(error);
});
