import { dirname } from 'node:path';
import type { AgentConfig } from '../../../src/config/index.js';
import { agentContainer, configArgument } from './manifests.js';
import type { Manifests } from './manifests.js';
import { allContainers, envOf, expectThat, mountAt, portNumber, volumeOf } from './pod-lookups.js';

// What the agent depends on in its own DaemonSet. Each row's name is a sentence a reader can
// check by eye; `check` returns what breaks it (nothing when it holds).

/** Rows that compare with agent.yaml run only when it loads (a separate row reports that). */
export type Invariant =
  | { readonly name: string; readonly usesConfig: false; check(m: Manifests): string[] }
  | { readonly name: string; readonly usesConfig: true; check(m: Manifests, config: AgentConfig): string[] };

const CONJUR_VARIABLES = ['CONJUR_APPLIANCE_URL', 'CONJUR_AUTHN_URL', 'CONJUR_ACCOUNT', 'CONJUR_AUTHN_LOGIN', 'CONJUR_SSL_CERTIFICATE'];
const DOWNWARD_API: Readonly<Record<string, string>> = {
  MY_NODE_NAME: 'spec.nodeName',
  MY_NODE_IP: 'status.hostIP',
  MY_POD_NAME: 'metadata.name',
  MY_POD_NAMESPACE: 'metadata.namespace',
};
/** Conjur writes the injected certificate to this path, always (protocol §9.4). */
const CONJUR_SSL_DIR = '/etc/conjur/ssl';

const spec = (m: Manifests) => m.daemonSet.spec?.template.spec;

export const AGENT_INVARIANTS: readonly Invariant[] = [
  {
    name: 'the agent shares the host PID namespace',
    usesConfig: false,
    check: (m) => expectThat(spec(m)?.hostPID === true, 'hostPID is not true: peer pids would read 0'),
  },
  {
    name: 'the agent does not use the host network',
    usesConfig: false,
    check: (m) => expectThat(spec(m)?.hostNetwork !== true, 'hostNetwork is true'),
  },
  {
    name: 'the agent container is the single container, named authenticator',
    usesConfig: false,
    check: (m) => expectThat(spec(m)?.containers.length === 1 && agentContainer(m)?.name === 'authenticator', 'expected one container named authenticator'),
  },
  {
    name: 'the socket directory is a host directory mounted writable where socketPath points',
    usesConfig: true,
    check(m, config) {
      const mount = mountAt(agentContainer(m), dirname(config.socketPath));
      const hostPath = volumeOf(spec(m), mount)?.hostPath;
      return [
        ...expectThat(mount !== undefined, `nothing is mounted at ${dirname(config.socketPath)}`),
        ...expectThat(mount === undefined || hostPath?.type === 'DirectoryOrCreate', 'the socket volume is not a hostPath of type DirectoryOrCreate'),
        ...expectThat(mount?.readOnly !== true, 'the socket directory is mounted read-only in the agent'),
      ];
    },
  },
  {
    name: 'the kubelet pods directory is mounted read-only with HostToContainer propagation',
    usesConfig: true,
    check(m, config) {
      const mount = mountAt(agentContainer(m), config.kubeletPodsDir);
      return [
        ...expectThat(volumeOf(spec(m), mount)?.hostPath?.path === '/var/lib/kubelet/pods', `${config.kubeletPodsDir} is not the host's /var/lib/kubelet/pods`),
        ...expectThat(mount?.readOnly === true, 'the kubelet pods directory is writable'),
        ...expectThat(mount?.mountPropagation === 'HostToContainer', `mountPropagation is ${mount?.mountPropagation ?? 'unset'}, not HostToContainer`),
      ];
    },
  },
  {
    name: "the agent's /etc/conjur/ssl is a memory-backed emptyDir",
    usesConfig: true,
    check(m, config) {
      const emptyDir = volumeOf(spec(m), mountAt(agentContainer(m), CONJUR_SSL_DIR))?.emptyDir;
      return [
        ...expectThat(config.conjur.agentSslDir === CONJUR_SSL_DIR, `conjur.agentSslDir is ${config.conjur.agentSslDir}, but Conjur always writes to ${CONJUR_SSL_DIR}`),
        ...expectThat(emptyDir?.medium === 'Memory', `${CONJUR_SSL_DIR} is not an emptyDir with medium Memory`),
      ];
    },
  },
  {
    name: 'no host path other than the socket and kubelet pods directories is mounted',
    usesConfig: false,
    check: (m) =>
      (spec(m)?.volumes ?? [])
        .flatMap((v) => (v.hostPath === undefined ? [] : [v.hostPath.path]))
        .filter((path) => path !== '/run/conjur-spiffe' && path !== '/var/lib/kubelet/pods')
        .map((path) => `unexpected hostPath ${path}`),
  },
  {
    name: 'the downward API provides MY_NODE_NAME, MY_NODE_IP, MY_POD_NAME and MY_POD_NAMESPACE',
    usesConfig: false,
    check: (m) =>
      Object.entries(DOWNWARD_API).flatMap(([name, fieldPath]) =>
        expectThat(envOf(agentContainer(m), name)?.valueFrom?.fieldRef?.fieldPath === fieldPath, `${name} is not set from ${fieldPath}`),
      ),
  },
  {
    name: 'the Conjur settings come from the ConfigMap under the Conjur tooling names',
    usesConfig: false,
    check: (m) =>
      CONJUR_VARIABLES.flatMap((name) => {
        const ref = envOf(agentContainer(m), name)?.valueFrom?.configMapKeyRef;
        const wired = ref?.name === m.configMap.metadata?.name && ref?.key === name && ref?.optional !== true;
        return expectThat(wired && m.configMap.data?.[name] !== undefined, `${name} is not read from ConfigMap key ${name}`);
      }),
  },
  {
    name: "the probes reach /live and /ready on agent.yaml's health port",
    usesConfig: true,
    check(m, config) {
      const c = agentContainer(m);
      const { host, port } = config.health.listen;
      return [
        ...expectThat(c?.livenessProbe?.httpGet?.path === '/live' && portNumber(c, c.livenessProbe.httpGet.port) === port, `the liveness probe is not GET /live on port ${port}`),
        ...expectThat(c?.readinessProbe?.httpGet?.path === '/ready' && portNumber(c, c.readinessProbe.httpGet.port) === port, `the readiness probe is not GET /ready on port ${port}`),
        ...expectThat(host === '0.0.0.0' || host === '::', `health.listen ${host} is not reachable from the kubelet at the pod IP`),
      ];
    },
  },
  {
    name: 'no container of the agent or the example workload is privileged',
    usesConfig: false,
    check: (m) =>
      [...allContainers(spec(m)), ...allContainers(m.exampleDeployment.spec?.template.spec)]
        .filter((c) => c.securityContext?.privileged === true)
        .map((c) => `container ${c.name} is privileged`),
  },
  {
    name: 'the agent drops every capability and adds none',
    usesConfig: false,
    check(m) {
      const caps = agentContainer(m)?.securityContext?.capabilities;
      return [...expectThat(caps?.drop?.includes('ALL') === true, 'capabilities.drop lacks ALL'), ...(caps?.add ?? []).map((c) => `capability ${c} is added`)];
    },
  },
  {
    name: 'the root filesystem is read-only and privilege escalation is off',
    usesConfig: false,
    check(m) {
      const sc = agentContainer(m)?.securityContext;
      return [...expectThat(sc?.readOnlyRootFilesystem === true, 'readOnlyRootFilesystem is not true'), ...expectThat(sc?.allowPrivilegeEscalation === false, 'allowPrivilegeEscalation is not false')];
    },
  },
  {
    name: 'the agent runs under the RuntimeDefault seccomp profile',
    usesConfig: false,
    check: (m) => expectThat((agentContainer(m)?.securityContext?.seccompProfile ?? spec(m)?.securityContext?.seccompProfile)?.type === 'RuntimeDefault', 'seccompProfile is not RuntimeDefault'),
  },
  {
    name: 'the agent reads the configuration file the ConfigMap provides, as the image does',
    usesConfig: false,
    check(m) {
      const file = configArgument(m) ?? '';
      const mount = mountAt(agentContainer(m), dirname(file));
      const item = volumeOf(spec(m), mount)?.configMap?.items?.find((i) => `${mount?.mountPath}/${i.path}` === file);
      return [
        ...expectThat(item?.key === 'agent.yaml' && m.configMap.data?.['agent.yaml'] !== undefined, `--config ${file} is not the ConfigMap's agent.yaml`),
        ...expectThat(m.dockerfile.includes(`"--config", "${file}"`), `the Dockerfile's default command does not read ${file}`),
      ];
    },
  },
  {
    name: 'the agent has resource requests and a memory limit',
    usesConfig: false,
    check(m) {
      const r = agentContainer(m)?.resources;
      return expectThat(r?.requests?.['cpu'] !== undefined && r.requests['memory'] !== undefined && r.limits?.['memory'] !== undefined, 'cpu/memory requests or memory limit missing');
    },
  },
  {
    name: 'the agent runs on every node whatever its taints',
    usesConfig: false,
    check: (m) => expectThat((spec(m)?.tolerations ?? []).some((t) => t.operator === 'Exists' && t.key === undefined && t.effect === undefined), 'no toleration for every taint'),
  },
  {
    name: 'rollouts replace one agent at a time without a second agent on the node',
    usesConfig: false,
    check(m) {
      const u = m.daemonSet.spec?.updateStrategy;
      return expectThat(u?.type === 'RollingUpdate' && u.rollingUpdate?.maxSurge === 0 && u.rollingUpdate.maxUnavailable !== undefined, 'not RollingUpdate with maxSurge 0');
    },
  },
  {
    name: 'SIGTERM draining fits in the termination grace period',
    usesConfig: true,
    check: (m, config) => expectThat(config.shutdownGraceMs < (spec(m)?.terminationGracePeriodSeconds ?? 30) * 1000, 'shutdownGrace is not shorter than terminationGracePeriodSeconds'),
  },
];
