import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ClientProcess } from '../interop/client-process.js';

// The upstream SPIFFE CSI driver as a real process on the simulated node, and kubelet-csi (our
// CSI client, test/csi/go/kubelet-csi) to call it the way the kubelet does. Both come from
// test/csi/build.sh, which caches them outside the clone.

export const CSI_DIR = fileURLToPath(new URL('./', import.meta.url));
export const PINNED_MODULE = 'github.com/spiffe/spiffe-csi';
/** The driver name pods ask for (`csi: {driver: csi.spiffe.io}`) and the CSIDriver object's name. */
export const DRIVER_NAME = 'csi.spiffe.io';

export interface CsiBinaries {
  readonly driver: string;
  readonly client: string;
  /** `v0.2.6`, read from the built driver (`go version -m`), checked against go.mod. */
  readonly version: string;
}

export type BinariesLookup = { ok: true; binaries: CsiBinaries } | { ok: false; reason: string };

/** The binaries build.sh made for the current go.mod/go.sum, at the pinned driver version. */
export function lookupBinaries(): BinariesLookup {
  const print = spawnSync('bash', [`${CSI_DIR}build.sh`, '--print'], { encoding: 'utf8' });
  const dir = print.stdout.trim();
  if (print.status !== 0 || dir === '') return { ok: false, reason: `test/csi/build.sh --print failed: ${print.stderr.trim()}` };
  const driver = `${dir}/spiffe-csi-driver`;
  const client = `${dir}/kubelet-csi`;
  if (!existsSync(driver) || !existsSync(client)) return { ok: false, reason: `the driver is not built for this go.mod (${dir})` };
  const pinned = /^\s*github\.com\/spiffe\/spiffe-csi\s+(v\S+)/m.exec(readFileSync(`${CSI_DIR}go/go.mod`, 'utf8'))?.[1];
  const info = spawnSync('go', ['version', '-m', driver], { encoding: 'utf8' });
  const built = info.stdout.split('\n').map((l) => l.trim().split(/\s+/)).find((f) => (f[0] === 'mod' || f[0] === 'dep') && f[1] === PINNED_MODULE);
  const version = built?.[2];
  if (version === undefined || version !== pinned) return { ok: false, reason: `${driver} has ${PINNED_MODULE} ${version ?? '?'}, go.mod pins ${pinned ?? '?'}` };
  return { ok: true, binaries: { driver, client, version } };
}

/**
 * The volume handle the kubelet gives an inline ephemeral CSI volume: "csi-" and the SHA-256 of the
 * pod UID and the volume's name (kubelet's makeVolumeHandle).
 */
export function inlineVolumeHandle(podUid: string, volumeName: string): string {
  return `csi-${createHash('sha256').update(podUid + volumeName).digest('hex')}`;
}

/** Where the kubelet asks a CSI driver to publish volume `volumeName` of pod `podUid`. */
export function csiTargetPath(podsDir: string, podUid: string, volumeName: string): string {
  return `${podsDir}/${podUid}/volumes/kubernetes.io~csi/${volumeName}/mount`;
}

/** The mount points of this process's mount namespace (/proc/self/mountinfo, octal escapes undone). */
export function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((field): field is string => field !== undefined)
    .map((field) => field.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8))));
}

export type CsiAnswer = { ok: true; value: Record<string, unknown> } | { ok: false; code: string; message: string };

export class CsiDriver {
  private constructor(
    readonly process: ClientProcess,
    private readonly binaries: CsiBinaries,
    readonly csiSocket: string,
  ) {}

  /** Starts the driver serving `workloadApiSocketDir` (the agent's socket directory) on `csiSocket`. */
  static async start(binaries: CsiBinaries, options: { workloadApiSocketDir: string; csiSocket: string; nodeName: string }): Promise<CsiDriver> {
    const child = spawn(binaries.driver, ['-workload-api-socket-dir', options.workloadApiSocketDir, '-csi-socket-path', options.csiSocket], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', MY_NODE_NAME: options.nodeName },
    });
    const driver = new CsiDriver(new ClientProcess(child, { label: 'spiffe-csi-driver' }), binaries, options.csiSocket);
    await driver.waitUntilServing(10_000);
    return driver;
  }

  /** One CSI call through kubelet-csi: its JSON answer, or the gRPC status the driver gave. */
  call(command: 'info' | 'publish' | 'unpublish' | 'stats', args: readonly string[] = []): CsiAnswer {
    const run = spawnSync(this.binaries.client, ['-csi-socket', this.csiSocket, command, ...args], { encoding: 'utf8', timeout: 15_000 });
    const line = run.stdout.trim().split('\n').pop() ?? '';
    if (run.status === 0) return { ok: true, value: JSON.parse(line) as Record<string, unknown> };
    if (run.status === 1) {
      const status = JSON.parse(line) as { code: string; message: string };
      return { ok: false, code: status.code, message: status.message };
    }
    throw new Error(`kubelet-csi ${command} failed (${run.status ?? run.signal}): ${run.stderr.trim()}\n${this.process.describe()}`);
  }

  async stop(): Promise<void> {
    await this.process.stop('SIGTERM', 2000);
  }

  private async waitUntilServing(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!existsSync(this.csiSocket)) {
      if (!this.process.running || Date.now() > deadline) throw new Error(`the driver did not create ${this.csiSocket}\n${this.process.describe()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Lazily unmounts `path` if it is still a mount point (teardown after a failed test). */
export function unmountIfMounted(path: string): void {
  if (mountPoints().includes(path)) spawnSync('umount', ['-l', path]);
}
