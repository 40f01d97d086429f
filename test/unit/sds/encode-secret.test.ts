import { describe, expect, it } from '@jest/globals';
import { encodeSecret, SECRET_TYPE_URL, SPIFFE_VALIDATOR_NAME } from '../../../src/sds/index.js';
import type { SdsSecret } from '../../../src/sds/index.js';
import { decodeResponse } from '../../support/sds-client.js';

// The hand-written encoding against proto-loader reading the same bytes with proto/envoy/...:
// every field lands where Envoy's descriptors put it (the Envoy interop checks Envoy's own types).

const chain = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
const key = '-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n';
// Long enough that lengths need two-byte varints.
const bundle = `-----BEGIN CERTIFICATE-----\n${'C'.repeat(300)}\n-----END CERTIFICATE-----\n`;

function decoded(secret: SdsSecret) {
  const [only] = decodeResponse({ version_info: 'v', nonce: 'n', type_url: SECRET_TYPE_URL, canary: false, control_plane: null, resources: [{ type_url: SECRET_TYPE_URL, value: encodeSecret(secret) }] }).secrets;
  return only!;
}

describe('encodeSecret', () => {
  it('writes a tls_certificate with its chain and key as inline bytes', () => {
    expect(decoded({ kind: 'tls-certificate', name: 'default', certificateChainPem: chain, privateKeyPem: key })).toEqual({
      name: 'default',
      kind: 'tls_certificate',
      certificateChainPem: chain,
      privateKeyPem: key,
    });
  });

  it('writes a validation_context with trusted_ca', () => {
    expect(decoded({ kind: 'trusted-ca', name: 'ROOTCA', trustedCaPem: bundle })).toEqual({ name: 'ROOTCA', kind: 'validation_context', trustedCaPem: bundle });
  });

  it('writes the SPIFFE validator with its typed config and every trust domain in order', () => {
    const secret = decoded({
      kind: 'spiffe-validator',
      name: 'ALL',
      trustDomains: [
        { name: 'cluster.local', bundlePem: bundle },
        { name: 'partner.example', bundlePem: chain },
      ],
    });
    expect(secret.name).toBe('ALL');
    expect(secret.trustedCaPem).toBeUndefined();
    expect(secret.spiffeValidator?.name).toBe(SPIFFE_VALIDATOR_NAME);
    expect(secret.spiffeValidator?.config.trust_domains.map((d) => [d.name, d.trust_bundle?.inline_bytes?.toString()])).toEqual([
      ['cluster.local', bundle],
      ['partner.example', chain],
    ]);
  });
});
