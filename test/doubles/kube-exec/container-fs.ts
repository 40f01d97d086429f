import { mkdirSync } from 'node:fs';
import { join, posix } from 'node:path';

// How the exec double makes a real host `sh` see a pod container's filesystem, as far as the
// Conjur injection needs it. A container's `/etc/conjur/ssl` is whatever volume the pod spec
// mounts there; for an emptyDir that volume lives on the node at
// `<kubelet pods dir>/<pod uid>/volumes/kubernetes.io~empty-dir/<volume>/`, which is exactly
// where the agent reads the injected certificate. We do not chroot (no privileges in tests):
// instead the absolute path `/etc/conjur/ssl` is rewritten to that host directory in the
// command's stdin and arguments, and TMPDIR points at a per-container temp directory.
// Limitations, on purpose: only emptyDir volumes are mapped (a configMap/secret/hostPath mount or
// no mount at all maps to a directory that does not exist, so the script fails with dash's
// "Directory nonexistent" just as in a pod without the mount); readOnly is not enforced.

export const SSL_DIR = '/etc/conjur/ssl';

export interface ContainerView {
  /** Host directory standing for the container's /etc/conjur/ssl; it may not exist. */
  readonly sslDir: string;
  /** Whether /etc/conjur/ssl is backed by an emptyDir volume of the pod. */
  readonly mounted: boolean;
  /** The container's TMPDIR on the host (created). */
  readonly tmpDir: string;
}

interface MountJson {
  name?: unknown;
  mountPath?: unknown;
  subPath?: unknown;
}

/** Resolves (and, like the kubelet at pod start, creates) the emptyDir behind /etc/conjur/ssl. */
export function containerView(pod: Record<string, unknown>, container: string, dirs: { kubeletPodsDir: string; tmpRoot: string }): ContainerView {
  const uid = podUidOf(pod);
  const containerRoot = join(dirs.tmpRoot, uid, container);
  const tmpDir = join(containerRoot, 'tmp');
  mkdirSync(tmpDir, { recursive: true });
  const mount = sslMountOf(pod, container);
  const volume = mount ? volumesOf(pod).find((v) => v['name'] === mount.name) : undefined;
  if (!mount || !volume || typeof volume['emptyDir'] !== 'object') {
    return { sslDir: join(containerRoot, 'rootfs', SSL_DIR), mounted: false, tmpDir };
  }
  const volumeDir = join(dirs.kubeletPodsDir, uid, 'volumes', 'kubernetes.io~empty-dir', mount.name, mount.subPath);
  mkdirSync(volumeDir, { recursive: true });
  return { sslDir: join(volumeDir, SSL_DIR.slice(mount.mountPath.length)), mounted: true, tmpDir };
}

/** The mount whose path is /etc/conjur/ssl or its nearest ancestor (longest prefix wins). */
function sslMountOf(pod: Record<string, unknown>, container: string): { name: string; mountPath: string; subPath: string } | undefined {
  const spec = containersOf(pod).find((c) => c['name'] === container);
  const mounts = Array.isArray(spec?.['volumeMounts']) ? (spec['volumeMounts'] as MountJson[]) : [];
  const candidates = mounts
    .filter((m) => typeof m.name === 'string' && typeof m.mountPath === 'string')
    .map((m) => ({ name: m.name as string, mountPath: posix.normalize(m.mountPath as string).replace(/(.)\/$/, '$1'), subPath: typeof m.subPath === 'string' ? m.subPath : '' }))
    .filter((m) => m.mountPath === SSL_DIR || SSL_DIR.startsWith(`${m.mountPath === '/' ? '' : m.mountPath}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length);
  return candidates[0];
}

export function containersOf(pod: Record<string, unknown>): Record<string, unknown>[] {
  const spec = (pod['spec'] ?? {}) as Record<string, unknown>;
  const list = (key: string) => (Array.isArray(spec[key]) ? (spec[key] as Record<string, unknown>[]) : []);
  return [...list('containers'), ...list('initContainers')];
}

function volumesOf(pod: Record<string, unknown>): Record<string, unknown>[] {
  const spec = (pod['spec'] ?? {}) as Record<string, unknown>;
  return Array.isArray(spec['volumes']) ? (spec['volumes'] as Record<string, unknown>[]) : [];
}

export function podUidOf(pod: Record<string, unknown>): string {
  const uid = (pod['metadata'] as Record<string, unknown> | undefined)?.['uid'];
  return typeof uid === 'string' ? uid : 'no-uid';
}

/**
 * Streaming replacement of one path in bytes (stdin may split it across frames): the tail that
 * could still become the path is held back until more bytes or the end arrive. Correct because
 * `/etc/conjur/ssl` has no border (no proper prefix equal to a suffix), so a whole occurrence
 * can never straddle the held-back tail. latin1 keeps every byte as one char, so UTF-8 passes
 * through untouched.
 */
export class PathRewriter {
  private carry = '';

  constructor(
    private readonly from: string,
    private readonly to: string,
  ) {}

  push(chunk: Buffer): Buffer {
    const text = this.carry + chunk.toString('latin1');
    let cut = text.length;
    for (let k = Math.min(this.from.length - 1, text.length); k > 0; k--) {
      if (this.from.startsWith(text.slice(text.length - k))) {
        cut = text.length - k;
        break;
      }
    }
    this.carry = text.slice(cut);
    return Buffer.from(text.slice(0, cut).split(this.from).join(this.to), 'latin1');
  }

  end(): Buffer {
    const rest = Buffer.from(this.carry, 'latin1');
    this.carry = '';
    return rest;
  }
}
