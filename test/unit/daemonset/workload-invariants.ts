import { basename } from 'node:path';
import type { V1Container } from '@kubernetes/client-node';
import { checkPodManifest, DEFAULT_POD_CONTRACT } from '../../../src/pod-contract/index.js';
import { mayDo, serviceIdOf } from './access-invariants.js';
import type { Invariant } from './agent-invariants.js';
import type { Manifests } from './manifests.js';
import { envOf, expectThat, mountAt, volumeOf } from './pod-lookups.js';

// What a workload must do to use the agent (the pod contract of design.md §3 and the README),
// checked on the example, and the example's side of the Conjur policy. The example reaches the
// socket through the SPIFFE CSI driver of csi-driver/, so its namespace can enforce `restricted`.

const LOGIN_ANNOTATION = 'conjur.org/authn-login';

const podSpec = (m: Manifests) => m.exampleDeployment.spec?.template.spec;
const exampleHostId = (m: Manifests) => (m.exampleDeployment.spec?.template.metadata?.annotations?.[LOGIN_ANNOTATION] ?? '').replace(/^host\//, '');

/** The example's containers that mount a volume of the SPIFFE CSI driver. */
function socketUsers(m: Manifests): { container: V1Container; mountPath: string; readOnly: boolean }[] {
  const spec = podSpec(m);
  return (spec?.containers ?? []).flatMap((container) =>
    (container.volumeMounts ?? [])
      .filter((mount) => volumeOf(spec, mount)?.csi?.driver === m.csiDriver.metadata?.name)
      .map((mount) => ({ container, mountPath: mount.mountPath, readOnly: mount.readOnly === true || volumeOf(spec, mount)?.csi?.readOnly === true })),
  );
}

export const WORKLOAD_INVARIANTS: readonly Invariant[] = [
  {
    name: "the example workload mounts the agent's socket directory through the SPIFFE CSI driver, read-only, and no host path",
    usesConfig: false,
    check(m) {
      const csiVolumes = (podSpec(m)?.volumes ?? []).filter((v) => v.csi?.driver === m.csiDriver.metadata?.name);
      return [
        ...expectThat(socketUsers(m).length > 0, `no example container mounts a volume of the CSI driver ${m.csiDriver.metadata?.name ?? '(none)'}`),
        ...csiVolumes.filter((v) => v.csi?.readOnly !== true).map((v) => `volume ${v.name} is not csi.readOnly (the driver refuses it)`),
        ...(podSpec(m)?.volumes ?? []).filter((v) => v.hostPath !== undefined).map((v) => `volume ${v.name} is a hostPath`),
      ];
    },
  },
  {
    name: 'every example pod meets the pod contract and Pod Security restricted (check pod)',
    usesConfig: false,
    check: (m) =>
      [m.exampleDeployment, m.exampleJob].flatMap((workload) => {
        const host = (workload.spec?.template.metadata?.annotations?.[LOGIN_ANNOTATION] ?? '').replace(/^host\//, '');
        const target = m.policy.hosts.get(host)?.['authn-k8s/authentication-container-name'] ?? DEFAULT_POD_CONTRACT.injectionContainer;
        return [...checkPodManifest(JSON.stringify(workload), { ...DEFAULT_POD_CONTRACT, injectionContainer: target, csiDriver: m.csiDriver.metadata?.name ?? '' }).problems];
      }),
  },
  {
    name: "the example Job has one container, the injection target its Conjur host names, restricted to the Job's namespace and service account",
    usesConfig: false,
    check(m) {
      const job = m.exampleJob;
      const containers = job.spec?.template.spec?.containers ?? [];
      const hostId = (job.spec?.template.metadata?.annotations?.[LOGIN_ANNOTATION] ?? '').replace(/^host\//, '');
      const host = m.policy.hosts.get(hostId);
      if (host === undefined) return [`${LOGIN_ANNOTATION} names ${hostId || 'nothing'}, which the policy does not declare`];
      return [
        ...expectThat(containers.length === 1 && (job.spec?.template.spec?.initContainers ?? []).length === 0, 'the Job has more than one container'),
        ...expectThat(host['authn-k8s/authentication-container-name'] === containers[0]?.name, `authn-k8s/authentication-container-name is not the Job's container ${containers[0]?.name ?? ''}`),
        ...expectThat(host['authn-k8s/namespace'] === job.metadata?.namespace, 'authn-k8s/namespace is not the Job namespace'),
        ...expectThat(host['authn-k8s/service-account'] === job.spec?.template.spec?.serviceAccountName, 'authn-k8s/service-account is not the Job service account'),
        ...expectThat(mayDo(m.policy, `host:${hostId}`, 'authenticate', `webservice:conjur/authn-k8s/${serviceIdOf(m) ?? '?'}`), 'the Job host may not authenticate'),
      ];
    },
  },
  {
    name: 'the example namespace enforces Pod Security restricted',
    usesConfig: false,
    check: (m) => expectThat(m.exampleNamespace.metadata?.labels?.['pod-security.kubernetes.io/enforce'] === 'restricted', 'pod-security.kubernetes.io/enforce is not restricted'),
  },
  {
    name: "the example's SPIFFE_ENDPOINT_SOCKET names the agent's socket inside that mount",
    usesConfig: true,
    check: (m, config) =>
      socketUsers(m).flatMap(({ container, mountPath }) => {
        const expected = `unix://${mountPath}/${basename(config.socketPath)}`;
        const actual = envOf(container, 'SPIFFE_ENDPOINT_SOCKET')?.value;
        return expectThat(actual === expected, `container ${container.name}: SPIFFE_ENDPOINT_SOCKET is ${actual ?? 'unset'}, expected ${expected}`);
      }),
  },
  {
    name: "the example's injection target mounts a memory-backed emptyDir at /etc/conjur/ssl",
    usesConfig: false,
    check(m) {
      const host = m.policy.hosts.get(exampleHostId(m)) ?? {};
      const name = host['authn-k8s/authentication-container-name'] ?? 'authenticator';
      const target = podSpec(m)?.containers.find((c) => c.name === name);
      const emptyDir = volumeOf(podSpec(m), mountAt(target, '/etc/conjur/ssl'))?.emptyDir;
      return [...expectThat(target !== undefined, `no container named ${name}`), ...expectThat(emptyDir?.medium === 'Memory', `container ${name} has no memory emptyDir at /etc/conjur/ssl`)];
    },
  },
  {
    name: 'the example pod claims a host that the Conjur policy declares',
    usesConfig: false,
    check: (m) => expectThat(exampleHostId(m) !== '' && m.policy.hosts.has(exampleHostId(m)), `${LOGIN_ANNOTATION} names ${exampleHostId(m) || 'nothing'}, which the policy does not declare`),
  },
  {
    name: "the example's Conjur host restrictions match its Deployment",
    usesConfig: false,
    check(m) {
      const host = m.policy.hosts.get(exampleHostId(m)) ?? {};
      const d = m.exampleDeployment;
      const serviceAccount = d.spec?.template.spec?.serviceAccountName;
      return [
        ...expectThat(host['authn-k8s/namespace'] === d.metadata?.namespace, 'authn-k8s/namespace is not the Deployment namespace'),
        ...expectThat(host['authn-k8s/service-account'] === serviceAccount && m.exampleServiceAccount.metadata?.name === serviceAccount, 'authn-k8s/service-account is not the Deployment service account'),
        ...expectThat(host['authn-k8s/deployment'] === d.metadata?.name, 'authn-k8s/deployment is not the Deployment'),
        ...expectThat(m.exampleNamespace.metadata?.name === d.metadata?.namespace, 'the example namespace is not the Deployment namespace'),
      ];
    },
  },
  {
    name: 'the example may authenticate and read its secret',
    usesConfig: false,
    check(m) {
      const host = `host:${exampleHostId(m)}`;
      const readable = m.policy.resources.filter((r) => r.startsWith('variable:') && !r.includes('/ca/') && mayDo(m.policy, host, 'execute', r));
      return [
        ...expectThat(mayDo(m.policy, host, 'authenticate', `webservice:conjur/authn-k8s/${serviceIdOf(m) ?? '?'}`), 'the example host may not authenticate'),
        ...expectThat(readable.length > 0, 'the example host may read no secret'),
      ];
    },
  },
];
