import type { Invariant } from './agent-invariants.js';
import type { ConjurPolicy } from './conjur-policy.js';
import { agentContainer } from './manifests.js';
import type { Manifests } from './manifests.js';
import { expectThat, sameSet } from './pod-lookups.js';

// Who may do what: the agent's RBAC, its namespace and service account, the kustomizations,
// and the agent's side of the Conjur policy.

/** Exactly these `group/resource:verb` grants, nothing else. */
const ALLOWED_GRANTS = ['/pods:get', '/pods:list', '/pods:watch', '/nodes/pods:get'];
/** authn-k8s restrictions a DaemonSet pod cannot satisfy or that break on every rollout. */
const UNPROVABLE_FOR_DAEMONSET = ['deployment', 'stateful-set', 'deployment-config', 'pod'];

export function serviceIdOf(m: Manifests): string | undefined {
  return /\/authn-k8s\/([^/]+)$/.exec(m.configMap.data?.['CONJUR_AUTHN_URL'] ?? '')?.[1];
}

export function agentHostId(m: Manifests): string {
  return (m.configMap.data?.['CONJUR_AUTHN_LOGIN'] ?? '').replace(/^host\//, '');
}

/** Roles that hold `privilege` on `resource`: directly, or through a group they were granted. */
export function mayDo(policy: ConjurPolicy, role: string, privilege: string, resource: string): boolean {
  return policy.permits.some((p) => p.resource === resource && p.privileges.includes(privilege) && (p.role === role || (policy.grants.get(p.role) ?? []).includes(role)));
}

export const ACCESS_INVARIANTS: readonly Invariant[] = [
  {
    name: 'the ClusterRole grants only get, list and watch on pods and get on nodes/pods',
    usesConfig: false,
    check(m) {
      const grants = (m.clusterRole.rules ?? []).flatMap((r) =>
        (r.apiGroups ?? ['?']).flatMap((g) => (r.resources ?? ['?']).flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`))),
      );
      const extra = grants.filter((g) => !ALLOWED_GRANTS.includes(g)).map((g) => `unexpected grant ${g}`);
      const unnamed = (m.clusterRole.rules ?? []).some((r) => r.resourceNames !== undefined || r.nonResourceURLs !== undefined);
      return [...extra, ...expectThat(sameSet(grants, ALLOWED_GRANTS), `grants are ${grants.join(', ')}`), ...expectThat(!unnamed, 'resourceNames or nonResourceURLs used')];
    },
  },
  {
    name: "the ClusterRoleBinding gives that role to the agent's service account only",
    usesConfig: false,
    check(m) {
      const b = m.clusterRoleBinding;
      const subject = b.subjects?.[0];
      return [
        ...expectThat(b.roleRef.kind === 'ClusterRole' && b.roleRef.name === m.clusterRole.metadata?.name, 'roleRef is not the ClusterRole'),
        ...expectThat(
          b.subjects?.length === 1 && subject?.kind === 'ServiceAccount' && subject.name === m.serviceAccount.metadata?.name && subject.namespace === m.namespace.metadata?.name,
          'subjects are not exactly the agent service account',
        ),
      ];
    },
  },
  {
    name: "the agent runs as its own service account, with the token mounted",
    usesConfig: false,
    check: (m) =>
      expectThat(
        m.daemonSet.spec?.template.spec?.serviceAccountName === m.serviceAccount.metadata?.name && m.serviceAccount.automountServiceAccountToken !== false,
        'serviceAccountName is not the agent service account, or its token is not mounted',
      ),
  },
  {
    name: "every namespaced object is in the agent's namespace",
    usesConfig: false,
    check(m) {
      const ns = m.namespace.metadata?.name;
      const objects = { ServiceAccount: m.serviceAccount, ConfigMap: m.configMap, DaemonSet: m.daemonSet, 'the CSI driver DaemonSet': m.csiDaemonSet };
      return [
        ...Object.entries(objects).flatMap(([kind, o]) => expectThat(o.metadata?.namespace === ns, `${kind} is in ${o.metadata?.namespace ?? 'no namespace'}, not ${ns}`)),
        ...expectThat(m.kustomization.namespace === ns, `the kustomization's namespace is not ${ns}`),
      ];
    },
  },
  {
    name: 'each kustomization lists every manifest file beside it',
    usesConfig: false,
    check: (m) => [
      ...expectThat(sameSet(m.kustomization.resources ?? [], m.agentFiles), `daemonset/kustomization.yaml lists ${(m.kustomization.resources ?? []).join(', ')}; files are ${m.agentFiles.join(', ')}`),
      ...expectThat(sameSet(m.exampleKustomization.resources ?? [], m.exampleFiles), `examples/kustomization.yaml lists ${(m.exampleKustomization.resources ?? []).join(', ')}; files are ${m.exampleFiles.join(', ')}`),
    ],
  },
  {
    name: "the agent's Conjur host restricts namespace, service account and container to the DaemonSet's",
    usesConfig: false,
    check(m) {
      const annotations = m.policy.hosts.get(agentHostId(m));
      if (annotations === undefined) return [`the policy has no host ${agentHostId(m)} (CONJUR_AUTHN_LOGIN)`];
      return [
        ...expectThat(annotations['authn-k8s/namespace'] === m.daemonSet.metadata?.namespace, 'authn-k8s/namespace is not the DaemonSet namespace'),
        ...expectThat(annotations['authn-k8s/service-account'] === m.serviceAccount.metadata?.name, 'authn-k8s/service-account is not the agent service account'),
        ...expectThat((annotations['authn-k8s/authentication-container-name'] ?? 'authenticator') === agentContainer(m)?.name, 'the injection container is not the agent container'),
        ...UNPROVABLE_FOR_DAEMONSET.filter((r) => annotations[`authn-k8s/${r}`] !== undefined).map((r) => `authn-k8s/${r} cannot hold for a DaemonSet pod`),
      ];
    },
  },
  {
    name: 'the agent may authenticate and read the CA certificate, and no one may read the CA key',
    usesConfig: false,
    check(m) {
      const svc = serviceIdOf(m);
      const agent = `host:${agentHostId(m)}`;
      const base = `conjur/authn-k8s/${svc ?? '?'}`;
      return [
        ...expectThat(svc !== undefined && m.policy.policies.includes(base), `the policy has no authenticator ${base} (CONJUR_AUTHN_URL)`),
        ...expectThat(mayDo(m.policy, agent, 'authenticate', `webservice:${base}`), 'the agent host may not authenticate'),
        ...expectThat(mayDo(m.policy, agent, 'execute', `variable:${base}/ca/cert`), 'the agent host may not read ca/cert'),
        ...m.policy.permits.filter((p) => p.resource === `variable:${base}/ca/key`).map((p) => `${p.role} is permitted on ca/key`),
      ];
    },
  },
];
