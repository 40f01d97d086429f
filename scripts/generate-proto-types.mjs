// Writes TypeScript types for proto/ into src/gen/ with proto-loader-gen-types.
// `--check` regenerates into a temporary folder and fails when src/gen/ differs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const PROTOS = [
  'spiffe/workload/workload.proto',
  'conjur/spiffe/v1/token.proto',
  'envoy/service/secret/v3/sds.proto',
];
const check = process.argv.includes('--check');
const outDir = check ? mkdtempSync(join(tmpdir(), 'gen-')) : 'src/gen';

if (!check) rmSync(outDir, { recursive: true, force: true });
execFileSync(
  'node_modules/.bin/proto-loader-gen-types',
  ['--longs=String', '--enums=String', '--defaults', '--oneofs', '--keepCase',
   '--grpcLib=@grpc/grpc-js', '--includeDirs=proto', `--outDir=${outDir}`, '--importFileExtension=.js',
   '--inputTemplate=%s', '--outputTemplate=%s__Output', ...PROTOS],
  { stdio: 'inherit' },
);

if (check) {
  const files = (dir) => readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
  const stale = files(outDir).filter((f) => {
    const committed = join('src/gen', relative(outDir, f));
    try { return readFileSync(committed, 'utf8') !== readFileSync(f, 'utf8'); } catch { return true; }
  });
  rmSync(outDir, { recursive: true, force: true });
  if (stale.length > 0) {
    console.error(`src/gen is stale (${stale.length} files differ): run npm run generate`);
    process.exit(1);
  }
}
