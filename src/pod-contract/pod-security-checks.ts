import type { PodTemplate } from './pod-templates.js';
import { allContainers } from './pod-spec.js';
import type { ContainerView, PodSpecView } from './pod-spec.js';

// The Pod Security Standards' `restricted` level (which includes `baseline`), as the API server's
// Pod Security admission applies it (Kubernetes 1.34): what in a pod template would get the pod
// rejected in a namespace labelled pod-security.kubernetes.io/enforce=restricted. Each finding
// uses admission's own reason ("restricted volume types", "runAsNonRoot != true") so it can be matched
// with the API server's message.

export interface PodSecurityFinding {
  readonly reason: string;
  readonly detail: string;
}

const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
]);
const SELINUX_TYPES = new Set(['container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const RESTRICTED_VOLUME_TYPES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret']);
const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';

type Check = (template: PodTemplate) => PodSecurityFinding[];

const quote = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');
const containerWord = (names: readonly string[]) => (names.length === 1 ? 'container' : 'containers');
const finding = (reason: string, detail: string): PodSecurityFinding[] => [{ reason, detail }];

/** One finding naming every container for which `isBad` holds, or none. */
function containersWhere(spec: PodSpecView, isBad: (c: ContainerView) => boolean, reason: string, detail: string): PodSecurityFinding[] {
  const bad = allContainers(spec).filter(isBad).map((c) => c.name);
  return bad.length === 0 ? [] : finding(reason, `${containerWord(bad)} ${quote(bad)} ${detail}`);
}

const BASELINE: readonly Check[] = [
  ({ spec }) => {
    const shared = (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((k) => spec[k]).map((k) => `${k}=true`);
    return shared.length === 0 ? [] : finding('host namespaces', shared.join(', '));
  },
  ({ spec }) => containersWhere(spec, (c) => c.securityContext.privileged === true, 'privileged', 'must not set securityContext.privileged=true'),
  ({ spec }) => containersWhere(spec, (c) => c.hostPorts.length > 0, 'hostPort', 'must not use hostPort'),
  ({ spec }) => containersWhere(spec, (c) => c.probeHosts.length > 0, 'probe or lifecycle host', 'must not set host in probes or lifecycle handlers'),
  ({ spec }) =>
    spec.securityContext.hostProcess === true || allContainers(spec).some((c) => c.securityContext.hostProcess === true)
      ? finding('hostProcess', 'pod and containers must not set securityContext.windowsOptions.hostProcess=true')
      : [],
  ({ spec, annotations }) => {
    const annotated = [...annotations].filter(([k, v]) => k.startsWith(APPARMOR_ANNOTATION) && v !== 'runtime/default' && !v.startsWith('localhost/')).map(([k]) => k);
    const unconfined = spec.securityContext.appArmorType === 'Unconfined' || allContainers(spec).some((c) => c.securityContext.appArmorType === 'Unconfined');
    return annotated.length > 0 || unconfined ? finding('forbidden AppArmor profile', 'the AppArmor profile must be RuntimeDefault or Localhost') : [];
  },
  ({ spec }) => {
    const contexts = [spec.securityContext, ...allContainers(spec).map((c) => c.securityContext)];
    const bad = contexts.some((sc) => sc.seLinux !== undefined && ((sc.seLinux.type !== undefined && sc.seLinux.type !== '' && !SELINUX_TYPES.has(sc.seLinux.type)) || sc.seLinux.user || sc.seLinux.role));
    return bad ? finding('seLinuxOptions', 'only the container SELinux types may be set, and no user or role') : [];
  },
  ({ spec }) => containersWhere(spec, (c) => c.securityContext.procMount !== undefined && c.securityContext.procMount !== 'Default', 'procMount', 'must not set securityContext.procMount'),
  ({ spec }) => {
    const forbidden = spec.sysctls.filter((s) => !SAFE_SYSCTLS.has(s));
    return forbidden.length === 0 ? [] : finding('forbidden sysctls', forbidden.join(', '));
  },
];

/** Container-level restricted controls do not apply to Windows pods (spec.os.name: windows). */
const RESTRICTED: readonly Check[] = [
  // Includes hostPath: at the restricted level this check replaces baseline's "hostPath volumes".
  ({ spec }) => {
    const bad = spec.volumes.filter((v) => !RESTRICTED_VOLUME_TYPES.has(v.type));
    if (bad.length === 0) return [];
    const types = [...new Set(bad.map((v) => v.type))].sort();
    const one = bad.length === 1;
    return finding('restricted volume types', `${one ? 'volume' : 'volumes'} ${quote(bad.map((v) => v.name))} ${one ? 'uses' : 'use'} ${types.length === 1 ? 'restricted volume type' : 'restricted volume types'} ${quote(types)}`);
  },
  ({ spec }) =>
    spec.isWindows ? [] : containersWhere(spec, (c) => c.securityContext.allowPrivilegeEscalation !== false, 'allowPrivilegeEscalation != false', 'must set securityContext.allowPrivilegeEscalation=false'),
  ({ spec }) => {
    if (spec.isWindows) return [];
    const podSays = spec.securityContext.runAsNonRoot;
    if (podSays === false) return finding('runAsNonRoot != true', 'the pod must not set securityContext.runAsNonRoot=false');
    return containersWhere(spec, (c) => c.securityContext.runAsNonRoot === false || (podSays !== true && c.securityContext.runAsNonRoot !== true), 'runAsNonRoot != true', 'must set securityContext.runAsNonRoot=true (or the pod must)');
  },
  ({ spec }) => {
    if (spec.isWindows) return [];
    const pod = spec.securityContext.runAsUser === 0 ? finding('runAsUser=0', 'the pod must not set runAsUser=0') : [];
    return [...pod, ...containersWhere(spec, (c) => c.securityContext.runAsUser === 0, 'runAsUser=0', 'must not set runAsUser=0')];
  },
  ({ spec }) => {
    const allowed = (type: string | undefined) => type === 'RuntimeDefault' || type === 'Localhost';
    const podType = spec.securityContext.seccompType;
    const containers = spec.isWindows ? [] : allContainers(spec);
    const setBadly = containers.filter((c) => c.securityContext.seccompType !== undefined && !allowed(c.securityContext.seccompType)).map((c) => c.name);
    const unset = allowed(podType) ? [] : containers.filter((c) => c.securityContext.seccompType === undefined).map((c) => c.name);
    const parts = [
      ...(podType !== undefined && !allowed(podType) ? [`the pod must not set securityContext.seccompProfile.type to "${podType}"`] : []),
      ...(setBadly.length > 0 ? [`${containerWord(setBadly)} ${quote(setBadly)} must not set securityContext.seccompProfile.type to anything but "RuntimeDefault" or "Localhost"`] : []),
      ...(unset.length > 0 ? [`${containerWord(unset)} ${quote(unset)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost" (or the pod must)`] : []),
    ];
    return parts.length === 0 ? [] : finding('seccompProfile', parts.join('; '));
  },
  ({ spec }) => {
    if (spec.isWindows) return [];
    const undropped = allContainers(spec).filter((c) => !c.securityContext.capabilitiesDrop.includes('ALL')).map((c) => c.name);
    const added = allContainers(spec).flatMap((c) => {
      const extra = c.securityContext.capabilitiesAdd.filter((cap) => cap !== 'NET_BIND_SERVICE');
      return extra.length === 0 ? [] : [`container "${c.name}" must not add ${quote(extra)} to securityContext.capabilities.add`];
    });
    const parts = [...(undropped.length > 0 ? [`${containerWord(undropped)} ${quote(undropped)} must set securityContext.capabilities.drop=["ALL"]`] : []), ...added];
    return parts.length === 0 ? [] : finding('unrestricted capabilities', parts.join('; '));
  },
];

/** What in `template` Pod Security `restricted` would refuse; empty when a restricted namespace admits it. */
export function checkPodSecurityRestricted(template: PodTemplate): PodSecurityFinding[] {
  return [...BASELINE, ...RESTRICTED].flatMap((check) => check(template));
}
