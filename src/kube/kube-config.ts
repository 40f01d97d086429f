import { KubeConfig } from '@kubernetes/client-node';
import { KubeError } from './kube-error.js';
import { TOKEN_FILE_PROVIDER, TokenFileAuthenticator } from './token-file-authenticator.js';

/**
 * Where the API server and the credentials come from:
 * - in-cluster: the pod's service account: the API server URL, the projected token file (read
 *   again on every request once it changed, so a rotated token is used at once) and the CA file,
 *   as the configuration resolved them (kubernetes.apiServerUrl, .tokenFile, .caFile)
 * - kubeconfig: a kubeconfig file, for development (optionally a context other than current)
 * - token: an explicit server URL, CA certificate and bearer token
 */
export type KubeConfigSource =
  | { readonly kind: 'in-cluster'; readonly server: string; readonly tokenFile: string; readonly caFile: string }
  | { readonly kind: 'kubeconfig'; readonly path: string; readonly context?: string }
  | { readonly kind: 'token'; readonly server: string; readonly caPem: string; readonly token: string };

export function loadKubeConfig(source: KubeConfigSource): KubeConfig {
  const kc = new KubeConfig();
  try {
    switch (source.kind) {
      case 'in-cluster':
        kc.loadFromOptions({
          clusters: [{ name: 'in-cluster', server: source.server, caFile: source.caFile, skipTLSVerify: false }],
          users: [{ name: 'service-account', authProvider: { name: TOKEN_FILE_PROVIDER, config: {} } }],
          contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'service-account' }],
          currentContext: 'in-cluster',
        });
        kc.addAuthenticator(new TokenFileAuthenticator(source.tokenFile));
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
