// Writes the V8 code cache of agent.cjs (see agent-loader.mjs): `node [FLAGS] write-code-cache.cjs
// DIR`, run by scripts/bundle-image.mjs with the Node that will run the image and with the flags
// the agent will be started with (code-cache-file.cjs). The module is evaluated
// first, so the cache also holds the functions that run while it loads, not only the top level.
// Evaluating it has no effect outside this process (no I/O beyond reading its own files).
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join, resolve } = require('node:path');
const { Script } = require('node:vm');
const { codeCacheFile } = require('./code-cache-file.cjs');

const file = join(resolve(process.argv[2]), 'agent.cjs');
const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file });
const loaded = { exports: {} };
script.runInThisContext()(loaded.exports, Module.createRequire(file), loaded, file, dirname(file));
if (typeof loaded.exports.startAgent !== 'function') throw new Error(`${file} exports no startAgent`);
writeFileSync(codeCacheFile(file, process.execArgv), script.createCachedData());
