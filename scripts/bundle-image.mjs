// Bundles the command line and the agent for the container image (daemonset/Dockerfile) into
// dist/image/: one small entry (main.js) and chunks loaded per command, as main.ts's dynamic
// imports split them. Why: Node's ES module loader pays per file, and @kubernetes/client-node
// alone is about 3,000 files; bundled, `run` starts in a fraction of the time and memory
// (README "Performance", `npm run bench -- --only=startup`). The gRPC stack stays external
// (loaded from node_modules): grpc-health-check and @grpc/reflection read their .proto files
// next to their own code, which a bundle would move. Tests run the sources; the bench and
// test/integration/image-bundle.test.ts run this output.
// `node scripts/bundle-image.mjs [OUTDIR [ENTRY]]`: the bench bundles its agent process the same
// way (npm run bench), so the agent it measures is built as the image's is.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = process.argv[2] ?? 'dist/image';
const entry = process.argv[3] ?? 'src/main.ts';
rmSync(outdir, { recursive: true, force: true }); // chunk names change with content: no stale ones

await build({
  entryPoints: [entry],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  external: ['@grpc/grpc-js', '@grpc/proto-loader', '@grpc/reflection', 'grpc-health-check', 'protobufjs', 'protobufjs/*'],
  // CommonJS dependencies bundled into ES modules still call require() for Node's built-ins.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  legalComments: 'none',
  minify: true,
  keepNames: true,
  logLevel: 'warning',
});
