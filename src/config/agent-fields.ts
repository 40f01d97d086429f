import { byDefault, field, required } from './field.js';
import { absolutePath, boolean, componentNames, dnsLabel, dnsSubdomain, durationMs, fileMode, fraction, listenAddress, oneOf, positiveInteger, socketPath, trustDomain } from './field-types.js';

// Top-level settings, the SVID schedule and observability. The downward-API names (MY_*) are
// the only environment variables here: the DaemonSet sets them, and they win over the file.

export const AGENT_FIELDS = {
  trustDomain: field({
    path: 'trustDomain',
    type: trustDomain,
    presence: byDefault('cluster.local'),
    description: 'SPIFFE trust domain of the IDs spiffe://<trust domain>/namespace/<ns>/podname/<pod>.',
  }),
  nodeName: field({
    path: 'nodeName',
    type: dnsSubdomain,
    env: 'MY_NODE_NAME',
    presence: required,
    description: "This node's name (downward API spec.nodeName); pods on other nodes are refused.",
  }),
  podName: field({
    path: 'podName',
    type: dnsSubdomain,
    env: 'MY_POD_NAME',
    presence: required,
    description: "The agent's own pod (downward API metadata.name), named in its own Conjur certificate.",
  }),
  podNamespace: field({
    path: 'podNamespace',
    type: dnsLabel,
    env: 'MY_POD_NAMESPACE',
    presence: required,
    description: "The agent's own namespace (downward API metadata.namespace).",
  }),
  socketPath: field({
    path: 'socketPath',
    type: socketPath,
    presence: byDefault('/run/conjur-spiffe/agent.sock'),
    description: 'Workload API socket. Its directory must exist (the DaemonSet mounts it from the host).',
  }),
  socketMode: field({
    path: 'socketMode',
    type: fileMode,
    presence: byDefault('0666'),
    description: 'Permissions of the socket file, quoted octal; workloads of any uid must be able to connect.',
  }),
  procRoot: field({
    path: 'procRoot',
    type: absolutePath,
    presence: byDefault('/proc'),
    description: 'Where /proc/<pid>/cgroup is read; with hostPID the container sees host pids here.',
  }),
  kubeletPodsDir: field({
    path: 'kubeletPodsDir',
    type: absolutePath,
    presence: byDefault('/var/lib/kubelet/pods'),
    description: "The kubelet's pods directory as mounted into the agent; injected certificates are confirmed there.",
  }),
  attestationNestedNodes: field({
    path: 'attestation.nestedNodes',
    type: boolean,
    presence: byDefault(false),
    description:
      "For nodes that run inside another cluster's pods (kind, k3d or Sysbox nodes in CI): take the innermost pod of a cgroup path that nests pods. Off, such a path is refused, because a pod that can write its cgroupfs could then claim another pod's identity.",
  }),
  attestationMaxCgroupFileBytes: field({
    path: 'attestation.maxCgroupFileBytes',
    type: positiveInteger,
    presence: byDefault(65536),
    description: 'Most bytes read from /proc/<pid>/cgroup; a larger file fails the attestation (PermissionDenied).',
  }),
  attestationMaxMountinfoBytes: field({
    path: 'attestation.maxMountinfoBytes',
    type: positiveInteger,
    presence: byDefault(1048576),
    description: "Most bytes read from /proc/<pid>/mountinfo (read only when a cgroup namespace hides the caller's path); a pod can grow it by mounting.",
  }),
  shutdownGraceMs: field({
    path: 'shutdownGrace',
    type: durationMs,
    presence: byDefault('10s'),
    description: "On SIGTERM, how long open streams get before they are closed; keep below the pod's terminationGracePeriodSeconds.",
  }),
  svidRenewAtFraction: field({
    path: 'svid.renewAtFraction',
    type: fraction(false),
    presence: byDefault(0.5),
    description: 'Renew an SVID when this fraction of its lifetime has passed.',
  }),
  svidRenewJitterFraction: field({
    path: 'svid.renewJitterFraction',
    type: fraction(true),
    presence: byDefault(0.1),
    description: "Random extra fraction of the lifetime, so a node's pods do not renew together.",
  }),
  metricsListen: field({
    path: 'metrics.listen',
    type: listenAddress,
    presence: byDefault('127.0.0.1:9090'),
    description: 'Prometheus /metrics. Loopback by default; set 0.0.0.0:9090 to let Prometheus scrape the pod IP.',
  }),
  healthListen: field({
    path: 'health.listen',
    type: listenAddress,
    presence: byDefault('0.0.0.0:8080'),
    description: "HTTP /live and /ready. On all addresses because the kubelet's probes connect to the pod IP; they reveal only up or down.",
  }),
  logLevel: field({
    path: 'log.level',
    type: oneOf('debug', 'info', 'warn', 'error'),
    presence: byDefault('info'),
    description: 'Lowest level written (JSON lines on standard error).',
  }),
  logDebugComponents: field({
    path: 'log.debugComponents',
    type: componentNames,
    presence: byDefault([]),
    description: 'Components logged at debug whatever log.level says, e.g. [kube, conjur].',
  }),
} as const;
