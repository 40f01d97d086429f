import { readFile, stat } from 'node:fs/promises';
import { Command } from 'commander';
import { checkPodManifest, ConjurPolicyError, DEFAULT_POD_CONTRACT, parseConjurHosts, POD_KINDS } from '../pod-contract/index.js';
import type { ConjurHosts } from '../pod-contract/index.js';
import { CliError } from './cli-error.js';
import type { Runtime } from './runtime.js';

// `check pod`: reads pod manifests and says, one line each, what would keep the agent from giving
// the pod an identity or get it refused in a `restricted` namespace. Only the pod-contract folder
// is loaded: no Kubernetes client, no agent.

/** Larger files are refused rather than read: a Kubernetes object is at most 1.5 MiB. */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

interface CheckPodOptions {
  container: string;
  csiDriver: string;
  policy?: string;
}

export function checkCommand(runtime: Runtime, subcommandRequired: (command: Command) => Command): Command {
  const check = subcommandRequired(new Command('check').description('Check Kubernetes manifests against what the agent needs'));
  check
    .command('pod')
    .description('Check pod manifests (Pod, or a Deployment, StatefulSet, DaemonSet, Job, CronJob pod template; YAML or JSON) against the pod contract and Pod Security restricted')
    .argument('<manifest...>', 'manifest files, any number of documents each')
    .option('--container <name>', "the container Conjur execs into: the Conjur host's authn-k8s/authentication-container-name", DEFAULT_POD_CONTRACT.injectionContainer)
    .option('--policy <file>', "the Conjur policy: each pod's target is then the container its own host names (--container is the default)")
    .option('--csi-driver <name>', 'the SPIFFE CSI driver that publishes the agent socket', DEFAULT_POD_CONTRACT.csiDriver)
    .action(async (files: string[], options: CheckPodOptions) => {
      const hosts = options.policy === undefined ? undefined : await loadHosts(options.policy);
      let problems = 0;
      for (const file of files) problems += checkFile(runtime, file, await readManifest(file), options, hosts);
      if (problems > 0) throw new CliError('failed', `${problems === 1 ? '1 problem' : `${problems} problems`} in ${files.join(', ')}`);
    });
  return check;
}

/** Prints the file's findings; returns how many problems it has. */
function checkFile(runtime: Runtime, file: string, text: string, options: CheckPodOptions, hosts: ConjurHosts | undefined): number {
  const report = checkPodManifest(text, { ...DEFAULT_POD_CONTRACT, injectionContainer: options.container, csiDriver: options.csiDriver, ...(hosts ? { hosts } : {}) });
  const problems = report.workloads.length > 0 || report.problems.length > 0 ? report.problems : [`no pod in it (looked for ${POD_KINDS.join(', ')})`];
  for (const problem of problems) runtime.out(`${file}: ${problem}\n`);
  for (const workload of report.workloads) {
    if (!problems.some((p) => p.startsWith(`${workload}: `))) runtime.out(`${file}: ${workload}: meets the pod contract and Pod Security restricted\n`);
  }
  return problems.length;
}

async function loadHosts(file: string): Promise<ConjurHosts> {
  try {
    return parseConjurHosts(await readManifest(file));
  } catch (error) {
    if (error instanceof ConjurPolicyError) throw new CliError('failed', `${file}: ${error.message}`, { cause: error });
    throw error;
  }
}

async function readManifest(file: string): Promise<string> {
  try {
    const { size } = await stat(file);
    if (size > MAX_MANIFEST_BYTES) throw new CliError('failed', `${file}: ${size} bytes is more than a manifest may have (${MAX_MANIFEST_BYTES})`);
    return await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError('failed', `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message}`, { cause: error });
  }
}
