import { ConjurDenial } from './http.js';
import type { KubeLookup, KubeObject } from './kube-lookup.js';
import type { PodRef } from './csr.js';

// Host restrictions of authn-k8s (protocol §6): where they come from (annotations, else the
// legacy host id), which combinations are allowed (checked before any value), and how each is
// checked against the pod and its owners through the Kubernetes API. The first failure wins;
// the client sees 401 for all of them, the CONJ code only goes to the server log.

export interface Restriction {
  readonly name: string;
  readonly value: string;
}

const PERMITTED = new Set(['namespace', 'namespace-label-selector', 'deployment', 'deployment-config', 'stateful-set', 'service-account', 'pod', 'authentication-container-name']);
const CONTROLLERS = ['deployment', 'deployment-config', 'stateful-set'];

/** §6.1: annotation style (service-specific form wins), else the last three host-id parts. */
export function extractRestrictions(annotations: Record<string, string>, serviceId: string, hostId: string): Restriction[] {
  const found = new Map<string, { value: string; specific: boolean }>();
  for (const [key, value] of Object.entries(annotations)) {
    if (value === '') continue;
    const specific = key.startsWith(`authn-k8s/${serviceId}/`) ? key.slice(`authn-k8s/${serviceId}/`.length) : undefined;
    const general = key.startsWith('authn-k8s/') ? key.slice('authn-k8s/'.length) : undefined;
    const name = specific ?? general;
    if (!name || name.includes('/')) continue;
    if (specific === undefined && found.get(name)?.specific) continue;
    found.set(name, { value, specific: specific !== undefined });
  }
  found.delete('authentication-container-name');
  if (found.size > 0) return [...found].map(([name, { value }]) => ({ name, value }));
  const parts = hostId.split('/');
  while (parts.at(-1) === '') parts.pop();
  if (parts.length < 3) throw new ConjurDenial('CONJ00048E', `host id ${hostId} does not end with <namespace>/<type>/<name>`);
  const [namespace, type, name] = parts.slice(-3) as [string, string, string];
  const restrictions = [{ name: 'namespace', value: namespace }];
  if (!(type === '*' && name === '*')) restrictions.push({ name: type.replace(/_/g, '-'), value: name });
  return restrictions;
}

/** §6.2: exactly one namespace form, known names only, at most one controller kind. */
export function validateRestrictions(restrictions: readonly Restriction[]): void {
  const names = restrictions.map((r) => r.name);
  if (names.filter((n) => n === 'namespace' || n === 'namespace-label-selector').length !== 1) {
    throw new ConjurDenial('CONJ00131E', 'exactly one of namespace and namespace-label-selector is required');
  }
  const unknown = names.find((n) => !PERMITTED.has(n));
  if (unknown) throw new ConjurDenial('CONJ00050E', `resource restriction '${unknown}' is not supported`);
  if (names.filter((n) => CONTROLLERS.includes(n)).length > 1) throw new ConjurDenial('CONJ00055E', 'more than one controller restriction');
}

/** §6.3, in order; `pod` is the object fetched for the SAN's namespace and name. */
export async function checkRestrictions(restrictions: readonly Restriction[], pod: KubeObject, ref: PodRef, kube: KubeLookup): Promise<void> {
  for (const { name, value } of restrictions) {
    switch (name) {
      case 'namespace':
        if (value !== ref.namespace) throw new ConjurDenial('CONJ00023E', `namespace ${ref.namespace} does not match ${value}`);
        break;
      case 'namespace-label-selector':
        await checkNamespaceLabels(value, ref, kube);
        break;
      case 'service-account':
        await requireObject(kube, 'serviceaccounts', ref.namespace, value);
        if (field(pod, 'spec', 'serviceAccountName') !== value) throw mismatch('service-account', value);
        break;
      case 'pod': {
        const named = await requireObject(kube, 'pods', ref.namespace, value);
        if (field(named, 'metadata', 'name') !== ref.podName) throw new ConjurDenial('CONJ00060E', `pod ${ref.podName} is not pod ${value}`);
        break;
      }
      case 'deployment':
        await checkOwnerChain(kube, pod, ref, value, ['ReplicaSet', 'replicasets'], ['Deployment', 'deployments']);
        break;
      case 'stateful-set':
        await checkOwnerChain(kube, pod, ref, value, undefined, ['StatefulSet', 'statefulsets']);
        break;
      case 'deployment-config':
        await checkOwnerChain(kube, pod, ref, value, ['ReplicationController', 'replicationcontrollers'], ['DeploymentConfig', 'deploymentconfigs']);
        break;
    }
  }
}

/** §6.4: the container that must exist in the pod and receives the certificate. */
export function containerNameOf(annotations: Record<string, string>, serviceId: string): string {
  const keys = [`authn-k8s/${serviceId}/authentication-container-name`, 'authn-k8s/authentication-container-name', 'kubernetes/authentication-container-name'];
  const key = keys.find((k) => k in annotations);
  return key ? annotations[key]! : 'authenticator';
}

type OwnerStep = [kind: string, resource: 'replicasets' | 'replicationcontrollers' | 'deployments' | 'statefulsets' | 'deploymentconfigs'];

/** GET the named controller, then walk pod → (intermediate) → controller by ownerReferences. */
async function checkOwnerChain(kube: KubeLookup, pod: KubeObject, ref: PodRef, value: string, middle: OwnerStep | undefined, top: OwnerStep): Promise<void> {
  await requireObject(kube, top[1], ref.namespace, value);
  let current = pod;
  for (const [kind, resource] of middle ? [middle, top] : [top]) {
    const owner = ownerOf(current, kind);
    if (!owner) throw new ConjurDenial('CONJ00062E', `${kind} owner not found for ${ref.podName}`);
    current = await requireObject(kube, resource, ref.namespace, owner);
  }
  if (field(current, 'metadata', 'name') !== value) throw mismatch(top[0], value);
}

async function checkNamespaceLabels(selector: string, ref: PodRef, kube: KubeLookup): Promise<void> {
  const pairs = selector.split(',').map((term) => /^([^=!]+)==?([^=!]*)$/.exec(term));
  if (selector === '' || pairs.some((p) => !p)) throw new ConjurDenial('CONJ00094E', `invalid namespace label selector ${selector}`);
  const namespace = await requireObject(kube, 'namespaces', '', ref.namespace);
  const labels = ((namespace['metadata'] as Record<string, unknown> | undefined)?.['labels'] ?? {}) as Record<string, unknown>;
  if (pairs.some((p) => labels[p![1]!] !== p![2])) throw new ConjurDenial('CONJ00083E', `namespace ${ref.namespace} labels do not match ${selector}`);
}

async function requireObject(kube: KubeLookup, resource: Parameters<KubeLookup['get']>[0], namespace: string, name: string): Promise<KubeObject> {
  const object = await kube.get(resource, namespace, name);
  if (!object) throw new ConjurDenial('CONJ00026E', `${resource} ${name} not found in namespace ${namespace}`);
  return object;
}

function ownerOf(object: KubeObject, kind: string): string | undefined {
  const refs = (object['metadata'] as { ownerReferences?: { kind?: unknown; name?: unknown }[] } | undefined)?.ownerReferences ?? [];
  const owner = refs.find((r) => r.kind === kind)?.name;
  return typeof owner === 'string' ? owner : undefined;
}

function field(object: KubeObject, part: string, key: string): unknown {
  return (object[part] as Record<string, unknown> | undefined)?.[key];
}

function mismatch(restriction: string, value: string): ConjurDenial {
  return new ConjurDenial('CONJ00061E', `pod is not related to ${restriction} ${value}`);
}
