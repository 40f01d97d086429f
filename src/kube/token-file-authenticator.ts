import type { OutgoingHttpHeaders } from 'node:http';
import type { KubeConfig, User } from '@kubernetes/client-node';
import { ServiceAccountToken } from './service-account-token.js';

type Authenticator = Parameters<KubeConfig['addAuthenticator']>[0];
type RequestOptions = Parameters<Authenticator['applyAuthentication']>[1];

/** The auth-provider name a kubeconfig user carries to be authenticated by a TokenFileAuthenticator. */
export const TOKEN_FILE_PROVIDER = 'conjur-spiffe-agent-token-file';

/**
 * Bearer auth from a projected service-account token file, for every API request and watch.
 * client-node's own token-file provider re-reads the file only once a minute, so after the
 * kubelet rotates the token (and the old one is revoked, e.g. with its pod binding) requests would
 * fail for up to a minute. This one stats the file on every request and re-reads it when it
 * changed (ServiceAccountToken), so the newest token is always sent.
 */
export class TokenFileAuthenticator implements Authenticator {
  private readonly token: ServiceAccountToken;

  constructor(readonly path: string) {
    this.token = new ServiceAccountToken(path);
  }

  isAuthProvider(user: User): boolean {
    return user.authProvider?.name === TOKEN_FILE_PROVIDER;
  }

  async applyAuthentication(_user: User, options: RequestOptions): Promise<void> {
    // client-node hands a plain header object (never the raw array form) and reads it back after.
    options.headers = { ...(options.headers as OutgoingHttpHeaders | undefined), Authorization: `Bearer ${await this.token.read()}` };
  }
}
