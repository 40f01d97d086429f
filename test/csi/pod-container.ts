import { fileURLToPath } from 'node:url';
import { ClientProcess } from '../interop/client-process.js';
import type { WorkloadReport } from '../support/pod-workload.js';
import type { SimulatedNode, SimulatedPod } from '../support/simulated-node.js';

// A process in a pod's container as the container runtime would start it: in the pod (its cgroup
// file, SimulatedNode.spawnInPod) and in a mount namespace of its own, where the volume the CSI
// driver published (the kubelet's target path) is bind-mounted read-only at the container's
// mountPath, as `volumeMounts: [{name, mountPath, readOnly: true}]` asks. Needs root.

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKLOAD_SCRIPT = fileURLToPath(new URL('../support/children/pod-workload.cjs', import.meta.url));

/**
 * A fresh /run (tmpfs, this namespace only) so mountPath can be made without touching the host,
 * then the bind mount and its read-only remount, then the command with the same pid.
 */
const CONTAINER_SETUP = [
  'set -e',
  'mount -t tmpfs -o size=1m,mode=0755 tmpfs /run',
  'mkdir -p "$MOUNT_PATH"',
  'mount --bind "$VOLUME_PATH" "$MOUNT_PATH"',
  'mount -o remount,bind,ro "$MOUNT_PATH"',
  'exec "$@"',
].join('\n');

export interface ContainerVolume {
  /** Where the driver published the volume on the node (the kubelet's target path). */
  readonly volumePath: string;
  /** Where the container mounts it; under /run. */
  readonly mountPath: string;
}

/** Starts `command` in `pod` with `volume` mounted read-only; output is collected. */
export function startInContainer(node: SimulatedNode, pod: SimulatedPod, volume: ContainerVolume, command: string, args: readonly string[], env: Record<string, string> = {}): ClientProcess {
  if (!volume.mountPath.startsWith('/run/')) throw new Error(`mountPath ${volume.mountPath} is not under /run`);
  const child = node.spawnInPod(pod, 'unshare', ['--mount', '--propagation', 'private', 'sh', '-c', CONTAINER_SETUP, 'sh', command, ...args], {
    cwd: PACKAGE_ROOT,
    env: { VOLUME_PATH: volume.volumePath, MOUNT_PATH: volume.mountPath, ...env },
  });
  return new ClientProcess(child, { label: `${command} in pod ${pod.namespace}/${pod.name}` });
}

/**
 * test/support/children/pod-workload.cjs in the container (`token-secret`: SVID, token, secret),
 * talking to the agent through `socket` only; resolves with its reports when it exits.
 */
export async function runContainerWorkload(node: SimulatedNode, pod: SimulatedPod, volume: ContainerVolume, socket: string, env: Record<string, string> = {}): Promise<WorkloadReport[]> {
  const workload = startInContainer(node, pod, volume, process.execPath, [WORKLOAD_SCRIPT, 'token-secret'], {
    SPIFFE_ENDPOINT_SOCKET: socket,
    CONJUR_APPLIANCE_URL: node.conjur.url,
    CONJUR_ACCOUNT: node.conjur.account,
    CONJUR_CERT_FILE: node.dirs.conjurCaFile,
    ...env,
  });
  await workload.exitWithin(20_000);
  return workload.explain(() =>
    workload.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as WorkloadReport),
  );
}
