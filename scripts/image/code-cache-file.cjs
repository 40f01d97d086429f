// Where the V8 code cache of a bundle (agent.cjs, cli.cjs) for a given set of Node flags is kept.
// V8 rejects a cache made under any other flags (a heap size flag is enough), so the build writes
// one per flag set the image starts Node with (none, and the ENTRYPOINT's), and the loader picks
// the one for its own process.execArgv: `cli.cjs.cache` for none, else the flags in the name
// (`cli.cjs.--max-semi-space-size=2_--optimize-for-size.cache`). Not a hash: node:crypto would
// cost every command more than the cache saves `--version`.
'use strict';

exports.codeCacheFile = (bundleFile, execArgv) => {
  const flags = execArgv.join(' ').replace(/[^A-Za-z0-9=.-]+/g, '_');
  return flags === '' ? `${bundleFile}.cache` : `${bundleFile}.${flags}.cache`;
};
