import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Where the real control plane's programs come from: test/real-kube/build.sh compiles etcd,
// kube-apiserver and kubectl from the pinned Go module once per machine and caches them outside
// the clone (keyed by go.mod, go.sum and the script), so this finds them in milliseconds after
// the first build. Go is the only requirement.

/** The checkout's root (where package.json is), from test/ or from its compiled copy in dist/test/. */
export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
export const BUILD_SCRIPT = join(REPO_ROOT, 'test', 'real-kube', 'build.sh');

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'test', 'real-kube', 'build.sh'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no checkout with test/real-kube/build.sh above ${from}`);
  }
}
export const INSTALL_HINT = 'install Go (apt-get install golang-go), then test/real-kube/build.sh builds etcd, kube-apiserver and kubectl (about 5 minutes the first time)';

export interface RealKubeBinaries {
  readonly dir: string;
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kubectl: string;
}

export type BinariesLookup = { kind: 'found'; binaries: RealKubeBinaries } | { kind: 'buildable'; dir: string } | { kind: 'no-go'; reason: string };

function binariesIn(dir: string): RealKubeBinaries {
  return { dir, etcd: join(dir, 'etcd'), kubeApiserver: join(dir, 'kube-apiserver'), kubectl: join(dir, 'kubectl') };
}

function allPresent(b: RealKubeBinaries): boolean {
  return [b.etcd, b.kubeApiserver, b.kubectl].every((p) => existsSync(p));
}

export function hasGo(): boolean {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
}

/** The cached binaries, or whether they can be built here. Synchronous: suites decide at load time. */
export function lookupRealKubeBinaries(): BinariesLookup {
  const printed = spawnSync('bash', [BUILD_SCRIPT, '--print'], { encoding: 'utf8' });
  const dir = printed.status === 0 ? printed.stdout.trim().split('\n').pop() : undefined;
  if (dir) {
    const binaries = binariesIn(dir);
    if (allPresent(binaries)) return { kind: 'found', binaries };
  }
  if (!hasGo()) return { kind: 'no-go', reason: 'Go is not installed' };
  return { kind: 'buildable', dir: dir ?? '' };
}

/** Finds the binaries, building them first when needed (minutes, once per machine). */
export async function findOrBuildRealKubeBinaries(onOutput: (line: string) => void = () => undefined): Promise<RealKubeBinaries> {
  const found = lookupRealKubeBinaries();
  if (found.kind === 'found') return found.binaries;
  if (found.kind === 'no-go') throw new Error(`cannot build the real control plane: ${found.reason}; ${INSTALL_HINT}`);
  const dir = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [BUILD_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
    let last = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (last += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => text.split('\n').filter(Boolean).forEach(onOutput));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(last.trim().split('\n').pop() ?? '') : reject(new Error(`${BUILD_SCRIPT} exited with ${code}`))));
  });
  const binaries = binariesIn(dir);
  if (!allPresent(binaries)) throw new Error(`${BUILD_SCRIPT} finished but ${dir} lacks etcd, kube-apiserver or kubectl`);
  return binaries;
}
