import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from '@jest/globals';

// Finds a real SPIFFE client that test/interop/install.sh built or installed, and checks that
// what is on disk is the exact version pinned in its folder (go.mod, requirements.txt). A client
// that is missing or stale fails the suite in CI (CI=true) and skips it elsewhere, both with the
// same message saying to run install.sh.

export const INTEROP_DIR = fileURLToPath(new URL('./', import.meta.url));
const BIN_DIR = `${INTEROP_DIR}.bin/`;
const VENV_PYTHON = `${INTEROP_DIR}.venv/bin/python`;
const GO_SPIFFE = 'github.com/spiffe/go-spiffe/v2';
const INSTALL_HINT = 'run test/interop/install.sh (it builds .bin/ and .venv/ at the pinned versions)';

export type ClientName = 'go-spiffe' | 'py-spiffe' | 'spiffe-helper' | 'envoy-sds';

export interface InstalledClient {
  readonly name: ClientName;
  /** What to run: the binary, or the venv's python. */
  readonly command: string;
  /** The pinned version, confirmed on what is installed: `v2.9.0`, `0.3.2`. */
  readonly version: string;
  /** One line for the test output, e.g. `spiffe-helper v0.11.0 (with go-spiffe v2.6.0, built with go1.26.8 into .bin/spiffe-helper)`. */
  readonly banner: string;
}

type Lookup = { ok: true; client: InstalledClient } | { ok: false; reason: string };

/** Where a Go binary came from: its main module and dependency versions, from `go version -m`. */
function goModuleVersions(binary: string): { goVersion: string; modules: Map<string, string> } | string {
  const result = spawnSync('go', ['version', '-m', binary], { encoding: 'utf8' });
  if (result.error) return `cannot run "go version -m" (${result.error.message})`;
  if (result.status !== 0) return `"go version -m ${binary}" failed: ${result.stderr.trim()}`;
  const lines = result.stdout.split('\n');
  const goVersion = lines[0]?.split(':')[1]?.trim() ?? 'go (unknown)';
  const modules = new Map<string, string>();
  for (const line of lines) {
    const [kind, path, version] = line.trim().split(/\s+/);
    if ((kind === 'mod' || kind === 'dep') && path && version) modules.set(path, version);
  }
  return { goVersion, modules };
}

/** The version `module` is required at in a go.mod of ours. */
function pinnedGoVersion(goModFile: string, module: string): string {
  const text = readFileSync(goModFile, 'utf8');
  const match = new RegExp(`^\\s*(?:require\\s+)?${module.replace(/[./]/g, '\\$&')}\\s+(v\\S+)`, 'm').exec(text);
  if (!match?.[1]) throw new Error(`${goModFile} does not require ${module}`);
  return match[1];
}

function lookupGo(name: ClientName, binary: string, module: string, goMod: string): Lookup {
  const path = BIN_DIR + binary;
  const pinned = pinnedGoVersion(`${INTEROP_DIR}${goMod}`, module);
  if (!existsSync(path)) return { ok: false, reason: `${name}: test/interop/.bin/${binary} is missing` };
  const info = goModuleVersions(path);
  if (typeof info === 'string') return { ok: false, reason: `${name}: ${info}` };
  const built = info.modules.get(module);
  if (built !== pinned) return { ok: false, reason: `${name}: .bin/${binary} has ${module} ${built ?? 'missing'}, ${goMod} pins ${pinned}` };
  const goSpiffeVersion = info.modules.get(GO_SPIFFE);
  const goSpiffe = module === GO_SPIFFE || goSpiffeVersion === undefined ? '' : `with go-spiffe ${goSpiffeVersion}, `;
  return { ok: true, client: { name, command: path, version: pinned, banner: `${name} ${pinned} (${goSpiffe}built with ${info.goVersion} into .bin/${binary})` } };
}

function lookupPython(): Lookup {
  const requirements = readFileSync(`${INTEROP_DIR}py-spiffe/requirements.txt`, 'utf8');
  const pinned = /^spiffe==(\S+)/m.exec(requirements)?.[1];
  if (!pinned) throw new Error('py-spiffe/requirements.txt does not pin spiffe==<version>');
  if (!existsSync(VENV_PYTHON)) return { ok: false, reason: 'py-spiffe: test/interop/.venv is missing' };
  const script = "import importlib.metadata as m, platform; print(m.version('spiffe'), platform.python_version())";
  const result = spawnSync(VENV_PYTHON, ['-c', script], { encoding: 'utf8' });
  if (result.status !== 0) return { ok: false, reason: `py-spiffe: not importable from .venv (${(result.stderr || String(result.error)).trim()})` };
  const [installed, python] = result.stdout.trim().split(' ');
  if (installed !== pinned) return { ok: false, reason: `py-spiffe: .venv has spiffe ${installed}, requirements.txt pins ${pinned}` };
  return { ok: true, client: { name: 'py-spiffe', command: VENV_PYTHON, version: pinned, banner: `py-spiffe ${pinned} (Python ${python ?? '?'}; spiffe==${pinned} in .venv)` } };
}

export function lookupClient(name: ClientName): Lookup {
  switch (name) {
    case 'go-spiffe':
      return lookupGo(name, 'interop-go', GO_SPIFFE, 'go-spiffe/go.mod');
    case 'spiffe-helper':
      return lookupGo(name, 'spiffe-helper', 'github.com/spiffe/spiffe-helper', 'spiffe-helper/go.mod');
    case 'envoy-sds':
      return lookupGo(name, 'interop-envoy-sds', 'github.com/envoyproxy/go-control-plane/envoy', 'envoy-sds/go.mod');
    case 'py-spiffe':
      return lookupPython();
  }
}

/** CI=true (GitHub Actions, GitLab, most runners) or any other non-empty value but false/0. */
function inCi(): boolean {
  const ci = (process.env.CI ?? '').trim().toLowerCase();
  return ci !== '' && ci !== 'false' && ci !== '0';
}

/**
 * `describe(title, ...)` for one client: runs `body` when the client is installed at its pinned
 * version. Otherwise, in CI one failing test says what is wrong and to run install.sh; outside CI
 * the suite is skipped with that message.
 */
export function describeClient(name: ClientName, title: string, body: (client: InstalledClient) => void): void {
  const found = lookupClient(name);
  if (found.ok) {
    describe(title, () => body(found.client));
    return;
  }
  const message = `${found.reason}; ${INSTALL_HINT}`;
  if (inCi()) {
    describe(title, () => {
      it('has the client installed at its pinned version', () => {
        throw new Error(message);
      });
    });
    return;
  }
  console.warn(`skipping the ${name} interop suite: ${message}`);
  describe(title, () => {
    it.skip(`is skipped: ${message}`, () => undefined);
  });
}
