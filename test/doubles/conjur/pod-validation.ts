import { ConjurDenial } from './http.js';
import { KubeHttpError } from './kube-lookup.js';
import type { KubeLookup, KubeObject } from './kube-lookup.js';
import type { PodRef } from './csr.js';
import { checkRestrictions, containerNameOf, extractRestrictions, validateRestrictions } from './restrictions.js';
import type { ConjurState } from './state.js';

// Conjur's ValidatePodRequest: checks 4–12 of protocol §4.1, shared by inject (host from the CSR
// CN, pod from the CSR SAN, the server's own account) and authenticate (host from the cert CN,
// pod from the cert SAN, the URL account). Only a missing `authenticate` is a 403.

export interface PodRequest {
  readonly account: string;
  readonly serviceId: string;
  readonly hostId: string;
  readonly pod: PodRef;
}

export interface ValidatedPod {
  readonly pod: KubeObject;
  /** The container the certificate goes into (§6.4). */
  readonly container: string;
}

export async function validatePodRequest(state: ConjurState, kube: KubeLookup, request: PodRequest): Promise<ValidatedPod> {
  state.requireAccount(request.account);
  state.requireEnabled(request.serviceId);
  const host = state.requireHostMayAuthenticate(request.hostId, request.serviceId);
  const gone = state.podsGone.has(`${request.pod.namespace}/${request.pod.podName}`);
  const pod = gone ? undefined : await kubeCall(() => kube.get('pods', request.pod.namespace, request.pod.podName));
  if (!pod) throw new ConjurDenial('CONJ00024E', `pod ${request.pod.podName} not found in namespace ${request.pod.namespace}`);
  const phase = ((pod['status'] ?? {}) as { phase?: unknown }).phase;
  if (phase !== 'Running') throw new ConjurDenial('CONJ00000E', `pod ${request.pod.podName} is not running (phase ${String(phase)})`);
  const restrictions = extractRestrictions(host.annotations, request.serviceId, request.hostId);
  validateRestrictions(restrictions);
  await kubeCall(() => checkRestrictions(restrictions, pod, request.pod, kube));
  const container = containerNameOf(host.annotations, request.serviceId);
  if (!containerNames(pod).includes(container)) {
    throw new ConjurDenial('CONJ00028E', `container ${container} was not found in pod ${request.pod.podName}`);
  }
  return { pod, container };
}

/** Kubernetes errors other than "not found" surface as a generic failure (still a 401). */
async function kubeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ConjurDenial) throw error;
    const detail = error instanceof KubeHttpError ? error.message : `kubernetes api unreachable: ${String(error)}`;
    throw new ConjurDenial('CONJ00000E', detail);
  }
}

function containerNames(pod: KubeObject): string[] {
  const spec = (pod['spec'] ?? {}) as Record<string, unknown>;
  const list = (key: string) => (Array.isArray(spec[key]) ? (spec[key] as { name?: unknown }[]) : []);
  return [...list('containers'), ...list('initContainers')].map((c) => String(c.name));
}
