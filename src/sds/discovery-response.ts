import { createHash } from 'node:crypto';
import type { DataSource } from '../gen/envoy/config/core/v3/DataSource.js';
import type { CertificateValidationContext } from '../gen/envoy/extensions/transport_sockets/tls/v3/CertificateValidationContext.js';
import type { SPIFFECertValidatorConfig } from '../gen/envoy/extensions/transport_sockets/tls/v3/SPIFFECertValidatorConfig.js';
import type { DiscoveryResponse } from '../gen/envoy/service/discovery/v3/DiscoveryResponse.js';
import type { SdsSecret } from './sds-secret.js';

export const SECRET_TYPE_URL = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';
export const SPIFFE_VALIDATOR_TYPE_URL = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.SPIFFECertValidatorConfig';
/** The extension name Envoy registers the SPIFFE certificate validator under. */
export const SPIFFE_VALIDATOR_NAME = 'envoy.tls.cert_validator.spiffe';

/**
 * The version of a list of Secrets: a digest of exactly what is sent, so the version changes
 * when, and only when, the content does (a renewal, a bundle change, other names).
 */
export function contentVersion(secrets: readonly SdsSecret[]): string {
  const hash = createHash('sha256');
  const field = (text: string) => hash.update(`${Buffer.byteLength(text)}:${text};`);
  for (const secret of secrets) {
    field(secret.kind);
    field(secret.name);
    switch (secret.kind) {
      case 'tls-certificate':
        field(secret.certificateChainPem);
        field(secret.privateKeyPem);
        break;
      case 'trusted-ca':
        field(secret.trustedCaPem);
        break;
      case 'spiffe-validator':
        for (const domain of secret.trustDomains) {
          field(domain.name);
          field(domain.bundlePem);
        }
        break;
    }
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * A DiscoveryResponse holding `secrets`, each an `Any` of envoy...tls.v3.Secret. The `@type`
 * form lets the protobuf runtime encode the Secret (and the validator config inside it) with
 * their real type URLs. FetchSecrets answers have an empty nonce, as in xDS.
 */
export function toDiscoveryResponse(secrets: readonly SdsSecret[], versionInfo: string, nonce: string): DiscoveryResponse {
  return {
    version_info: versionInfo,
    resources: secrets.map((secret) => ({ '@type': SECRET_TYPE_URL, ...toSecretFields(secret) })),
    type_url: SECRET_TYPE_URL,
    nonce,
  };
}

function toSecretFields(secret: SdsSecret): Record<string, unknown> {
  switch (secret.kind) {
    case 'tls-certificate':
      return {
        name: secret.name,
        tls_certificate: { certificate_chain: inline(secret.certificateChainPem), private_key: inline(secret.privateKeyPem) },
      };
    case 'trusted-ca':
      return { name: secret.name, validation_context: { trusted_ca: inline(secret.trustedCaPem) } satisfies CertificateValidationContext };
    case 'spiffe-validator': {
      const config: AnyOf<SPIFFECertValidatorConfig> = {
        '@type': SPIFFE_VALIDATOR_TYPE_URL,
        trust_domains: secret.trustDomains.map((d) => ({ name: d.name, trust_bundle: inline(d.bundlePem) })),
      };
      const validation: CertificateValidationContext = { custom_validator_config: { name: SPIFFE_VALIDATOR_NAME, typed_config: config } };
      return { name: secret.name, validation_context: validation };
    }
  }
}

/** proto-loader's `Any` written with `@type` and the message's own fields (encoded by type URL). */
type AnyOf<T> = { '@type': string } & T;

function inline(pem: string): DataSource {
  return { inline_bytes: Buffer.from(pem) };
}
