import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { V1Container } from '@kubernetes/client-node';
import { isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node } from 'yaml';
import type { Invariant } from './agent-invariants.js';
import { agentContainer, DAEMONSET_DIR } from './manifests.js';
import type { Manifests } from './manifests.js';
import { allContainers, envOf, expectThat, mountAt, sameSet, volumeOf } from './pod-lookups.js';

// The SPIFFE CSI driver component (csi-driver/): the CSIDriver object, and the driver's DaemonSet
// wired to the agent's socket directory and to the kubelet's plugin directories.

const KUBELET_PODS = '/var/lib/kubelet/pods';
const REGISTRATION_DIR = '/var/lib/kubelet/plugins_registry';
/** The driver version test/csi builds and runs (its go.mod), which the image must match. */
const TESTED_VERSION = /^\s*github\.com\/spiffe\/spiffe-csi\s+v(\S+)/m.exec(readFileSync(join(DAEMONSET_DIR, '../test/csi/go/go.mod'), 'utf8'))?.[1];

const spec = (m: Manifests) => m.csiDaemonSet.spec?.template.spec;
const driverContainer = (m: Manifests) => spec(m)?.containers.find((c) => c.name === 'spiffe-csi-driver');
const registrar = (m: Manifests) => spec(m)?.containers.find((c) => c.name === 'node-driver-registrar');
const hostPathAt = (m: Manifests, c: V1Container | undefined, path: string) => volumeOf(spec(m), mountAt(c, path))?.hostPath?.path;

/** The value after `flag` (`-flag value` or `--flag=value`) in a container's arguments. */
function argument(c: V1Container | undefined, flag: string): string | undefined {
  const args = c?.args ?? [];
  const inline = args.find((a) => a.startsWith(`${flag}=`));
  if (inline !== undefined) return inline.slice(flag.length + 1);
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args[at + 1];
}

/** The agent's socket directory on the host: the hostPath the agent mounts where its socket goes. */
function agentSocketHostDir(m: Manifests, socketPath: string): string | undefined {
  return volumeOf(m.daemonSet.spec?.template.spec, mountAt(agentContainer(m), dirname(socketPath)))?.hostPath?.path;
}

/** The comment lines right above the line where `node` starts (yaml attaches comments unevenly). */
function commentAbove(text: string, node: unknown): string {
  const target = isPair(node) ? node.key : node;
  const offset = (target as Node | undefined)?.range?.[0];
  if (offset === undefined) return '';
  const above = text.slice(0, offset).split('\n').slice(0, -1);
  const comment: string[] = [];
  while (above.length > 0 && above[above.length - 1]!.trim().startsWith('#')) comment.unshift(above.pop()!.trim());
  return comment.join('\n');
}

/**
 * The privileges of the driver's DaemonSet as written in the file, each with the comment above it:
 * host path mounts, privileged: true, runAsUser: 0.
 */
function privilegesWithComments(text: string): { what: string; comment: string }[] {
  const doc = parseDocument(text);
  const podSpec = doc.getIn(['spec', 'template', 'spec'], true);
  if (!isMap(podSpec)) return [{ what: 'the pod spec', comment: '' }];
  const hostPathVolumes = new Set(
    ((doc.toJS() as { spec?: { template?: { spec?: { volumes?: { name: string; hostPath?: unknown }[] } } } }).spec?.template?.spec?.volumes ?? []).filter((v) => v.hostPath !== undefined).map((v) => v.name),
  );
  const found: { what: string; comment: string }[] = [];
  const pair = (map: unknown, key: string) => (isMap(map) ? map.items.find((p) => isScalar(p.key) && p.key.value === key) : undefined);
  const scalar = (map: unknown, key: string): unknown => {
    const value = pair(map, key)?.value;
    return isScalar(value) ? value.value : undefined;
  };
  const runAsUser = pair(pair(podSpec, 'securityContext')?.value, 'runAsUser');
  if (isScalar(runAsUser?.value) && runAsUser.value.value === 0) found.push({ what: 'the pod runs as root', comment: commentAbove(text, runAsUser) });
  const containers = pair(podSpec, 'containers')?.value;
  for (const container of isSeq(containers) ? containers.items : []) {
    const name = String(scalar(container, 'name'));
    const privileged = pair(pair(container, 'securityContext')?.value, 'privileged');
    if (isScalar(privileged?.value) && privileged.value.value === true) found.push({ what: `container ${name} is privileged`, comment: commentAbove(text, privileged) });
    const mounts = pair(container, 'volumeMounts')?.value;
    for (const mount of isSeq(mounts) ? mounts.items : []) {
      const volume = String(scalar(mount, 'name'));
      if (hostPathVolumes.has(volume)) found.push({ what: `container ${name} mounts host path volume ${volume}`, comment: commentAbove(text, mount) });
    }
  }
  return found;
}

export const CSI_INVARIANTS: readonly Invariant[] = [
  {
    name: 'the CSIDriver takes only read-only inline ephemeral volumes: no attach, pod info on mount, no fsGroup changes',
    usesConfig: false,
    check(m) {
      const s = m.csiDriver.spec;
      return [
        ...expectThat(m.csiDriver.metadata?.name === 'csi.spiffe.io', `the CSIDriver is ${m.csiDriver.metadata?.name}, not csi.spiffe.io`),
        ...expectThat(s.attachRequired === false, 'attachRequired is not false'),
        ...expectThat(s.podInfoOnMount === true, 'podInfoOnMount is not true (the driver checks csi.storage.k8s.io/ephemeral)'),
        ...expectThat(s.fsGroupPolicy === 'None', `fsGroupPolicy is ${s.fsGroupPolicy ?? 'unset'}, not None`),
        ...expectThat(sameSet(s.volumeLifecycleModes ?? [], ['Ephemeral']), `volumeLifecycleModes are ${(s.volumeLifecycleModes ?? []).join(', ') || 'unset'}, not [Ephemeral]`),
      ];
    },
  },
  {
    name: "the driver publishes the agent's socket directory: the same host directory, mounted read-only",
    usesConfig: true,
    check(m, config) {
      const dir = argument(driverContainer(m), '-workload-api-socket-dir') ?? '(unset)';
      const mount = mountAt(driverContainer(m), dir);
      const hostDir = agentSocketHostDir(m, config.socketPath);
      return [
        ...expectThat(hostDir !== undefined && hostPathAt(m, driverContainer(m), dir) === hostDir, `-workload-api-socket-dir ${dir} is not the agent's socket host directory ${hostDir ?? '(none)'}`),
        ...expectThat(mount?.readOnly === true, `${dir} is writable in the driver`),
      ];
    },
  },
  {
    name: 'only the driver container is privileged, for Bidirectional propagation on the kubelet pods directory',
    usesConfig: false,
    check(m) {
      const driver = driverContainer(m);
      const pods = mountAt(driver, KUBELET_PODS);
      const others = allContainers(spec(m)).filter((c) => c !== driver);
      return [
        ...expectThat(driver !== undefined, 'no container spiffe-csi-driver'),
        ...expectThat(hostPathAt(m, driver, KUBELET_PODS) === KUBELET_PODS && pods?.mountPropagation === 'Bidirectional', `${KUBELET_PODS} is not the host's, mounted with Bidirectional propagation`),
        ...expectThat(driver?.securityContext?.privileged === true, 'the driver is not privileged (Bidirectional propagation needs it)'),
        ...others.flatMap((c) => {
          const sc = c.securityContext;
          const locked = sc?.privileged !== true && sc?.allowPrivilegeEscalation === false && sc.capabilities?.drop?.includes('ALL') === true && (sc.capabilities.add ?? []).length === 0;
          return expectThat(locked, `container ${c.name} is not unprivileged with every capability dropped`);
        }),
      ];
    },
  },
  {
    name: "the registrar registers the driver's socket where the kubelet finds it",
    usesConfig: false,
    check(m) {
      const socket = argument(driverContainer(m), '-csi-socket-path') ?? '(unset)';
      const pluginDir = hostPathAt(m, driverContainer(m), dirname(socket));
      const expectedDir = `/var/lib/kubelet/plugins/${m.csiDriver.metadata?.name ?? '?'}`;
      return [
        ...expectThat(pluginDir === expectedDir, `the driver's socket directory is ${pluginDir ?? 'not a host path'}, not ${expectedDir}`),
        ...expectThat(argument(registrar(m), '--csi-address') === socket && hostPathAt(m, registrar(m), dirname(socket)) === pluginDir, `the registrar's --csi-address is not ${socket} in the same host directory`),
        ...expectThat(argument(registrar(m), '--kubelet-registration-path') === `${expectedDir}/${basename(socket)}`, `--kubelet-registration-path is not ${expectedDir}/${basename(socket)}`),
        ...expectThat(hostPathAt(m, registrar(m), '/registration') === REGISTRATION_DIR, `the registrar does not mount ${REGISTRATION_DIR} at /registration`),
      ];
    },
  },
  {
    name: 'the driver mounts no host path but the socket, plugin, registration and kubelet pods directories',
    usesConfig: false,
    check: (m) =>
      (spec(m)?.volumes ?? [])
        .flatMap((v) => (v.hostPath === undefined ? [] : [v.hostPath.path]))
        .filter((path) => !['/run/conjur-spiffe', `/var/lib/kubelet/plugins/${m.csiDriver.metadata?.name ?? '?'}`, REGISTRATION_DIR, KUBELET_PODS].includes(path))
        .map((path) => `unexpected hostPath ${path}`),
  },
  {
    name: 'the driver runs on every node without a Kubernetes API token, under RuntimeDefault seccomp, with requests and memory limits',
    usesConfig: false,
    check(m) {
      const s = spec(m);
      return [
        ...expectThat((s?.tolerations ?? []).some((t) => t.operator === 'Exists' && t.key === undefined && t.effect === undefined), 'no toleration for every taint'),
        ...expectThat(s?.automountServiceAccountToken === false, 'a service account token is mounted'),
        ...expectThat(s?.securityContext?.seccompProfile?.type === 'RuntimeDefault', 'seccompProfile is not RuntimeDefault'),
        ...expectThat(envOf(driverContainer(m), 'MY_NODE_NAME')?.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName', 'MY_NODE_NAME (the node id) is not spec.nodeName'),
        ...allContainers(s).flatMap((c) => expectThat(c.resources?.requests?.['memory'] !== undefined && c.resources.limits?.['memory'] !== undefined, `container ${c.name} has no memory request or limit`)),
      ];
    },
  },
  {
    name: 'the driver image is the version test/csi builds and runs',
    usesConfig: false,
    check(m) {
      const image = driverContainer(m)?.image ?? '';
      const override = m.csiComponent.images?.find((i) => i.name === image.split(':')[0]);
      const tag = override?.newTag ?? image.split(':')[1];
      return expectThat(tag === TESTED_VERSION && image.startsWith('ghcr.io/spiffe/spiffe-csi-driver:'), `the driver image is ${image} (tag ${tag ?? 'none'}), test/csi runs ${TESTED_VERSION ?? '?'}`);
    },
  },
  {
    name: "the agent's kustomization includes the CSI driver component, which lists every file beside it",
    usesConfig: false,
    check: (m) => [
      ...expectThat((m.kustomization.components ?? []).includes('csi-driver'), "daemonset/kustomization.yaml's components do not include csi-driver"),
      ...expectThat(m.csiComponent.kind === 'Component', 'csi-driver/kustomization.yaml is not a Component'),
      ...expectThat(sameSet(m.csiComponent.resources ?? [], m.csiFiles), `csi-driver/kustomization.yaml lists ${(m.csiComponent.resources ?? []).join(', ')}; files are ${m.csiFiles.join(', ')}`),
    ],
  },
  {
    name: "every privilege in the driver's DaemonSet has a PRIVILEGE comment saying why",
    usesConfig: false,
    check: (m) => privilegesWithComments(m.csiDaemonSetText).filter((p) => !p.comment.includes('PRIVILEGE')).map((p) => `${p.what}, with no PRIVILEGE comment`),
  },
];
