export const SECRET_TYPE_URL = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';
export const SPIFFE_VALIDATOR_TYPE_URL = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.SPIFFECertValidatorConfig';
/** The extension name Envoy registers the SPIFFE certificate validator under. */
export const SPIFFE_VALIDATOR_NAME = 'envoy.tls.cert_validator.spiffe';
