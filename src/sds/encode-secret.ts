import type { SdsSecret } from './sds-secret.js';
import { SPIFFE_VALIDATOR_NAME, SPIFFE_VALIDATOR_TYPE_URL } from './type-urls.js';

// envoy.extensions.transport_sockets.tls.v3.Secret on the wire, written directly. A CA rotation
// re-sends a Secret on every open stream; building it through the protobuf runtime's `Any` path
// cost about six times the whole FetchX509SVID response, so it is encoded here once per content
// (see secret-set.ts) with the field numbers of proto/envoy/... A test decodes the bytes with
// proto-loader from those files, and the Envoy interop decodes them with Envoy's own types.

const LENGTH_DELIMITED = 2;

/** Secret: name = 1, tls_certificate = 2, validation_context = 4. */
export function encodeSecret(secret: SdsSecret): Buffer {
  return message([text(1, secret.name), field(secret.kind === 'tls-certificate' ? 2 : 4, secretBody(secret))]);
}

function secretBody(secret: SdsSecret): Buffer {
  switch (secret.kind) {
    case 'tls-certificate':
      // TlsCertificate: certificate_chain = 1, private_key = 2 (DataSource each).
      return message([field(1, inlineBytes(secret.certificateChainPem)), field(2, inlineBytes(secret.privateKeyPem))]);
    case 'trusted-ca':
      // CertificateValidationContext: trusted_ca = 1.
      return message([field(1, inlineBytes(secret.trustedCaPem))]);
    case 'spiffe-validator': {
      // SPIFFECertValidatorConfig: trust_domains = 1, each TrustDomain { name = 1, trust_bundle = 2 }.
      const config = message(secret.trustDomains.map((d) => field(1, message([text(1, d.name), field(2, inlineBytes(d.bundlePem))]))));
      // Any { type_url = 1, value = 2 } in TypedExtensionConfig { name = 1, typed_config = 2 },
      // in CertificateValidationContext.custom_validator_config = 12.
      const typedConfig = message([text(1, SPIFFE_VALIDATOR_TYPE_URL), field(2, config)]);
      return message([field(12, message([text(1, SPIFFE_VALIDATOR_NAME), field(2, typedConfig)]))]);
    }
  }
}

/** DataSource { inline_bytes = 2 }. */
function inlineBytes(pem: string): Buffer {
  return message([field(2, Buffer.from(pem))]);
}

function text(number: number, value: string): Buffer {
  return field(number, Buffer.from(value));
}

function field(number: number, bytes: Buffer): Buffer {
  return Buffer.concat([varint((number << 3) | LENGTH_DELIMITED), varint(bytes.length), bytes]);
}

function message(fields: readonly Buffer[]): Buffer {
  return Buffer.concat(fields);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}
