import { byDefault, field, optional, required } from './field.js';
import { absolutePath, oneOf, positiveDurationMs, positiveInteger, text, url } from './field-types.js';
import { hostLogin, loginTemplate, pathSegment, pemCertificates } from './conjur-field-types.js';

// Conjur settings. The environment variables are the Conjur tooling's own names (as set for
// conjur-authn-k8s-client), so an existing Conjur ConfigMap works unchanged; they win over the file.

export const CONJUR_FIELDS = {
  conjurApplianceUrl: field({
    path: 'conjur.applianceUrl',
    type: url('https'),
    env: 'CONJUR_APPLIANCE_URL',
    presence: required,
    description: 'Conjur, for secrets and the CA variable: https://conjur.example.com.',
  }),
  conjurAuthnUrl: field({
    path: 'conjur.authnUrl',
    type: url('https'),
    env: 'CONJUR_AUTHN_URL',
    presence: optional('`<applianceUrl>/authn-k8s/<serviceId>` when conjur.serviceId is set'),
    description: 'The Kubernetes authenticator: https://conjur.example.com/authn-k8s/<service id> (may be a follower).',
  }),
  conjurServiceId: field({
    path: 'conjur.serviceId',
    type: pathSegment,
    presence: optional('the last segment of conjur.authnUrl'),
    description: 'The authn-k8s service id; give it or conjur.authnUrl.',
  }),
  conjurAccount: field({
    path: 'conjur.account',
    type: pathSegment,
    env: 'CONJUR_ACCOUNT',
    presence: required,
    description: 'Conjur account.',
  }),
  conjurAuthnLogin: field({
    path: 'conjur.authnLogin',
    type: hostLogin,
    env: 'CONJUR_AUTHN_LOGIN',
    presence: required,
    description: "The agent's own host id (host/...); its policy names the agent's namespace and service account.",
  }),
  conjurSslCertificate: field({
    path: 'conjur.sslCertificate',
    type: pemCertificates,
    env: 'CONJUR_SSL_CERTIFICATE',
    presence: optional('conjur.certFile'),
    description: "PEM that verifies Conjur's TLS certificate; wins over conjur.certFile. One of the two is required.",
  }),
  conjurCertFile: field({
    path: 'conjur.certFile',
    type: absolutePath,
    env: 'CONJUR_CERT_FILE',
    presence: optional('conjur.sslCertificate'),
    description: "File with the PEM that verifies Conjur's TLS certificate, read at start.",
  }),
  conjurDefaultLoginTemplate: field({
    path: 'conjur.defaultLoginTemplate',
    type: loginTemplate,
    presence: optional('none: pods without the annotation get no identity'),
    description: 'Host id for pods without the conjur.org/authn-login annotation; placeholders {serviceId}, {namespace}, {serviceAccount}, {podName}.',
  }),
  conjurKeyType: field({
    path: 'conjur.keyType',
    type: oneOf('ec-p256', 'rsa-2048'),
    presence: byDefault('ec-p256'),
    description: 'Key type of workload SVIDs (an RSA key costs about 150 ms to make).',
  }),
  conjurInjectTimeoutMs: field({
    path: 'conjur.injectTimeout',
    type: positiveDurationMs,
    presence: byDefault('10s'),
    description: "From inject_client_cert until the certificate is confirmed in the pod's volume.",
  }),
  conjurMaxCertificateFileBytes: field({
    path: 'conjur.maxCertificateFileBytes',
    type: positiveInteger,
    presence: byDefault(65536),
    description: "Most bytes read from a pod's client.pem (Conjur's is about 1.5 KiB); a larger file is refused unread and counted in conjur_spiffe_file_reads_refused_total.",
  }),
  conjurRequestTimeoutMs: field({
    path: 'conjur.requestTimeout',
    type: positiveDurationMs,
    presence: byDefault('10s'),
    description: 'Timeout of one Conjur request.',
  }),
  conjurAgentSslDir: field({
    path: 'conjur.agentSslDir',
    type: absolutePath,
    presence: byDefault('/etc/conjur/ssl'),
    description: "The agent's own emptyDir where Conjur injects the agent's certificate.",
  }),
  conjurBundleFile: field({
    path: 'conjur.bundleFile',
    type: absolutePath,
    presence: optional('the CA variable (conjur.bundleVariable)'),
    description: 'PEM file of the authn-k8s CA, the trust bundle; watched and reloaded.',
  }),
  conjurBundleVariable: field({
    path: 'conjur.bundleVariable',
    type: text,
    presence: optional('`conjur/authn-k8s/<serviceId>/ca/cert`'),
    description: "Conjur variable holding the authn-k8s CA certificate, read with the agent's token when there is no bundle file.",
  }),
  conjurTokenRefreshBeforeExpiryMs: field({
    path: 'conjur.tokenRefreshBeforeExpiry',
    type: positiveDurationMs,
    presence: byDefault('2m'),
    description: 'Refresh access tokens this long before they expire (they live 8 minutes).',
  }),
  conjurMaxConcurrentIssuances: field({
    path: 'conjur.maxConcurrentIssuances',
    type: positiveInteger,
    presence: byDefault(8),
    description:
      'Most requests to Conjur in flight at once (inject, authenticate, secrets), so a restart on a full node does not stampede Conjur; a wait for an injected certificate holds no slot, and the rest queue in arrival order.',
  }),
  conjurRetryInitialMs: field({
    path: 'conjur.retryInitial',
    type: positiveDurationMs,
    presence: byDefault('1s'),
    description:
      "First backoff step after a failed Conjur attempt for one pod's identity (shared by its SVID and token streams); each step is 3× the last, ±25 %. Meanwhile a reconnecting workload gets the failure at once.",
  }),
  conjurRetryMaxMs: field({
    path: 'conjur.retryMax',
    type: positiveDurationMs,
    presence: byDefault('3m'),
    description: "The backoff's cap: a pod that fails forever costs Conjur at most one request per this interval; a 403 waits this long at once.",
  }),
  conjurRefusalsBeforeDenied: field({
    path: 'conjur.refusalsBeforeDenied',
    type: positiveInteger,
    presence: byDefault(4),
    description: 'Consecutive empty 401s from Conjur (refusal or transient exec/Kubernetes error, which Conjur does not tell apart) answered Unavailable before the workload is told PermissionDenied.',
  }),
  conjurConnectAttempts: field({
    path: 'conjur.connectAttempts',
    type: positiveInteger,
    presence: byDefault(3),
    description: 'Attempts of one Conjur request whose connection is refused or reset before any answer (the only retries inside a request; answers and timeouts wait for the backoff).',
  }),
} as const;
