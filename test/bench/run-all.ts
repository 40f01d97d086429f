import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchAttestation } from './attestation/attestation-bench.js';
import { FULL_PLAN, QUICK_PLAN } from './bench-plan.js';
import type { BenchPlan } from './bench-plan.js';
import { benchCachedPath } from './cached-path/cached-path-bench.js';
import { benchConjurFailures } from './conjur-failures/conjur-failures-bench.js';
import { benchNewPod } from './new-pod/new-pod-bench.js';
import { benchRealApi } from './real-api/real-api-bench.js';
import { benchSteadyState } from './new-pod/steady-state.js';
import { BenchNode } from './node/bench-node.js';
import { formatTable, machineFacts } from './report.js';
import type { BenchResults, Figure } from './report.js';
import { benchScale } from './scale/scale-bench.js';
import { benchSds } from './sds/sds-bench.js';
import { benchStartup } from './startup/startup-bench.js';
import { benchUnderAttack } from './attack/under-attack-bench.js';
import { killAllChildren } from './support/children.js';

// `npm run bench`: every benchmark in one run, one table (each figure next to its floor or
// target), and bench-results.json at the repository root. `--quick` runs tiny sample counts
// (a smoke run), `--keep` keeps the agents' logs, `--profile` writes CPU profiles of the agent
// processes, `--only a,b` picks benches (cached, attestation, new-pod, steady-state, scale, sds,
// startup, real-api, conjur-failures, attack). See test/bench/README.md.

export const BENCHES = ['cached', 'attestation', 'new-pod', 'steady-state', 'scale', 'sds', 'startup', 'real-api', 'conjur-failures', 'attack'] as const;
export type BenchName = (typeof BENCHES)[number];

export interface RunOptions {
  readonly quick?: boolean;
  readonly only?: readonly BenchName[];
  /** Directory for the agent processes' .cpuprofile files (node --cpu-prof). */
  readonly profileDir?: string;
  /** Keep the temporary directory (agent logs) instead of removing it. */
  readonly keep?: boolean;
  /** Progress lines go here (stderr under npm run bench). */
  readonly progress?: (line: string) => void;
}

export async function runAll(options: RunOptions = {}): Promise<BenchResults> {
  const plan: BenchPlan = options.quick ? QUICK_PLAN : FULL_PLAN;
  const wanted = new Set<BenchName>(options.only ?? BENCHES);
  const progress = options.progress ?? (() => {});
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  const figures: Figure[] = [];
  const run = async (name: BenchName, bench: () => Promise<Figure[]>) => {
    if (!wanted.has(name)) return;
    progress(`bench: ${name} ...`);
    const t0 = Date.now();
    figures.push(...(await bench()));
    progress(`bench: ${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  };
  let node: BenchNode | undefined;
  try {
    await run('cached', () => benchCachedPath(plan, dir, options.profileDir));
    await run('steady-state', () => benchSteadyState(plan));
    // Before the 250-pod node starts: the start-up figures want a quiet machine and a node of their own.
    await run('startup', () => benchStartup(plan, dir, progress, options.profileDir));
    await run('conjur-failures', () => benchConjurFailures(plan));
    if (['attestation', 'new-pod', 'scale', 'sds', 'attack'].some((b) => wanted.has(b as BenchName))) {
      progress(`bench: starting a simulated node with ${plan.scale.pods} pods`);
      node = await BenchNode.start(plan.scale.pods);
    }
    const theNode = () => node!;
    await run('attestation', () => benchAttestation(plan, theNode()));
    await run('new-pod', () => benchNewPod(plan, theNode(), dir, options.profileDir));
    await run('scale', () => benchScale(plan, theNode(), dir, progress, options.profileDir));
    await run('sds', () => benchSds(plan, theNode(), dir, progress, options.profileDir));
    await run('attack', () => benchUnderAttack(plan, theNode(), dir, options.profileDir));
    await run('real-api', () => benchRealApi(plan, progress));
  } catch (error) {
    const conjurLog = node?.node.conjur.serverLog.slice(-5) ?? [];
    if (conjurLog.length > 0) progress(`bench: last Conjur double log lines:\n  ${conjurLog.join('\n  ')}`);
    throw error;
  } finally {
    killAllChildren();
    await node?.close();
    if (options.keep) progress(`bench: kept ${dir} (agent logs)`);
    else rmSync(dir, { recursive: true, force: true });
  }
  return { mode: plan.mode, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, machine: machineFacts(), figures };
}

/** The repository root (where package.json is), from src or from dist. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the bench');
    dir = parent;
  }
  return dir;
}

function parseArgs(argv: readonly string[]): RunOptions {
  const options: { quick?: boolean; keep?: boolean; only?: BenchName[]; profileDir?: string } = {};
  for (const arg of argv) {
    if (arg === '--quick') options.quick = true;
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--profile') options.profileDir = join(repoRoot(), 'dist', 'bench-profiles'); // dist/ is git-ignored
    else if (arg.startsWith('--profile=')) options.profileDir = arg.slice('--profile='.length);
    else if (arg.startsWith('--only=')) options.only = arg.slice('--only='.length).split(',').map(toBenchName);
    else throw new Error(`unknown option ${arg} (use --quick, --keep, --profile[=DIR], --only=${BENCHES.join(',')})`);
  }
  return options;
}

function toBenchName(name: string): BenchName {
  if ((BENCHES as readonly string[]).includes(name)) return name as BenchName;
  throw new Error(`unknown bench ${name} (one of ${BENCHES.join(', ')})`);
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const results = await runAll({ ...options, progress: (line) => process.stderr.write(`${line}\n`) });
  const file = join(repoRoot(), 'bench-results.json');
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  const profiles = options.profileDir ? `\nCPU profiles of the agent processes: ${options.profileDir}` : '';
  process.stdout.write(`${formatTable(results)}\n\nwrote ${file}${profiles}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      killAllChildren();
      process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
