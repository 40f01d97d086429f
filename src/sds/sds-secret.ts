/**
 * One Secret as this agent serves it, before it takes Envoy's wire shape: PEM text throughout,
 * because Envoy reads inline certificates and keys as PEM. `privateKeyPem` is key material:
 * never log a SdsSecret.
 */
export type SdsSecret =
  | { readonly kind: 'tls-certificate'; readonly name: string; readonly certificateChainPem: string; readonly privateKeyPem: string }
  | { readonly kind: 'trusted-ca'; readonly name: string; readonly trustedCaPem: string }
  | { readonly kind: 'spiffe-validator'; readonly name: string; readonly trustDomains: readonly SpiffeValidatorDomain[] };

/** One entry of SPIFFECertValidatorConfig.trust_domains: the bare name (no spiffe://) and its CAs. */
export interface SpiffeValidatorDomain {
  readonly name: string;
  readonly bundlePem: string;
}

/** How validation contexts are written for one client: the SPIFFE validator, or plain CAs. */
export type ValidationForm = 'spiffe-validator' | 'trusted-ca';
