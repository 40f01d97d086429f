import { beforeAll, describe, expect, it } from '@jest/globals';
import type { V1Container, V1EnvVar } from '@kubernetes/client-node';
import { ConfigError, loadConfig } from '../../../src/config/index.js';
import { createTestCa } from '../../support/test-ca.js';
import { CONFIG_LOADS, INVARIANT_NAMES, checkManifests } from './invariants.js';
import type { Violation } from './invariants.js';
import { agentContainer, agentEnvironment, agentFileSystem, configArgument, loadManifests, readManifestFiles } from './manifests.js';
import type { Manifests } from './manifests.js';
import { checkWithModels, missingRequired } from './model-check.js';

let conjurCaPem: string;
beforeAll(async () => {
  conjurCaPem = (await createTestCa({ commonName: 'conjur tls ca' })).certPem;
});

/** `DaemonSet` → `daemon-set`, `CSIDriver` → `csi-driver` (an acronym is one word). */
const kebab = (kind: string): string => kind.replace(/(?<=[a-z])([A-Z])|(?<=[A-Z])([A-Z])(?=[a-z])/g, '-$1$2').toLowerCase();
/** A kustomization file holds a Kustomization, or a Component for a reusable part. */
const fileNameOf = (kind: string): string => (kind === 'Component' ? 'kustomization.yaml' : `${kebab(kind)}.yaml`);

describe('daemonset/ manifest files', () => {
  for (const file of readManifestFiles()) {
    const object = file.objects[0] ?? {};
    const kind = String(object['kind']);
    it(`${file.name} is one YAML document named after its kind`, () => {
      expect(file.errors).toEqual([]);
      expect(file.objects).toHaveLength(1);
      expect(file.name.replace(/^(examples|csi-driver)\//, '')).toBe(fileNameOf(kind));
    });
    if (kind === 'Kustomization' || kind === 'Component') continue;
    it(`${file.name} is a ${kind} that the client library's models read without losing a field`, () => {
      const check = checkWithModels(object);
      expect(check.modelName).toBe(`V1${kind}`);
      expect(check.unknownFields).toEqual([]);
      expect(missingRequired(object)).toEqual([]);
    });
  }
});

describe('manifest invariants', () => {
  let violations: Violation[];
  beforeAll(() => {
    violations = checkManifests(loadManifests(), conjurCaPem);
  });

  for (const name of INVARIANT_NAMES) {
    it(name, () => {
      expect(violations.find((v) => v.invariant === name)?.problems ?? []).toEqual([]);
    });
  }

  it('refuses the shipped placeholder Conjur certificate with one line naming CONJUR_SSL_CERTIFICATE', () => {
    const m = loadManifests();
    const env = { ...agentEnvironment(m, conjurCaPem), CONJUR_SSL_CERTIFICATE: m.configMap.data?.['CONJUR_SSL_CERTIFICATE'] };
    const load = (): unknown => loadConfig({ env, file: configArgument(m), fileSystem: agentFileSystem(m) });
    expect(load).toThrow(ConfigError);
    try {
      load();
    } catch (error) {
      expect((error as ConfigError).lines()).toEqual(['conjur.sslCertificate: expected PEM certificates (no PEM certificate found) (from CONJUR_SSL_CERTIFICATE)']);
    }
  });
});

// Each row breaks one invariant on a parsed copy; the checker must name it. This is what keeps
// the invariant table honest: a check that cannot fail protects nothing.
interface Mutation {
  readonly breaks: string;
  readonly change: string;
  mutate(m: Manifests): void;
}

const pod = (m: Manifests) => m.daemonSet.spec!.template.spec!;
const agent = (m: Manifests): V1Container => agentContainer(m)!;
const app = (m: Manifests): V1Container => m.exampleDeployment.spec!.template.spec!.containers[0]!;
const mountOf = (c: V1Container, path: string) => c.volumeMounts!.find((v) => v.mountPath === path)!;
const envVar = (c: V1Container, name: string): V1EnvVar => c.env!.find((e) => e.name === name)!;
const exampleVolume = (m: Manifests, name: string) => m.exampleDeployment.spec!.template.spec!.volumes!.find((v) => v.name === name)!;
const csiContainer = (m: Manifests, name: string): V1Container => m.csiDaemonSet.spec!.template.spec!.containers.find((c) => c.name === name)!;
const EXAMPLE_SOCKET = "the example workload mounts the agent's socket directory through the SPIFFE CSI driver, read-only, and no host path";
const editAgentYaml = (m: Manifests, from: string, to: string): void => {
  m.configMap.data!['agent.yaml'] = m.configMap.data!['agent.yaml']!.replace(from, to);
};

const mutations: Mutation[] = [
  { breaks: 'the agent shares the host PID namespace', change: 'hostPID is turned off', mutate: (m) => void (pod(m).hostPID = false) },
  { breaks: 'the agent does not use the host network', change: 'hostNetwork is turned on', mutate: (m) => void (pod(m).hostNetwork = true) },
  { breaks: 'the kubelet pods directory is mounted read-only with HostToContainer propagation', change: 'the kubelet pods mount becomes writable', mutate: (m) => void (mountOf(agent(m), '/var/lib/kubelet/pods').readOnly = false) },
  { breaks: 'the kubelet pods directory is mounted read-only with HostToContainer propagation', change: 'mount propagation is dropped', mutate: (m) => void delete mountOf(agent(m), '/var/lib/kubelet/pods').mountPropagation },
  { breaks: 'the socket directory is a host directory mounted writable where socketPath points', change: 'the socket directory becomes an emptyDir', mutate: (m) => void (pod(m).volumes![0] = { name: 'agent-socket', emptyDir: {} }) },
  { breaks: CONFIG_LOADS, change: 'socketPath moves to a directory the agent does not mount', mutate: (m) => editAgentYaml(m, 'socketPath: /run/conjur-spiffe/agent.sock', 'socketPath: /run/elsewhere/agent.sock') },
  { breaks: CONFIG_LOADS, change: 'agent.yaml gains a misspelled key', mutate: (m) => editAgentYaml(m, 'trustDomain:', 'trustDomian:') },
  { breaks: "the agent's /etc/conjur/ssl is a memory-backed emptyDir", change: 'the conjur-ssl emptyDir is disk-backed', mutate: (m) => void delete pod(m).volumes!.find((v) => v.name === 'conjur-ssl')!.emptyDir!.medium },
  { breaks: 'no host path other than the socket and kubelet pods directories is mounted', change: 'the host /etc is mounted', mutate: (m) => void pod(m).volumes!.push({ name: 'etc', hostPath: { path: '/etc' } }) },
  { breaks: 'the downward API provides MY_NODE_NAME, MY_NODE_IP, MY_POD_NAME and MY_POD_NAMESPACE', change: 'MY_NODE_IP is removed', mutate: (m) => void (agent(m).env = agent(m).env!.filter((e) => e.name !== 'MY_NODE_IP')) },
  { breaks: 'the Conjur settings come from the ConfigMap under the Conjur tooling names', change: 'CONJUR_ACCOUNT is a literal', mutate: (m) => void Object.assign(envVar(agent(m), 'CONJUR_ACCOUNT'), { value: 'myorg', valueFrom: undefined }) },
  { breaks: "the probes reach /live and /ready on agent.yaml's health port", change: 'the readiness probe targets the metrics port', mutate: (m) => void (agent(m).readinessProbe!.httpGet!.port = 9090) },
  { breaks: "the probes reach /live and /ready on agent.yaml's health port", change: 'health listens on loopback only', mutate: (m) => editAgentYaml(m, 'listen: 0.0.0.0:8080', 'listen: 127.0.0.1:8080') },
  { breaks: 'no container of the agent or the example workload is privileged', change: 'the example app becomes privileged', mutate: (m) => void (app(m).securityContext!.privileged = true) },
  { breaks: 'the agent drops every capability and adds none', change: 'SYS_ADMIN is added', mutate: (m) => void (agent(m).securityContext!.capabilities!.add = ['SYS_ADMIN']) },
  { breaks: 'the root filesystem is read-only and privilege escalation is off', change: 'the root filesystem becomes writable', mutate: (m) => void (agent(m).securityContext!.readOnlyRootFilesystem = false) },
  { breaks: 'the agent reads the configuration file the ConfigMap provides, as the image does', change: 'the Dockerfile reads another file', mutate: (m) => void (m.dockerfile = m.dockerfile.replace('/etc/conjur-spiffe/agent.yaml', '/etc/agent.yaml')) },
  { breaks: 'rollouts replace one agent at a time without a second agent on the node', change: 'rollouts may surge', mutate: (m) => void (m.daemonSet.spec!.updateStrategy!.rollingUpdate!.maxSurge = 1) },
  { breaks: 'the ClusterRole grants only get, list and watch on pods and get on nodes/pods', change: 'pods may be created', mutate: (m) => void m.clusterRole.rules![0]!.verbs.push('create') },
  { breaks: 'the ClusterRole grants only get, list and watch on pods and get on nodes/pods', change: 'nodes/proxy replaces nodes/pods', mutate: (m) => void (m.clusterRole.rules![1]!.resources = ['nodes/proxy']) },
  { breaks: 'each kustomization lists every manifest file beside it', change: 'cluster-role.yaml is left out', mutate: (m) => void (m.kustomization.resources = m.kustomization.resources!.filter((r) => r !== 'cluster-role.yaml')) },
  { breaks: "the agent's Conjur host restricts namespace, service account and container to the DaemonSet's", change: 'the agent host requires a deployment', mutate: (m) => void ((m.policy.hosts.get('spiffe/agent') as Record<string, string>)['authn-k8s/deployment'] = 'agent') },
  { breaks: EXAMPLE_SOCKET, change: 'the CSI volume is not read-only', mutate: (m) => void (exampleVolume(m, 'agent-socket').csi!.readOnly = false) },
  { breaks: EXAMPLE_SOCKET, change: 'the example mounts the socket directory as a hostPath again', mutate: (m) => void Object.assign(exampleVolume(m, 'agent-socket'), { csi: undefined, hostPath: { path: '/run/conjur-spiffe' } }) },
  { breaks: EXAMPLE_SOCKET, change: 'the CSI volume names another driver', mutate: (m) => void (exampleVolume(m, 'agent-socket').csi!.driver = 'csi.example.com') },
  { breaks: 'every example pod meets the pod contract and Pod Security restricted (check pod)', change: 'the injection target may escalate privileges', mutate: (m) => void delete m.exampleDeployment.spec!.template.spec!.containers[1]!.securityContext!.allowPrivilegeEscalation },
  { breaks: 'every example pod meets the pod contract and Pod Security restricted (check pod)', change: "the injection target's /etc/conjur/ssl is on disk", mutate: (m) => void delete exampleVolume(m, 'conjur-ssl').emptyDir!.medium },
  { breaks: 'every example pod meets the pod contract and Pod Security restricted (check pod)', change: 'the Job mounts the socket as a hostPath', mutate: (m) => void Object.assign(m.exampleJob.spec!.template.spec!.volumes![0]!, { csi: undefined, hostPath: { path: '/run/conjur-spiffe' } }) },
  { breaks: "the example Job has one container, the injection target its Conjur host names, restricted to the Job's namespace and service account", change: 'the Job gains a sidecar', mutate: (m) => void m.exampleJob.spec!.template.spec!.containers.push({ name: 'authenticator', image: 'busybox:1.37' }) },
  { breaks: "the example Job has one container, the injection target its Conjur host names, restricted to the Job's namespace and service account", change: "the Job's host names another container", mutate: (m) => void ((m.policy.hosts.get('spiffe/example-report') as Record<string, string>)['authn-k8s/authentication-container-name'] = 'authenticator') },
  { breaks: 'the example namespace enforces Pod Security restricted', change: 'the example namespace enforces baseline', mutate: (m) => void (m.exampleNamespace.metadata!.labels!['pod-security.kubernetes.io/enforce'] = 'baseline') },
  { breaks: 'the CSIDriver takes only read-only inline ephemeral volumes: no attach, pod info on mount, no fsGroup changes', change: 'the CSIDriver also takes persistent volumes', mutate: (m) => void m.csiDriver.spec.volumeLifecycleModes!.push('Persistent') },
  { breaks: 'the CSIDriver takes only read-only inline ephemeral volumes: no attach, pod info on mount, no fsGroup changes', change: 'fsGroupPolicy is File', mutate: (m) => void (m.csiDriver.spec.fsGroupPolicy = 'File') },
  { breaks: "the driver publishes the agent's socket directory: the same host directory, mounted read-only", change: 'the driver publishes another directory', mutate: (m) => void (csiContainer(m, 'spiffe-csi-driver').args![1] = '/run/spire') },
  { breaks: "the driver publishes the agent's socket directory: the same host directory, mounted read-only", change: 'the socket directory is writable in the driver', mutate: (m) => void (mountOf(csiContainer(m, 'spiffe-csi-driver'), '/run/conjur-spiffe').readOnly = false) },
  { breaks: 'only the driver container is privileged, for Bidirectional propagation on the kubelet pods directory', change: 'the registrar becomes privileged', mutate: (m) => void (csiContainer(m, 'node-driver-registrar').securityContext!.privileged = true) },
  { breaks: 'only the driver container is privileged, for Bidirectional propagation on the kubelet pods directory', change: 'the kubelet pods mount loses Bidirectional propagation', mutate: (m) => void (mountOf(csiContainer(m, 'spiffe-csi-driver'), '/var/lib/kubelet/pods').mountPropagation = 'HostToContainer') },
  { breaks: "the registrar registers the driver's socket where the kubelet finds it", change: 'the registration path names another plugin directory', mutate: (m) => void (csiContainer(m, 'node-driver-registrar').args![1] = '--kubelet-registration-path=/var/lib/kubelet/plugins/spiffe/csi.sock') },
  { breaks: 'the driver mounts no host path but the socket, plugin, registration and kubelet pods directories', change: 'the driver mounts the host /etc', mutate: (m) => void m.csiDaemonSet.spec!.template.spec!.volumes!.push({ name: 'etc', hostPath: { path: '/etc' } }) },
  { breaks: 'the driver runs on every node without a Kubernetes API token, under RuntimeDefault seccomp, with requests and memory limits', change: "the driver gets the service account's token", mutate: (m) => void (m.csiDaemonSet.spec!.template.spec!.automountServiceAccountToken = true) },
  { breaks: 'the driver image is the version test/csi builds and runs', change: 'the component pins another driver version', mutate: (m) => void (m.csiComponent.images![0]!.newTag = '0.2.5') },
  { breaks: "the agent's kustomization includes the CSI driver component, which lists every file beside it", change: 'the component is left out', mutate: (m) => void (m.kustomization.components = []) },
  { breaks: "the agent's kustomization includes the CSI driver component, which lists every file beside it", change: 'the component forgets csi-driver.yaml', mutate: (m) => void (m.csiComponent.resources = ['daemon-set.yaml']) },
  { breaks: "every privilege in the driver's DaemonSet has a PRIVILEGE comment saying why", change: 'the PRIVILEGE comments are removed', mutate: (m) => void (m.csiDaemonSetText = m.csiDaemonSetText.replace(/# PRIVILEGE[^\n]*/g, '# needed')) },
  { breaks: "every namespaced object is in the agent's namespace", change: 'the CSI driver DaemonSet moves to kube-system', mutate: (m) => void (m.csiDaemonSet.metadata!.namespace = 'kube-system') },
  { breaks: "the example's SPIFFE_ENDPOINT_SOCKET names the agent's socket inside that mount", change: 'SPIFFE_ENDPOINT_SOCKET names another file', mutate: (m) => void (envVar(app(m), 'SPIFFE_ENDPOINT_SOCKET').value = 'unix:///run/conjur-spiffe/api.sock') },
  { breaks: 'the example pod claims a host that the Conjur policy declares', change: 'the login annotation names an unknown host', mutate: (m) => void (m.exampleDeployment.spec!.template.metadata!.annotations!['conjur.org/authn-login'] = 'host/spiffe/other') },
  { breaks: "the example's Conjur host restrictions match its Deployment", change: 'the Deployment changes service account', mutate: (m) => void (m.exampleDeployment.spec!.template.spec!.serviceAccountName = 'default') },
  { breaks: 'the agent container is the single container, named authenticator', change: 'the agent container is renamed', mutate: (m) => void (agent(m).name = 'agent') },
  { breaks: 'the agent runs under the RuntimeDefault seccomp profile', change: 'the seccomp profile is dropped', mutate: (m) => void delete pod(m).securityContext!.seccompProfile },
  { breaks: 'the agent has resource requests and a memory limit', change: 'the memory limit is dropped', mutate: (m) => void delete agent(m).resources!.limits },
  { breaks: 'the agent runs on every node whatever its taints', change: 'only control-plane taints are tolerated', mutate: (m) => void (pod(m).tolerations = [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }]) },
  { breaks: 'SIGTERM draining fits in the termination grace period', change: 'the grace period is 5 seconds', mutate: (m) => void (pod(m).terminationGracePeriodSeconds = 5) },
  { breaks: "the ClusterRoleBinding gives that role to the agent's service account only", change: 'the binding names the default namespace', mutate: (m) => void (m.clusterRoleBinding.subjects![0]!.namespace = 'default') },
  { breaks: 'the agent runs as its own service account, with the token mounted', change: 'the agent runs as the default service account', mutate: (m) => void (pod(m).serviceAccountName = 'default') },
  { breaks: "every namespaced object is in the agent's namespace", change: 'the ConfigMap moves to default', mutate: (m) => void (m.configMap.metadata!.namespace = 'default') },
  { breaks: 'the agent may authenticate and read the CA certificate, and no one may read the CA key', change: 'the agent is permitted on ca/key', mutate: (m) => void (m.policy.permits as object[]).push({ role: 'host:spiffe/agent', privileges: ['execute'], resource: 'variable:conjur/authn-k8s/dev-cluster/ca/key' }) },
  { breaks: "the example's injection target mounts a memory-backed emptyDir at /etc/conjur/ssl", change: 'the injection target is renamed', mutate: (m) => void (m.exampleDeployment.spec!.template.spec!.containers[1]!.name = 'sidecar') },
  { breaks: 'the example may authenticate and read its secret', change: "the secret's permit is removed", mutate: (m) => void (m.policy.permits as unknown[]).splice(m.policy.permits.findIndex((p) => p.resource.endsWith('db-password')), 1) },
];

describe('the invariant checker', () => {
  it('has a mutation that breaks each invariant', () => {
    expect(INVARIANT_NAMES.filter((name) => !mutations.some((mu) => mu.breaks === name))).toEqual([]);
  });

  for (const mutation of mutations) {
    it(`reports "${mutation.breaks}" when ${mutation.change}`, () => {
      const m = loadManifests();
      mutation.mutate(m);
      expect(checkManifests(m, conjurCaPem).map((v) => v.invariant)).toContain(mutation.breaks);
    });
  }
});
