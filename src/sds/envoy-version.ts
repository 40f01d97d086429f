import type { Node__Output } from '../gen/envoy/config/core/v3/Node.js';
import type { SdsOptions } from './sds-options.js';
import type { ValidationForm } from './sds-secret.js';

/** Envoy 1.18 was the first release with the SPIFFE certificate validator (envoy.tls.cert_validator.spiffe). */
const FIRST_WITH_SPIFFE_VALIDATOR = { major: 1, minor: 18 } as const;

/**
 * The validation form for a client, from the `node` of its request: the SPIFFE validator unless
 * switched off or the client says it is an Envoy older than 1.18 (`user_agent_build_version`).
 * A client that states no build version counts as new: only Envoy releases before 1.18 lack
 * the validator, and Envoy states its build version in every first request.
 */
export function validationFormFor(node: Node__Output | null | undefined, options: SdsOptions): ValidationForm {
  if (options.disableSpiffeCertValidation) return 'trusted-ca';
  const version = node?.user_agent_build_version?.version;
  if (!version) return 'spiffe-validator';
  const { major_number: major, minor_number: minor } = version;
  const isOld = major < FIRST_WITH_SPIFFE_VALIDATOR.major || (major === FIRST_WITH_SPIFFE_VALIDATOR.major && minor < FIRST_WITH_SPIFFE_VALIDATOR.minor);
  return isOld ? 'trusted-ca' : 'spiffe-validator';
}
