// Bundles the command line and the agent for the container image (daemonset/Dockerfile) into
// dist/image/: one small entry (main.js) and chunks loaded per command, as main.ts's dynamic
// imports split them. Why: Node's ES module loader pays per file, and @kubernetes/client-node
// alone is about 3,000 files; bundled, `run` starts in a fraction of the time and memory
// (README "Performance", `npm run bench -- --only=startup`). In the command chunks the gRPC stack
// stays external (loaded from node_modules): grpc-health-check and @grpc/reflection read their
// .proto files next to their own code, which a bundle would move. `run` is different: it loads
// agent.cjs, one CommonJS file with the gRPC stack inside, through a V8 code cache written here
// (image/agent-loader.mjs). Tests run the sources; the bench and
// test/integration/image-bundle.test.ts run this output.
// `node scripts/bundle-image.mjs [OUTDIR [ENTRY]]`: the bench bundles its agent process the same
// way (npm run bench), so the agent it measures is built as the image's is.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const outdir = process.argv[2] ?? 'dist/image';
const entry = process.argv[3] ?? 'src/main.ts';
rmSync(outdir, { recursive: true, force: true }); // chunk names change with content: no stale ones

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: ['@grpc/grpc-js', '@grpc/proto-loader', '@grpc/reflection', 'grpc-health-check', 'protobufjs', 'protobufjs/*'],
  alias: { 'whatwg-url': fileURLToPath(new URL('image/whatwg-url-unused.mjs', import.meta.url)) },
  legalComments: 'none',
  minify: true,
  // Names stay minified: keeping them (a `name` property set on every function and class when the
  // bundle loads) cost 0.5 MB of the agent's RSS at rest and about 5 ms of its start (issue 14).
  // Nothing here reads a class's name: our errors set `name` themselves, and logs carry messages.
  keepNames: false,
  logLevel: 'warning',
};
const MAIN = resolve('src/main.ts');
const LOADER = fileURLToPath(new URL('image/agent-loader.mjs', import.meta.url));
// `run` (src/main.ts importing ./agent.js) gets the agent from agent.cjs with a V8 code cache
// (image/agent-loader.mjs says why); every other importer of the agent keeps the ES module.
const cachedAgent = {
  name: 'cached-agent',
  setup(b) {
    b.onResolve({ filter: /^\.\/agent\.js$/ }, (args) => (args.importer === MAIN ? { path: LOADER } : undefined));
  },
};
// commander requires node:child_process when it loads, for subcommands that are executables of
// their own, which this command line has none of; loading it (with dgram and its friends) is
// about 1 ms of every command. In cli.cjs commander gets it on first use instead.
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) =>
      args.importer.includes('/node_modules/commander/') ? { path: 'child_process', namespace: 'lazy-child-process' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_, key) => require('node:child_process')[key] });",
      loader: 'js',
    }));
  },
};
// Our own modules only define things when they load (style.md), so an index.ts re-exporting a
// module need not load it for a command that uses none of it: without this, every command
// would load the CLI's atomic file writer (and node:crypto) because cli/index.ts offers it.
const SRC = `${resolve('src')}/`;
const ownModulesWithoutSideEffects = {
  name: 'own-modules-without-side-effects',
  setup(b) {
    b.onResolve({ filter: /^\./ }, async (args) => {
      if (args.pluginData === 'resolving' || !args.importer.startsWith(SRC)) return undefined;
      const result = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'resolving' });
      return result.errors.length === 0 && result.path.startsWith(SRC) ? { ...result, sideEffects: false } : result;
    });
  },
};
// @kubernetes/client-node's modules likewise only define classes and functions when they load,
// but its package.json does not say so, so the bundle kept everything its index re-exports: the
// generated API classes, ObjectSerializer and its 700 model classes, all evaluated at start and
// held for the agent's life. Marked free of side effects, only what the agent uses (KubeConfig,
// Watch, and what they reach) is bundled: with src/kube sending its two GETs itself, about 3.5
// MB less heap at rest (README "Performance").
const CLIENT_NODE = `${resolve('node_modules/@kubernetes/client-node')}/`;
const clientNodeWithoutSideEffects = {
  name: 'client-node-without-side-effects',
  setup(b) {
    b.onResolve({ filter: /^(\.|@kubernetes\/client-node$)/ }, async (args) => {
      if (args.pluginData === 'resolving' || !(args.importer.startsWith(CLIENT_NODE) || args.importer.startsWith(SRC))) return undefined;
      const result = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'resolving' });
      return result.errors.length === 0 && result.path.startsWith(CLIENT_NODE) ? { ...result, sideEffects: false } : result;
    });
  },
};
// The command line (src/main.ts importing ./cli/index.js) likewise comes from cli.cjs with a code
// cache (image/cli-loader.mjs says why): main.js is then the process entry and two small loaders.
const CLI_LOADER = fileURLToPath(new URL('image/cli-loader.mjs', import.meta.url));
const cachedCli = {
  name: 'cached-cli',
  setup(b) {
    b.onResolve({ filter: /^\.\/cli\/index\.js$/ }, (args) => (args.importer === MAIN ? { path: CLI_LOADER } : undefined));
  },
};

await build({
  ...common,
  entryPoints: [entry],
  outdir,
  splitting: true,
  format: 'esm',
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies bundled into ES modules still call require() for Node's built-ins.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  plugins: resolve(entry) === MAIN ? [cachedAgent, cachedCli, clientNodeWithoutSideEffects] : [clientNodeWithoutSideEffects],
});

// In agent.cjs grpc-js is bundled too (under the code cache, and no longer 119 files to find and
// read at start: about 40 ms of CPU). It reads .proto files next to its own code (channelz), so
// its `__dirname` names the installed package's directory, as it would unbundled. What the agent
// loads only on a first call stays outside, loaded from node_modules then: @grpc/reflection
// (reflection.ts; it brings its own copy of grpc-js, about 25 ms once), grpc-health-check
// (workload-health.ts) and proto-loader (workload-api/proto.ts, for reflection and SDS).
const installedDirname = {
  name: 'installed-dirname',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]@grpc[\\/]grpc-js[\\/].*\.js$/ }, async (args) => {
      const contents = await readFile(args.path, 'utf8');
      if (!contents.includes('__dirname')) return undefined;
      const [, name, inside] = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/](.*)[\\/][^\\/]+$/.exec(args.path);
      const where = `__installedDir(${JSON.stringify(name.replaceAll('\\', '/'))}, ${JSON.stringify(inside.replaceAll('\\', '/'))})`;
      return { contents: contents.replaceAll('__dirname', where), loader: 'js' };
    });
  },
};
// long (protobufjs's 64-bit integers) compiles a small WebAssembly module when it loads, for
// faster multiplication and division. That compile pages in V8's WebAssembly engine and
// compiler: about 1 MB of the agent's RSS for its life (issue 14), for the one int64 it serves (a
// token's expires_at). With `WebAssembly` undefined in its module scope, long takes its plain
// JavaScript path, the one it has for platforms without WebAssembly, with the same results.
const longWithoutWebAssembly = {
  name: 'long-without-webassembly',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]long[\\/].*\.js$/ }, async (args) => ({
      contents: `var WebAssembly = undefined;\n${await readFile(args.path, 'utf8')}`,
      loader: 'js',
    }));
  },
};
const INSTALLED_DIR = `function __installedDir(name, inside) {
  const { existsSync } = require('node:fs');
  const { dirname, join } = require('node:path');
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules', name))) return join(dir, 'node_modules', name, inside);
    if (dirname(dir) === dir) throw new Error(name + ' is not installed above ' + __dirname);
  }
}`;

/** The flags between `node` and the script in the image's ENTRYPOINT (as test/support/image-node-flags.ts reads them). */
function imageNodeFlags() {
  const dockerfile = fileURLToPath(new URL('../daemonset/Dockerfile', import.meta.url));
  if (!existsSync(dockerfile)) return [];
  const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(dockerfile, 'utf8'))?.[1];
  const args = entrypoint === undefined ? [] : JSON.parse(entrypoint);
  const node = args.indexOf('node');
  return node < 0 ? [] : args.slice(node + 1).filter((arg) => arg.startsWith('--'));
}

if (resolve(entry) === MAIN) {
  await build({
    ...common,
    entryPoints: ['src/agent.ts'],
    outfile: join(outdir, 'agent.cjs'),
    format: 'cjs',
    external: ['@grpc/reflection'],
    plugins: [installedDirname, longWithoutWebAssembly, clientNodeWithoutSideEffects],
    // The sources find proto/, the addon and @grpc/reflection from their own URL.
    define: { 'import.meta.url': '__agentModuleUrl' },
    banner: { js: `const __agentModuleUrl = require('node:url').pathToFileURL(__filename).href;\n${INSTALLED_DIR}` },
  });
  writeCodeCaches(outdir, 'agent');
  await build({
    ...common,
    // Only what main.ts takes from the command line: what the index also offers (the atomic file
    // writer with node:crypto, for one) is then loaded by the commands that use it, when they run.
    stdin: { contents: "export { CliError, processCliContext, runCli } from './src/cli/index.ts';", resolveDir: resolve('.'), loader: 'ts', sourcefile: 'cli-entry.ts' },
    outfile: join(outdir, 'cli.cjs'),
    format: 'cjs',
    // The client library finds grpc-js (for `api watch` and `helper`) from its own URL.
    define: { 'import.meta.url': '__cliModuleUrl' },
    banner: { js: "const __cliModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [lazyChildProcessForCommander, ownModulesWithoutSideEffects],
  });
  writeCodeCaches(outdir, 'cli');
}

// One cache for Node without flags (exec probes, `kubectl exec`, the npm package's tests), one for
// the ENTRYPOINT's flags (the image's agent, and the image run with a command as its arguments).
function writeCodeCaches(outdir, bundle) {
  const writer = fileURLToPath(new URL('image/write-code-cache.cjs', import.meta.url));
  for (const flags of [[], imageNodeFlags()]) execFileSync(process.execPath, [...flags, writer, outdir, bundle], { stdio: 'inherit' });
}
