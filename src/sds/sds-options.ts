/**
 * SPIRE's SDS resource-name defaults, so Envoy and Istio configurations written for SPIRE work
 * unchanged; each is configurable (`sds.*` in the agent's configuration).
 */
export interface SdsOptions {
  /** Names the caller's default X509-SVID (a `tls_certificate` Secret). */
  readonly defaultSvidName: string;
  /** Names the caller's own trust domain's bundle (a `validation_context` Secret). */
  readonly defaultBundleName: string;
  /** Names one `validation_context` holding every trust domain's bundle. */
  readonly defaultAllBundlesName: string;
  /** Always send plain `trusted_ca`, never the SPIFFE certificate validator. */
  readonly disableSpiffeCertValidation: boolean;
}

export const DEFAULT_SDS_OPTIONS: SdsOptions = Object.freeze({
  defaultSvidName: 'default',
  defaultBundleName: 'ROOTCA',
  defaultAllBundlesName: 'ALL',
  disableSpiffeCertValidation: false,
});
