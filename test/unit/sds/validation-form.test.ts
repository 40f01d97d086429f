import { describe, expect, it } from '@jest/globals';
import { DEFAULT_SDS_OPTIONS, validationFormFor } from '../../../src/sds/index.js';
import type { Node__Output } from '../../../src/gen/envoy/config/core/v3/Node.js';

function envoy(major: number, minor: number): Node__Output {
  return {
    id: 'sidecar',
    cluster: 'shop',
    user_agent_name: 'envoy',
    user_agent_build_version: { version: { major_number: major, minor_number: minor, patch: 0 } },
    client_features: [],
    user_agent_version_type: 'user_agent_build_version',
  };
}

describe('validationFormFor', () => {
  const cases = [
    { name: 'Envoy 1.18 gets the SPIFFE validator', node: envoy(1, 18), expect: 'spiffe-validator' },
    { name: 'Envoy 1.36 gets the SPIFFE validator', node: envoy(1, 36), expect: 'spiffe-validator' },
    { name: 'Envoy 2.0 gets the SPIFFE validator', node: envoy(2, 0), expect: 'spiffe-validator' },
    { name: 'Envoy 1.17 gets plain trusted_ca', node: envoy(1, 17), expect: 'trusted-ca' },
    { name: 'Envoy 0.9 gets plain trusted_ca', node: envoy(0, 9), expect: 'trusted-ca' },
    { name: 'a node without a build version counts as new', node: { ...envoy(1, 1), user_agent_build_version: null }, expect: 'spiffe-validator' },
    { name: 'no node counts as new', node: null, expect: 'spiffe-validator' },
  ] as const;
  for (const c of cases) it(c.name, () => expect(validationFormFor(c.node, DEFAULT_SDS_OPTIONS)).toBe(c.expect));

  it('gives plain trusted_ca to every client when the validator is switched off', () => {
    expect(validationFormFor(envoy(1, 36), { ...DEFAULT_SDS_OPTIONS, disableSpiffeCertValidation: true })).toBe('trusted-ca');
  });
});
