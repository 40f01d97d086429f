import { byDefault, field } from './field.js';
import { boolean, text } from './field-types.js';

// Envoy SDS on the Workload API socket. The defaults are SPIRE's resource names, so Envoy and
// Istio configurations written for SPIRE work unchanged.

export const SDS_FIELDS = {
  sdsDefaultSvidName: field({
    path: 'sds.defaultSvidName',
    type: text,
    presence: byDefault('default'),
    description: "SDS resource name of the caller's X509-SVID (certificate chain and key); its SPIFFE ID works too.",
  }),
  sdsDefaultBundleName: field({
    path: 'sds.defaultBundleName',
    type: text,
    presence: byDefault('ROOTCA'),
    description: "SDS resource name of the caller's own trust domain bundle (a validation context); spiffe://<td> works too.",
  }),
  sdsDefaultAllBundlesName: field({
    path: 'sds.defaultAllBundlesName',
    type: text,
    presence: byDefault('ALL'),
    description: 'SDS resource name of one validation context holding every trust domain bundle.',
  }),
  sdsDisableSpiffeCertValidation: field({
    path: 'sds.disableSpiffeCertValidation',
    type: boolean,
    presence: byDefault(false),
    description: "Send bundles as plain trusted_ca, never as Envoy's SPIFFE certificate validator (which Envoy 1.18 and later get by default).",
  }),
} as const;
