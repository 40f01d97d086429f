import { createHash, randomBytes, randomUUID } from 'node:crypto';

// Builds V1Pod JSON shaped as the kubelet's /pods and the API server return it, so doubles and
// fixtures look like the real thing (recordings in /work/shared/data/kubelet): metadata.uid,
// spec.containers[].volumeMounts, the projected service-account volume every pod gets, and
// status.containerStatuses[] with `containerd://<64 hex>` ids, imageID and state.running.

export interface ContainerInput {
  name: string;
  image: string;
  /** Bare 64-hex id, or a full `cri-o://…` id; random when omitted; null = not started yet (no id). */
  containerId?: string | null;
  /** Mounts beyond the service-account token mount every container gets. */
  mounts?: { volume: string; mountPath: string }[];
}

export interface VolumeInput {
  name: string;
  kind?: 'emptyDir' | 'memory' | 'configMap' | 'secret';
}

export interface PodInput {
  namespace: string;
  name: string;
  uid?: string;
  nodeName: string;
  serviceAccount?: string;
  containers: ContainerInput[];
  initContainers?: ContainerInput[];
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  volumes?: VolumeInput[];
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  deletionTimestamp?: string;
}

/** The parts of V1Pod JSON tests read back; the object carries every other field a real pod has. */
export interface PodJson {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: { name: string; namespace: string; uid: string; resourceVersion?: string; deletionTimestamp?: string } & Record<string, unknown>;
  spec: { nodeName: string; containers: { name: string; image: string }[] } & Record<string, unknown>;
  status: { phase: string; containerStatuses?: { name: string; containerID?: string }[] } & Record<string, unknown>;
}

const STARTED_AT = '2025-01-01T00:00:00Z';

export function randomContainerId(): string {
  return randomBytes(32).toString('hex');
}

export function buildPod(input: PodInput): PodJson {
  const tokenVolume = `kube-api-access-${randomBytes(3).toString('hex').slice(0, 5)}`;
  const serviceAccount = input.serviceAccount ?? 'default';
  const phase = input.phase ?? 'Running';
  const metadata: PodJson['metadata'] = {
    name: input.name,
    namespace: input.namespace,
    uid: input.uid ?? randomUUID(),
    creationTimestamp: STARTED_AT,
    labels: { ...input.labels },
    annotations: { 'kubernetes.io/config.seen': STARTED_AT, 'kubernetes.io/config.source': 'api', ...input.annotations },
    ...(input.ownerReferences ? { ownerReferences: input.ownerReferences } : {}),
    ...(input.deletionTimestamp ? { deletionTimestamp: input.deletionTimestamp, deletionGracePeriodSeconds: 30 } : {}),
  };
  const initContainers = input.initContainers ?? [];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: {
      volumes: [...(input.volumes ?? []).map(toVolumeJson), projectedTokenVolume(tokenVolume)],
      ...(initContainers.length ? { initContainers: initContainers.map((c) => toContainerSpec(c, tokenVolume)) } : {}),
      containers: input.containers.map((c) => toContainerSpec(c, tokenVolume)),
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: serviceAccount,
      serviceAccount,
      nodeName: input.nodeName,
      securityContext: {},
      schedulerName: 'default-scheduler',
      enableServiceLinks: true,
    },
    status: {
      phase,
      conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: STARTED_AT }],
      hostIP: '10.0.0.10',
      podIP: '10.244.0.8',
      startTime: STARTED_AT,
      ...(initContainers.length ? { initContainerStatuses: initContainers.map((c) => toStatus(c, 'terminated')) } : {}),
      containerStatuses: input.containers.map((c) => toStatus(c, phase === 'Running' ? 'running' : 'terminated')),
      qosClass: 'BestEffort',
    },
  };
}

/** The bare id of a container in a built pod (what /proc/<pid>/cgroup shows), or undefined if not started. */
export function containerIdOf(pod: PodJson, containerName: string): string | undefined {
  const statuses = [...(pod.status.containerStatuses ?? []), ...((pod.status['initContainerStatuses'] as PodJson['status']['containerStatuses']) ?? [])];
  const id = statuses.find((s) => s.name === containerName)?.containerID;
  return id ? id.slice(id.indexOf('://') + 3) : undefined;
}

function toContainerSpec(c: ContainerInput, tokenVolume: string): { name: string; image: string } & Record<string, unknown> {
  return {
    name: c.name,
    image: c.image,
    resources: {},
    volumeMounts: [
      ...(c.mounts ?? []).map((m) => ({ name: m.volume, mountPath: m.mountPath })),
      { name: tokenVolume, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
    ],
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: 'IfNotPresent',
  };
}

function toStatus(c: ContainerInput, started: 'running' | 'terminated'): { name: string; containerID?: string } & Record<string, unknown> {
  const base = { name: c.name, image: c.image, lastState: {}, restartCount: 0 };
  if (c.containerId === null) {
    return { ...base, ready: false, started: false, imageID: '', state: { waiting: { reason: 'ContainerCreating' } } };
  }
  const id = c.containerId ?? randomContainerId();
  const state =
    started === 'running'
      ? { running: { startedAt: STARTED_AT } }
      : { terminated: { exitCode: 0, reason: 'Completed', startedAt: STARTED_AT, finishedAt: STARTED_AT, containerID: `containerd://${id}` } };
  return {
    ...base,
    ready: started === 'running',
    started: started === 'running',
    // Digest derived from the image, so tests (and test/fakes' toPodInfo) can predict it.
    imageID: `${c.image.replace(/:[^:/]+$/, '')}@sha256:${createHash('sha256').update(c.image).digest('hex')}`,
    containerID: id.includes('://') ? id : `containerd://${id}`,
    state,
  };
}

function toVolumeJson(v: VolumeInput): Record<string, unknown> {
  switch (v.kind ?? 'emptyDir') {
    case 'emptyDir':
      return { name: v.name, emptyDir: {} };
    case 'memory':
      return { name: v.name, emptyDir: { medium: 'Memory' } };
    case 'configMap':
      return { name: v.name, configMap: { name: v.name, defaultMode: 420 } };
    case 'secret':
      return { name: v.name, secret: { secretName: v.name, defaultMode: 420 } };
  }
}

function projectedTokenVolume(name: string): Record<string, unknown> {
  return {
    name,
    projected: {
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
      defaultMode: 420,
    },
  };
}
