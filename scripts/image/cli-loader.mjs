// What `import './cli/index.js'` in src/main.ts becomes in the image bundle (scripts/bundle-image.mjs):
// the command line (commander, the command tree, and the workload-side actions: api, healthcheck,
// helper, check) from cli.cjs with its code cache. `api fetch`, `healthcheck` and `--version` run
// in exec probes and workload pods, on every node.
import { loadCachedBundle } from './load-cached-bundle.mjs';

// This module is bundled into main.js; cli.cjs sits beside it.
export const { CliError, processCliContext, runCli } = loadCachedBundle(new URL('./cli.cjs', import.meta.url));
