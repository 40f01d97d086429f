import { parseAllDocuments } from 'yaml';
import { checkPodContract, DEFAULT_POD_CONTRACT } from './contract-checks.js';
import type { PodContractOptions } from './contract-checks.js';
import { checkPodSecurityRestricted } from './pod-security-checks.js';
import { podTemplatesOf } from './pod-templates.js';

export interface PodManifestReport {
  /** Each pod template found (`Deployment/example-app`), in order. */
  readonly workloads: readonly string[];
  /** One line per problem, each starting with the workload it is in (or the document, when unreadable). */
  readonly problems: readonly string[];
}

/**
 * Checks every pod in a manifest (YAML or JSON, any number of documents, `List`s opened) against
 * the pod contract and Pod Security `restricted`. Objects that hold no pod are passed over.
 */
export function checkPodManifest(text: string, options: PodContractOptions = DEFAULT_POD_CONTRACT): PodManifestReport {
  const workloads: string[] = [];
  const problems: string[] = [];
  parseAllDocuments(text).forEach((document, index) => {
    if (!('errors' in document) || document.errors.length > 0) {
      const reason = 'errors' in document ? (document.errors[0]?.message.split('\n')[0] ?? 'unreadable') : 'unreadable';
      problems.push(`document ${index + 1}: not valid YAML or JSON: ${reason}`);
      return;
    }
    for (const template of podTemplatesOf(document.toJS({ maxAliasCount: 100 }))) {
      workloads.push(template.workload);
      for (const problem of checkPodContract(template, options)) problems.push(`${template.workload}: ${problem}`);
      for (const f of checkPodSecurityRestricted(template)) problems.push(`${template.workload}: Pod Security restricted: ${f.reason} (${f.detail})`);
    }
  });
  return { workloads, problems };
}
