import { KubeConfig } from '@kubernetes/client-node';
import { KubeError } from './kube-error.js';

/**
 * Where the API server and the credentials come from:
 * - in-cluster: the pod's service account (token re-read by client-node as it rotates; CA and
 *   namespace files; the KUBERNETES_SERVICE_HOST/PORT environment, read by client-node itself)
 * - kubeconfig: a kubeconfig file, for development (optionally a context other than current)
 * - token: an explicit server URL, CA certificate and bearer token
 */
export type KubeConfigSource =
  | { readonly kind: 'in-cluster' }
  | { readonly kind: 'kubeconfig'; readonly path: string; readonly context?: string }
  | { readonly kind: 'token'; readonly server: string; readonly caPem: string; readonly token: string };

export function loadKubeConfig(source: KubeConfigSource): KubeConfig {
  const kc = new KubeConfig();
  try {
    switch (source.kind) {
      case 'in-cluster':
        kc.loadFromCluster();
        break;
      case 'kubeconfig':
        kc.loadFromFile(source.path);
        if (source.context) kc.setCurrentContext(source.context);
        break;
      case 'token':
        kc.loadFromOptions({
          clusters: [{ name: 'cluster', server: source.server, caData: Buffer.from(source.caPem).toString('base64'), skipTLSVerify: false }],
          users: [{ name: 'agent', token: source.token }],
          contexts: [{ name: 'agent', cluster: 'cluster', user: 'agent' }],
          currentContext: 'agent',
        });
        break;
    }
  } catch (error) {
    throw new KubeError('invalid-config', `cannot load kubernetes configuration (${source.kind})`, { cause: error });
  }
  const server = kc.getCurrentCluster()?.server;
  if (!server || server.includes('undefined')) {
    throw new KubeError('invalid-config', `kubernetes configuration (${source.kind}) names no api server`);
  }
  return kc;
}
