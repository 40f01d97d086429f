// What `import('./agent.js')` in src/main.ts becomes in the image bundle (scripts/bundle-image.mjs):
// `run` (the agent, its configuration and logger, the gRPC stack) from agent.cjs with its code cache.
import { loadCachedBundle } from './load-cached-bundle.mjs';

// This module is a chunk in chunks/; agent.cjs sits beside main.js.
export const { ConfigError, createJsonLogger, loadConfig, logProcessWarnings, startAgent } = loadCachedBundle(new URL('../agent.cjs', import.meta.url));
