import { basename, dirname } from 'node:path';
import type { V1Container } from '@kubernetes/client-node';
import { mayDo, serviceIdOf } from './access-invariants.js';
import type { Invariant } from './agent-invariants.js';
import type { Manifests } from './manifests.js';
import { envOf, expectThat, mountAt, volumeOf } from './pod-lookups.js';

// What a workload must do to use the agent (the pod contract of design.md §3), checked on the
// example, and the example's side of the Conjur policy.

const LOGIN_ANNOTATION = 'conjur.org/authn-login';

const podSpec = (m: Manifests) => m.exampleDeployment.spec?.template.spec;
const agentSocketHostDir = (m: Manifests) => m.daemonSet.spec?.template.spec?.volumes?.find((v) => v.hostPath?.type === 'DirectoryOrCreate')?.hostPath?.path;
const exampleHostId = (m: Manifests) => (m.exampleDeployment.spec?.template.metadata?.annotations?.[LOGIN_ANNOTATION] ?? '').replace(/^host\//, '');

/** The example's containers that mount the agent's host socket directory. */
function socketUsers(m: Manifests): { container: V1Container; mountPath: string; readOnly: boolean }[] {
  const spec = podSpec(m);
  return (spec?.containers ?? []).flatMap((container) =>
    (container.volumeMounts ?? [])
      .filter((mount) => volumeOf(spec, mount)?.hostPath?.path === agentSocketHostDir(m))
      .map((mount) => ({ container, mountPath: mount.mountPath, readOnly: mount.readOnly === true })),
  );
}

export const WORKLOAD_INVARIANTS: readonly Invariant[] = [
  {
    name: "the example workload mounts the agent's host socket directory read-only",
    usesConfig: true,
    check(m, config) {
      const users = socketUsers(m);
      const agentMount = mountAt(m.daemonSet.spec?.template.spec?.containers[0], dirname(config.socketPath));
      return [
        ...expectThat(agentMount !== undefined && volumeOf(m.daemonSet.spec?.template.spec, agentMount)?.hostPath?.path === agentSocketHostDir(m), 'the agent socket directory is not the shared host directory'),
        ...expectThat(users.length > 0, `no example container mounts the host directory ${agentSocketHostDir(m) ?? '(none)'}`),
        ...users.filter((u) => !u.readOnly).map((u) => `container ${u.container.name} mounts the socket directory writable`),
      ];
    },
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
