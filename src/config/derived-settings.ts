import { isIP } from 'node:net';
import type { BundleOrigin, KubernetesConnection } from './agent-config.js';
import type { ConfigProblem } from './config-error.js';
import type { ConfigFileSystem } from './config-file-system.js';
import { unreadable } from './config-file-system.js';
import { pemCertificates } from './conjur-field-types.js';
import { FieldValueError, originSuffix } from './field.js';
import { FIELDS as F } from './field-table.js';
import type { Environment, FieldValues } from './field-values.js';

// Settings that depend on several fields or on the pod's environment: the kubelet URL, the API
// server connection, the authenticator URL and service id, Conjur's TLS anchors, the bundle.
// A setting whose inputs were already refused is skipped, so each mistake is reported once.

export interface DerivedSettings {
  kubeletUrl?: string;
  kubernetes?: KubernetesConnection;
  authn?: { readonly authnUrl: string; readonly serviceId: string };
  sslCertificatePem?: string;
  bundle?: BundleOrigin;
}

export function deriveSettings(values: FieldValues, env: Environment, fileSystem: ConfigFileSystem): { derived: DerivedSettings; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const report = (path: string, message: string): undefined => {
    problems.push({ path, message });
    return undefined;
  };
  const authn = authnOf(values, report);
  const derived: DerivedSettings = {
    kubeletUrl: kubeletUrlOf(values, env, report),
    kubernetes: kubernetesOf(values, env, report),
    authn,
    sslCertificatePem: sslCertificateOf(values, fileSystem, report),
    bundle: bundleOf(values, authn?.serviceId),
  };
  return { derived, problems };
}

type Report = (path: string, message: string) => undefined;

function kubeletUrlOf(values: FieldValues, env: Environment, report: Report): string | undefined {
  const readOnlyPort = values.get(F.kubeletReadOnlyPort) ?? false;
  const given = values.get(F.kubeletUrl);
  if (given !== undefined) {
    const where = originSuffix(values.origin(F.kubeletUrl) ?? { kind: 'default' });
    const isHttp = given.startsWith('http:');
    if (isHttp && !readOnlyPort) return report(F.kubeletUrl.path, `plain http is only for the read-only port: set kubelet.readOnlyPort: true or use https${where}`);
    if (!isHttp && readOnlyPort) return report(F.kubeletUrl.path, `the read-only port is plain http: use http:// or set kubelet.readOnlyPort: false${where}`);
    return given;
  }
  if (values.isRejected(F.kubeletUrl)) return undefined;
  const nodeIp = env['MY_NODE_IP']?.trim() ?? '';
  if (nodeIp !== '' && isIP(nodeIp) === 0) return report(F.kubeletUrl.path, `MY_NODE_IP is not an IP address: ${JSON.stringify(nodeIp)} (set it from status.hostIP)`);
  const host = nodeIp !== '' ? nodeIp : values.get(F.nodeName);
  if (host === undefined) return undefined; // nodeName is reported missing already
  const [scheme, port] = readOnlyPort ? ['http', 10255] : ['https', 10250];
  return `${scheme}://${bracketed(host)}:${port}`;
}

function kubernetesOf(values: FieldValues, env: Environment, report: Report): KubernetesConnection | undefined {
  const kubeconfig = values.get(F.kubernetesKubeconfig);
  if (kubeconfig !== undefined) return { kind: 'kubeconfig', kubeconfig };
  if (values.isRejected(F.kubernetesKubeconfig) || values.isRejected(F.kubernetesApiServerUrl)) return undefined;
  const apiServerUrl = values.get(F.kubernetesApiServerUrl) ?? serviceUrlOf(env);
  const tokenFile = values.get(F.kubernetesTokenFile);
  const caFile = values.get(F.kubernetesCaFile);
  if (apiServerUrl === undefined) {
    return report(
      F.kubernetesApiServerUrl.path,
      'missing: not in a cluster (set KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, kubernetes.apiServerUrl, or kubernetes.kubeconfig)',
    );
  }
  if (tokenFile === undefined || caFile === undefined) return undefined;
  return { kind: 'in-cluster', apiServerUrl, tokenFile, caFile };
}

/** What Kubernetes sets in every container, as client-go's in-cluster configuration reads it. */
function serviceUrlOf(env: Environment): string | undefined {
  const host = env['KUBERNETES_SERVICE_HOST']?.trim();
  const port = env['KUBERNETES_SERVICE_PORT']?.trim();
  if (!host || !port) return undefined;
  return `https://${bracketed(host)}:${port}`;
}

function authnOf(values: FieldValues, report: Report): DerivedSettings['authn'] {
  if (values.isRejected(F.conjurAuthnUrl) || values.isRejected(F.conjurServiceId)) return undefined;
  const authnUrl = values.get(F.conjurAuthnUrl);
  const serviceId = values.get(F.conjurServiceId);
  if (authnUrl !== undefined) {
    const where = originSuffix(values.origin(F.conjurAuthnUrl) ?? { kind: 'default' });
    const match = /\/authn-k8s\/([^/]+)$/.exec(new URL(authnUrl).pathname);
    if (match?.[1] === undefined) return report(F.conjurAuthnUrl.path, `expected a URL ending in /authn-k8s/<service id>, got ${JSON.stringify(authnUrl)}${where}`);
    const fromUrl = decodedSegment(match[1]);
    if (fromUrl === undefined) return report(F.conjurAuthnUrl.path, `the service id in ${JSON.stringify(authnUrl)} is not valid percent-encoding${where}`);
    if (serviceId !== undefined && serviceId !== fromUrl) {
      return report(F.conjurServiceId.path, `is "${serviceId}" but conjur.authnUrl names service "${fromUrl}"${where}`);
    }
    return { authnUrl, serviceId: fromUrl };
  }
  if (serviceId === undefined) return report(F.conjurAuthnUrl.path, 'missing (set CONJUR_AUTHN_URL or conjur.authnUrl, or conjur.serviceId)');
  const appliance = values.get(F.conjurApplianceUrl);
  return appliance === undefined ? undefined : { authnUrl: `${appliance}/authn-k8s/${encodeURIComponent(serviceId)}`, serviceId };
}

/** The inline PEM wins over the file, as in the Conjur tooling; the file is then not read. */
function sslCertificateOf(values: FieldValues, fileSystem: ConfigFileSystem, report: Report): string | undefined {
  const inline = values.get(F.conjurSslCertificate);
  if (inline !== undefined) return inline;
  if (values.isRejected(F.conjurSslCertificate) || values.isRejected(F.conjurCertFile)) return undefined;
  const certFile = values.get(F.conjurCertFile);
  if (certFile === undefined) {
    return report(F.conjurSslCertificate.path, 'missing (set CONJUR_SSL_CERTIFICATE or CONJUR_CERT_FILE, or conjur.sslCertificate or conjur.certFile)');
  }
  const where = originSuffix(values.origin(F.conjurCertFile) ?? { kind: 'default' });
  let pem: string;
  try {
    pem = fileSystem.readText(certFile);
  } catch (error) {
    return report(F.conjurCertFile.path, `${unreadable(certFile, error)}${where}`);
  }
  try {
    return pemCertificates.parse(pem);
  } catch (error) {
    if (!(error instanceof FieldValueError)) throw error;
    return report(F.conjurCertFile.path, `${certFile}: ${error.message}${where}`);
  }
}

function bundleOf(values: FieldValues, serviceId: string | undefined): BundleOrigin | undefined {
  const path = values.get(F.conjurBundleFile);
  if (path !== undefined) return { kind: 'file', path };
  const variableId = values.get(F.conjurBundleVariable) ?? (serviceId === undefined ? undefined : `conjur/authn-k8s/${serviceId}/ca/cert`);
  return variableId === undefined ? undefined : { kind: 'variable', variableId };
}

function decodedSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function bracketed(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}
