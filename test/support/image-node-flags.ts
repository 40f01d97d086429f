import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The V8/Node flags the image starts the agent with: what comes between `node` and the script
 * in daemonset/Dockerfile's ENTRYPOINT. Tests and benchmarks that run the agent as its own
 * process use them too, so they measure the agent as it is shipped.
 */
export function imageNodeFlags(): string[] {
  const dockerfile = readFileSync(dockerfilePath(), 'utf8');
  const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
  const args = entrypoint === undefined ? [] : (JSON.parse(entrypoint) as string[]);
  const node = args.indexOf('node');
  return node < 0 ? [] : args.slice(node + 1).filter((arg) => arg.startsWith('--'));
}

/**
 * The environment the image's runtime stage sets for the process (`ENV NAME=value` lines after
 * the last FROM), e.g. MALLOC_ARENA_MAX, which shapes RSS as the flags do. NODE_ENV is left out:
 * it changes no code path of the agent, and a test's environment is its own.
 */
export function imageEnvironment(): Record<string, string> {
  const dockerfile = readFileSync(dockerfilePath(), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const [, name, value] of runtime.matchAll(/^ENV ([A-Za-z_][A-Za-z0-9_]*)=(\S+)$/gm)) {
    if (name !== 'NODE_ENV') env[name!] = value!;
  }
  return env;
}

/** From test/support/ or dist/test/support/: walk up to the checkout's daemonset/. */
function dockerfilePath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < 5 && !existsSync(join(dir, 'daemonset', 'Dockerfile')); level++) dir = dirname(dir);
  return join(dir, 'daemonset', 'Dockerfile');
}
