// The project's test command: type-check everything, run jest, then print the plain
// "N passed, M failed" line CI reads. Extra arguments are passed to jest (paths, -t ...).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const tsc = spawnSync('node_modules/.bin/tsc', ['-p', 'tsconfig.json', '--noEmit'], { stdio: 'inherit' });
const typecheckFailed = tsc.status !== 0;
if (typecheckFailed) console.error('type-check failed (tsc --noEmit)');

const resultsFile = 'test-results.json';
rmSync(resultsFile, { force: true });
const jest = spawnSync(
  'node_modules/.bin/jest',
  ['--json', `--outputFile=${resultsFile}`, ...process.argv.slice(2)],
  { stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules --no-warnings` } },
);

let passed = 0;
let failed = typecheckFailed ? 1 : 0;
let skipped = 0;
if (existsSync(resultsFile)) {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  passed += results.numPassedTests;
  failed += results.numFailedTests;
  skipped += results.numPendingTests;
  // A suite that fails to load has no failed tests but must still fail the run.
  failed += results.testResults.filter((s) => s.status === 'failed' && s.assertionResults.every((a) => a.status !== 'failed')).length;
} else {
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 && jest.status === 0 ? 0 : 1);
