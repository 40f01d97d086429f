import { join } from 'node:path';
import { ConjurError } from './conjur-error.js';

/** The part of a pod's facts that says where its /etc/conjur/ssl lives on this node. */
export interface PodVolumeLayout {
  readonly podUid: string;
  readonly mounts: readonly { readonly containerName: string; readonly volumeName: string; readonly mountPath: string }[];
  readonly volumes: readonly { readonly name: string; readonly kind: 'emptyDir' | 'other' }[];
}

/** Where Conjur's exec writes the certificate inside the target container (fixed server-side). */
export const CONJUR_SSL_DIR = '/etc/conjur/ssl';
export const CLIENT_CERT_FILE = 'client.pem';
const DEFAULT_TARGET_CONTAINER = 'authenticator';

// Kubernetes names are DNS labels/subdomains and UIDs are UUIDs; anything else could walk out
// of the kubelet pods directory, so it is refused rather than joined into a path.
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The node paths where the injected client.pem of this pod can appear, best first.
 * Conjur injects into the container its host annotation names (default `authenticator`), which
 * the agent cannot see; so every container that mounts an emptyDir at /etc/conjur/ssl is a
 * candidate, `authenticator` first. Watching several is safe: only a certificate for our key
 * is ever accepted. No candidate means the pod breaks the pod contract: the CSR is not sent.
 */
export function injectionTargetPaths(pod: PodVolumeLayout, kubeletPodsDir: string): string[] {
  const candidates = pod.mounts.filter((m) => trimSlash(m.mountPath) === CONJUR_SSL_DIR);
  if (candidates.length === 0) throw new ConjurError('denied', `no container of the pod mounts ${CONJUR_SSL_DIR}`);
  const ordered = [...candidates].sort((a, b) => rank(a.containerName) - rank(b.containerName));
  const emptyDirs = new Set(pod.volumes.filter((v) => v.kind === 'emptyDir').map((v) => v.name));
  const volumes = [...new Set(ordered.map((m) => m.volumeName))].filter((v) => emptyDirs.has(v));
  if (volumes.length === 0) throw new ConjurError('denied', `the volume mounted at ${CONJUR_SSL_DIR} is not an emptyDir`);
  if (!SAFE_NAME.test(pod.podUid) || !volumes.every((v) => SAFE_NAME.test(v))) {
    throw new ConjurError('denied', 'pod uid or volume name is not a valid kubernetes name');
  }
  return volumes.map((v) => join(kubeletPodsDir, pod.podUid, 'volumes', 'kubernetes.io~empty-dir', v, CLIENT_CERT_FILE));
}

function rank(containerName: string): number {
  return containerName === DEFAULT_TARGET_CONTAINER ? 0 : 1;
}

function trimSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}
