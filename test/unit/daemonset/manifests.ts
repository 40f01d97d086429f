import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1ConfigMap,
  V1CSIDriver,
  V1Container,
  V1DaemonSet,
  V1Deployment,
  V1Job,
  V1Namespace,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../../src/config/index.js';
import type { AgentConfig, ConfigFileSystem, Environment } from '../../../src/config/index.js';
import { parseConjurPolicy } from './conjur-policy.js';
import type { ConjurPolicy } from './conjur-policy.js';

// Reads daemonset/ as a cluster would receive it, and simulates the agent container's view of it:
// its environment (from the DaemonSet's env wiring) and its filesystem (from its mounts), so the
// agent's own configuration loader can judge whether the manifests fit together.

export const DAEMONSET_DIR = fileURLToPath(new URL('../../../daemonset/', import.meta.url));
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ManifestFile {
  /** Relative to daemonset/: `daemon-set.yaml`, `examples/deployment.yaml`, `csi-driver/csi-driver.yaml`. */
  readonly name: string;
  readonly objects: Record<string, unknown>[];
  readonly errors: string[];
}

export interface Kustomization {
  kind?: string;
  namespace?: string;
  resources?: string[];
  components?: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

export interface Manifests {
  namespace: V1Namespace;
  serviceAccount: V1ServiceAccount;
  clusterRole: V1ClusterRole;
  clusterRoleBinding: V1ClusterRoleBinding;
  configMap: V1ConfigMap;
  daemonSet: V1DaemonSet;
  kustomization: Kustomization;
  exampleNamespace: V1Namespace;
  exampleServiceAccount: V1ServiceAccount;
  exampleDeployment: V1Deployment;
  exampleJob: V1Job;
  exampleKustomization: Kustomization;
  /** The SPIFFE CSI driver component (csi-driver/). */
  csiDriver: V1CSIDriver;
  csiDaemonSet: V1DaemonSet;
  csiComponent: Kustomization;
  /** csi-driver/daemon-set.yaml as written, comments included. */
  csiDaemonSetText: string;
  policy: ConjurPolicy;
  dockerfile: string;
  /** Manifest file names in daemonset/, examples/ and csi-driver/, kustomization.yaml excluded. */
  agentFiles: string[];
  exampleFiles: string[];
  csiFiles: string[];
}

export function readManifestFiles(): ManifestFile[] {
  return [...yamlFiles(''), ...yamlFiles('examples'), ...yamlFiles('csi-driver')].map((name) => {
    const docs = parseAllDocuments(readFileSync(join(DAEMONSET_DIR, name), 'utf8'));
    const list = Array.isArray(docs) ? docs : [docs];
    const errors = list.flatMap((d) => d.errors.map((e) => e.message));
    return { name, objects: list.map((d) => d.toJS() as Record<string, unknown>), errors };
  });
}

function yamlFiles(sub: string): string[] {
  return readdirSync(join(DAEMONSET_DIR, sub))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => (sub === '' ? f : `${sub}/${f}`));
}

let files: ManifestFile[] | undefined;

/** A fresh parsed copy every time (the files are read once), so tests may mutate it. */
export function loadManifests(): Manifests {
  files ??= readManifestFiles();
  const byName = new Map(structuredClone(files).map((f) => [f.name, f.objects[0]]));
  const get = <T>(name: string): T => {
    const object = byName.get(name);
    if (object === undefined) throw new Error(`daemonset/${name} is missing`);
    return object as T;
  };
  const manifestNames = (prefix: string): string[] =>
    [...byName.keys()].filter((n) => dirname(n) === (prefix || '.') && !n.endsWith('kustomization.yaml')).map((n) => n.slice(prefix ? prefix.length + 1 : 0));
  return {
    namespace: get('namespace.yaml'),
    serviceAccount: get('service-account.yaml'),
    clusterRole: get('cluster-role.yaml'),
    clusterRoleBinding: get('cluster-role-binding.yaml'),
    configMap: get('config-map.yaml'),
    daemonSet: get('daemon-set.yaml'),
    kustomization: get('kustomization.yaml'),
    exampleNamespace: get('examples/namespace.yaml'),
    exampleServiceAccount: get('examples/service-account.yaml'),
    exampleDeployment: get('examples/deployment.yaml'),
    exampleJob: get('examples/job.yaml'),
    exampleKustomization: get('examples/kustomization.yaml'),
    csiDriver: get('csi-driver/csi-driver.yaml'),
    csiDaemonSet: get('csi-driver/daemon-set.yaml'),
    csiComponent: get('csi-driver/kustomization.yaml'),
    csiDaemonSetText: readFileSync(join(DAEMONSET_DIR, 'csi-driver/daemon-set.yaml'), 'utf8'),
    policy: parseConjurPolicy(readFileSync(join(DAEMONSET_DIR, 'examples/conjur-policy.yml'), 'utf8')),
    dockerfile: readFileSync(join(DAEMONSET_DIR, 'Dockerfile'), 'utf8'),
    agentFiles: manifestNames(''),
    exampleFiles: manifestNames('examples'),
    csiFiles: manifestNames('csi-driver'),
  };
}

export function agentContainer(m: Manifests): V1Container | undefined {
  return m.daemonSet.spec?.template.spec?.containers[0];
}

/** The value after `--config` in the agent's arguments. */
export function configArgument(m: Manifests): string | undefined {
  const args = agentContainer(m)?.args ?? [];
  const at = args.indexOf('--config');
  return at < 0 ? undefined : args[at + 1];
}

/** Values the downward API would give, by field path. */
const DOWNWARD: Readonly<Record<string, string>> = {
  'spec.nodeName': 'node-1',
  'status.hostIP': '10.0.0.7',
  'metadata.name': 'conjur-spiffe-agent-x7k2p',
};

/** The agent container's environment as Kubernetes would build it from the DaemonSet. */
export function agentEnvironment(m: Manifests, conjurCaPem: string): Environment {
  const env: Record<string, string | undefined> = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
  for (const e of agentContainer(m)?.env ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    const key = e.valueFrom?.configMapKeyRef;
    if (e.value !== undefined) env[e.name] = e.value;
    else if (field === 'metadata.namespace') env[e.name] = m.daemonSet.metadata?.namespace;
    else if (field !== undefined) env[e.name] = DOWNWARD[field];
    else if (key !== undefined && key.name === m.configMap.metadata?.name) env[e.name] = m.configMap.data?.[key.key];
  }
  // The shipped certificate is a placeholder the operator replaces; stand in a real one.
  if (env['CONJUR_SSL_CERTIFICATE'] !== undefined) env['CONJUR_SSL_CERTIFICATE'] = conjurCaPem;
  return env;
}

/** The agent container's filesystem as far as configuration can see it: its mounts. */
export function agentFileSystem(m: Manifests): ConfigFileSystem {
  const spec = m.daemonSet.spec?.template.spec;
  const directories = new Set(['/proc', ...(agentContainer(m)?.volumeMounts ?? []).map((v) => v.mountPath)]);
  const files = new Map<string, string>();
  if (m.serviceAccount.automountServiceAccountToken !== false && spec?.automountServiceAccountToken !== false) {
    directories.add(SERVICE_ACCOUNT_DIR);
    files.set(`${SERVICE_ACCOUNT_DIR}/token`, 'token').set(`${SERVICE_ACCOUNT_DIR}/ca.crt`, 'ca');
  }
  for (const mount of agentContainer(m)?.volumeMounts ?? []) {
    const source = spec?.volumes?.find((v) => v.name === mount.name)?.configMap;
    if (source?.name !== m.configMap.metadata?.name) continue;
    for (const item of source?.items ?? []) files.set(`${mount.mountPath}/${item.path}`, m.configMap.data?.[item.key] ?? '');
  }
  return {
    readText(path) {
      const text = files.get(path);
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return text;
    },
    kindOf: (path) => (directories.has(path) ? 'directory' : files.has(path) ? 'file' : 'missing'),
  };
}

/** What the agent would load in its container; throws ConfigError like the agent would. */
export function agentConfigOf(m: Manifests, conjurCaPem: string): AgentConfig {
  return loadConfig({ env: agentEnvironment(m, conjurCaPem), file: configArgument(m), fileSystem: agentFileSystem(m) });
}
