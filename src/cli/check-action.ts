import { readFile, stat } from 'node:fs/promises';
import { checkPodManifest, ConjurPolicyError, DEFAULT_POD_CONTRACT, parseConjurHosts, POD_KINDS } from '../pod-contract/index.js';
import type { ConjurHosts, PodContractOptions } from '../pod-contract/index.js';
import type { CheckPodOptions } from './check-command.js';
import { CliError } from './cli-error.js';
import type { Runtime } from './runtime.js';

/** Larger files are refused rather than read: a Kubernetes object is at most 1.5 MiB. */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/** What `check pod` does once parsed: prints every file's findings, fails when there is any. */
export async function checkPods(runtime: Runtime, files: readonly string[], options: CheckPodOptions): Promise<void> {
  const contract: PodContractOptions = {
    ...DEFAULT_POD_CONTRACT,
    ...(options.container === undefined ? {} : { injectionContainer: options.container }),
    ...(options.csiDriver === undefined ? {} : { csiDriver: options.csiDriver }),
    ...(options.policy === undefined ? {} : { hosts: await loadHosts(options.policy) }),
  };
  let problems = 0;
  for (const file of files) problems += checkFile(runtime, file, await readManifest(file), contract);
  if (problems > 0) throw new CliError('failed', `${problems === 1 ? '1 problem' : `${problems} problems`} in ${files.join(', ')}`);
}

/** Prints the file's findings; returns how many problems it has. */
function checkFile(runtime: Runtime, file: string, text: string, contract: PodContractOptions): number {
  const report = checkPodManifest(text, contract);
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
