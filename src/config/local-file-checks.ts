import { dirname } from 'node:path';
import type { ConfigProblem } from './config-error.js';
import type { ConfigFileSystem } from './config-file-system.js';
import { unreadable } from './config-file-system.js';
import type { DerivedSettings } from './derived-settings.js';
import { originSuffix } from './field.js';
import type { Field } from './field.js';
import { FIELDS as F } from './field-table.js';
import type { FieldValues } from './field-values.js';

// The directories and files the agent will need, checked at start so that a missing mount or
// secret is one clear line now rather than a failure on the first workload call.

export function checkLocalFiles(values: FieldValues, derived: DerivedSettings, fileSystem: ConfigFileSystem): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const directory = (f: Field<string, string>, path: string | undefined, hint: string): void => {
    if (path === undefined) return;
    const kind = fileSystem.kindOf(path);
    if (kind === 'directory') return;
    const what = kind === 'missing' ? 'does not exist' : 'is not a directory';
    problems.push({ path: f.path, message: `directory ${path} ${what} (${hint})${where(values, f)}` });
  };
  const readable = (f: Field<string, string>, path: string | undefined): void => {
    if (path === undefined) return;
    try {
      fileSystem.readText(path);
    } catch (error) {
      problems.push({ path: f.path, message: `${unreadable(path, error)}${where(values, f)}` });
    }
  };

  const socketPath = values.get(F.socketPath);
  directory(F.socketPath, socketPath === undefined ? undefined : dirname(socketPath), 'the DaemonSet mounts it from the host');
  directory(F.procRoot, values.get(F.procRoot), 'hostPID makes /proc show the node');
  directory(F.kubeletPodsDir, values.get(F.kubeletPodsDir), 'mount the kubelet pods directory read-only');
  directory(F.conjurAgentSslDir, values.get(F.conjurAgentSslDir), "the agent's own emptyDir for its Conjur certificate");

  if (derived.kubeletUrl?.startsWith('https:') === true) {
    readable(F.kubeletTokenFile, values.get(F.kubeletTokenFile));
    if (values.get(F.kubeletInsecureSkipTlsVerify) !== true) readable(F.kubeletCaFile, values.get(F.kubeletCaFile));
  }
  const kube = derived.kubernetes;
  if (kube?.kind === 'kubeconfig') readable(F.kubernetesKubeconfig, kube.kubeconfig);
  if (kube?.kind === 'in-cluster') {
    readable(F.kubernetesTokenFile, kube.tokenFile);
    readable(F.kubernetesCaFile, kube.caFile);
  }
  if (derived.bundle?.kind === 'file') readable(F.conjurBundleFile, derived.bundle.path);
  return problems;
}

function where(values: FieldValues, f: Field): string {
  return originSuffix(values.origin(f) ?? { kind: 'default' });
}
