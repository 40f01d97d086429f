// A pod spec read from an untrusted manifest: only the fields the checks look at, each parsed
// from `unknown` (a wrong type reads as absent, never throws), so the checks are plain code.

export interface SecurityContextView {
  readonly privileged?: boolean;
  readonly allowPrivilegeEscalation?: boolean;
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
  readonly seccompType?: string;
  readonly appArmorType?: string;
  readonly seLinux?: { readonly type?: string; readonly user?: string; readonly role?: string };
  readonly procMount?: string;
  readonly hostProcess?: boolean;
  readonly capabilitiesAdd: readonly string[];
  readonly capabilitiesDrop: readonly string[];
}

export interface VolumeMountView {
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly: boolean;
  readonly subPath?: string;
}

export type ContainerKind = 'container' | 'init container' | 'ephemeral container';

export interface ContainerView {
  readonly kind: ContainerKind;
  readonly name: string;
  readonly image: string;
  readonly volumeMounts: readonly VolumeMountView[];
  readonly env: ReadonlyMap<string, string | undefined>;
  readonly hostPorts: readonly number[];
  /** `host` set in a probe's or lifecycle handler's httpGet or tcpSocket. */
  readonly probeHosts: readonly string[];
  readonly securityContext: SecurityContextView;
}

export interface VolumeView {
  readonly name: string;
  /** The volume source's key: `emptyDir`, `csi`, `hostPath`, ... (`unknown` when none). */
  readonly type: string;
  readonly source: Readonly<Record<string, unknown>>;
}

export interface PodSpecView {
  readonly containers: readonly ContainerView[];
  readonly initContainers: readonly ContainerView[];
  readonly ephemeralContainers: readonly ContainerView[];
  readonly volumes: readonly VolumeView[];
  readonly hostNetwork: boolean;
  readonly hostPID: boolean;
  readonly hostIPC: boolean;
  readonly securityContext: SecurityContextView;
  readonly sysctls: readonly string[];
  readonly isWindows: boolean;
}

export function asRecord(value: unknown): Readonly<Record<string, unknown>> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function asBoolean(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function strings(value: unknown): string[] {
  return asArray(value).flatMap((v) => (typeof v === 'string' ? [v] : []));
}

/** Only the keys that are set, so optional fields stay absent rather than `undefined`. */
function defined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as T;
}

function toSecurityContext(value: unknown): SecurityContextView {
  const sc = asRecord(value);
  const capabilities = asRecord(sc['capabilities']);
  const seLinux = asRecord(sc['seLinuxOptions']);
  return defined({
    privileged: asBoolean(sc['privileged']),
    allowPrivilegeEscalation: asBoolean(sc['allowPrivilegeEscalation']),
    runAsNonRoot: asBoolean(sc['runAsNonRoot']),
    runAsUser: asNumber(sc['runAsUser']),
    seccompType: asString(asRecord(sc['seccompProfile'])['type']),
    appArmorType: asString(asRecord(sc['appArmorProfile'])['type']),
    seLinux: sc['seLinuxOptions'] === undefined ? undefined : defined({ type: asString(seLinux['type']), user: asString(seLinux['user']), role: asString(seLinux['role']) }),
    procMount: asString(sc['procMount']),
    hostProcess: asBoolean(asRecord(sc['windowsOptions'])['hostProcess']),
    capabilitiesAdd: strings(capabilities['add']),
    capabilitiesDrop: strings(capabilities['drop']),
  });
}

function toContainer(value: unknown, kind: ContainerKind, index: number): ContainerView {
  const c = asRecord(value);
  return {
    kind,
    name: asString(c['name']) ?? `#${index}`,
    image: asString(c['image']) ?? '',
    volumeMounts: asArray(c['volumeMounts']).map((m) => {
      const mount = asRecord(m);
      return defined({ name: asString(mount['name']) ?? '', mountPath: asString(mount['mountPath']) ?? '', readOnly: mount['readOnly'] === true, subPath: asString(mount['subPath']) || asString(mount['subPathExpr']) || undefined });
    }),
    env: new Map(asArray(c['env']).map((e) => [asString(asRecord(e)['name']) ?? '', asString(asRecord(e)['value'])])),
    hostPorts: asArray(c['ports']).flatMap((p) => {
      const port = asNumber(asRecord(p)['hostPort']);
      return port ? [port] : [];
    }),
    probeHosts: probeHostsOf(c),
    securityContext: toSecurityContext(c['securityContext']),
  };
}

function probeHostsOf(container: Readonly<Record<string, unknown>>): string[] {
  const lifecycle = asRecord(container['lifecycle']);
  const handlers = [container['livenessProbe'], container['readinessProbe'], container['startupProbe'], lifecycle['postStart'], lifecycle['preStop']];
  return handlers.flatMap((h) => [asRecord(asRecord(h)['httpGet'])['host'], asRecord(asRecord(h)['tcpSocket'])['host']]).flatMap((host) => (typeof host === 'string' && host !== '' ? [host] : []));
}

function toVolume(value: unknown, index: number): VolumeView {
  const v = asRecord(value);
  const type = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
  return { name: asString(v['name']) ?? `#${index}`, type, source: asRecord(v[type]) };
}

export function toPodSpec(value: unknown): PodSpecView {
  const spec = asRecord(value);
  const podSecurity = asRecord(spec['securityContext']);
  return {
    containers: asArray(spec['containers']).map((c, i) => toContainer(c, 'container', i)),
    initContainers: asArray(spec['initContainers']).map((c, i) => toContainer(c, 'init container', i)),
    ephemeralContainers: asArray(spec['ephemeralContainers']).map((c, i) => toContainer(c, 'ephemeral container', i)),
    volumes: asArray(spec['volumes']).map(toVolume),
    hostNetwork: spec['hostNetwork'] === true,
    hostPID: spec['hostPID'] === true,
    hostIPC: spec['hostIPC'] === true,
    securityContext: toSecurityContext(podSecurity),
    sysctls: asArray(podSecurity['sysctls']).flatMap((s) => strings([asRecord(s)['name']])),
    isWindows: asString(asRecord(spec['os'])['name']) === 'windows',
  };
}

/** Every container of the pod: containers, init containers and ephemeral containers. */
export function allContainers(spec: PodSpecView): ContainerView[] {
  return [...spec.initContainers, ...spec.containers, ...spec.ephemeralContainers];
}

export function volumeNamed(spec: PodSpecView, name: string): VolumeView | undefined {
  return spec.volumes.find((v) => v.name === name);
}
