// Where the V8 code cache of cli.cjs for a given set of Node flags is kept: `cli.cjs.cache` for
// none, else the flags themselves in the name (`cli.cjs.--max-semi-space-size=2_--optimize-for-size.cache`).
// Not a hash, as code-cache-file.cjs names the agent's: node:crypto would cost every command more
// than the cache saves `--version`.
'use strict';

exports.cliCacheFile = (cliFile, execArgv) => {
  const flags = execArgv.join(' ').replace(/[^A-Za-z0-9=.-]+/g, '_');
  return flags === '' ? `${cliFile}.cache` : `${cliFile}.${flags}.cache`;
};
