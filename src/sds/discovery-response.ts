import type { DiscoveryResponse } from '../gen/envoy/service/discovery/v3/DiscoveryResponse.js';
import type { SecretSet } from './secret-set.js';
import { SECRET_TYPE_URL } from './type-urls.js';

export { SECRET_TYPE_URL, SPIFFE_VALIDATOR_NAME, SPIFFE_VALIDATOR_TYPE_URL } from './type-urls.js';

/**
 * A DiscoveryResponse holding a set's Secrets, each an `Any` of envoy...tls.v3.Secret with its
 * real type URL. FetchSecrets answers have an empty nonce, as in xDS.
 */
export function toDiscoveryResponse(set: SecretSet, nonce: string): DiscoveryResponse {
  return {
    version_info: set.versionInfo,
    resources: set.secrets.map((secret) => ({ type_url: SECRET_TYPE_URL, value: secret.value })),
    type_url: SECRET_TYPE_URL,
    nonce,
  };
}
