import { byDefault, field, optional } from './field.js';
import { absolutePath, boolean, durationMs, positiveDurationMs, url } from './field-types.js';

// The kubelet (pods of this node) and the Kubernetes API server (cross-check and watch).
// Connection details fall back to what Kubernetes gives every pod: the service-account token
// and CA, MY_NODE_IP (downward API status.hostIP) and KUBERNETES_SERVICE_HOST/PORT.

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export const KUBE_FIELDS = {
  kubeletUrl: field({
    path: 'kubelet.url',
    type: url('https', 'http'),
    presence: optional('`https://$MY_NODE_IP:10250`, else `https://<nodeName>:10250` (`http://...:10255` with kubelet.readOnlyPort)'),
    description: "The kubelet's address. The agent does not use hostNetwork, so 127.0.0.1 is not the node.",
  }),
  kubeletReadOnlyPort: field({
    path: 'kubelet.readOnlyPort',
    type: boolean,
    presence: byDefault(false),
    description: "Use the kubelet's unauthenticated plain-HTTP read-only port (usually disabled). Required for an http:// kubelet.url.",
  }),
  kubeletTokenFile: field({
    path: 'kubelet.tokenFile',
    type: absolutePath,
    presence: byDefault(`${SERVICE_ACCOUNT_DIR}/token`),
    description: 'Bearer token for the kubelet (needs get on nodes/pods, or nodes/proxy before Kubernetes 1.33); re-read when it rotates.',
  }),
  kubeletCaFile: field({
    path: 'kubelet.caFile',
    type: absolutePath,
    presence: byDefault(`${SERVICE_ACCOUNT_DIR}/ca.crt`),
    description: "CA of the kubelet's serving certificate. The cluster CA signs it only with serverTLSBootstrap; otherwise give the right CA or use kubelet.insecureSkipTlsVerify.",
  }),
  kubeletInsecureSkipTlsVerify: field({
    path: 'kubelet.insecureSkipTlsVerify',
    type: boolean,
    presence: byDefault(false),
    description: "INSECURE: do not verify the kubelet's certificate (for self-signed kubelet certificates). The token is still sent.",
  }),
  kubeletMinRequestIntervalMs: field({
    path: 'kubelet.minRequestInterval',
    type: durationMs,
    presence: byDefault('500ms'),
    description: 'Least time between two /pods requests; callers in between share the next answer.',
  }),
  kubeletNewContainerWaitMs: field({
    path: 'kubelet.newContainerWait',
    type: durationMs,
    presence: byDefault('10s'),
    description: 'How long an attestation waits for a just-started container to appear in /pods.',
  }),
  kubeletRequestTimeoutMs: field({
    path: 'kubelet.requestTimeout',
    type: positiveDurationMs,
    presence: byDefault('10s'),
    description: 'Timeout of one /pods request.',
  }),
  kubernetesKubeconfig: field({
    path: 'kubernetes.kubeconfig',
    type: absolutePath,
    presence: optional('in-cluster configuration'),
    description: 'A kubeconfig file, for development outside a cluster; replaces the in-cluster settings below.',
  }),
  kubernetesApiServerUrl: field({
    path: 'kubernetes.apiServerUrl',
    type: url('https'),
    presence: optional('`https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`'),
    description: 'The API server, in-cluster.',
  }),
  kubernetesTokenFile: field({
    path: 'kubernetes.tokenFile',
    type: absolutePath,
    presence: byDefault(`${SERVICE_ACCOUNT_DIR}/token`),
    description: 'Bearer token for the API server, in-cluster (needs get, list, watch on pods); re-read on every request once it changed, so a rotated token is used at once.',
  }),
  kubernetesCaFile: field({
    path: 'kubernetes.caFile',
    type: absolutePath,
    presence: byDefault(`${SERVICE_ACCOUNT_DIR}/ca.crt`),
    description: "CA of the API server's certificate, in-cluster.",
  }),
  kubernetesRequestTimeoutMs: field({
    path: 'kubernetes.requestTimeout',
    type: positiveDurationMs,
    presence: byDefault('10s'),
    description: 'Timeout of one API request (watches excepted).',
  }),
} as const;
