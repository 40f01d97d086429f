import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SimulatedNode, SimulatedPod } from './simulated-node.js';

// Runs test/support/children/pod-workload.cjs as a real process inside a simulated pod (or on
// the host when `pod` is undefined) and collects the JSON lines it reports.

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./children/pod-workload.cjs', import.meta.url));

export interface WorkloadReport {
  pid: number;
  event: 'svid' | 'token' | 'secret' | 'error' | 'fetch-loop';
  spiffeId?: string;
  hint?: string;
  certDer?: string;
  keySha256?: string;
  bundleDer?: string;
  login?: string;
  tokenSha256?: string;
  expiresAt?: number;
  value?: string;
  step?: string;
  code?: number;
  details?: string;
  /** fetch-loop: fetches that got their first message, and the statuses of the others. */
  ok?: number;
  failures?: Record<string, number>;
}

export interface RunningWorkload {
  child: ChildProcess;
  /** Every report so far, in order. */
  reports: WorkloadReport[];
  /** Resolves with the first report matching `predicate` (or rejects when the process exits first). */
  next(predicate?: (r: WorkloadReport) => boolean, timeoutMs?: number): Promise<WorkloadReport>;
  exited: Promise<void>;
  stop(): void;
}

export function startWorkload(
  node: SimulatedNode,
  pod: SimulatedPod | undefined,
  mode: 'x509' | 'x509-hold' | 'token-secret' | `fetch-loop ${number}`,
  env: Record<string, string> = {},
): RunningWorkload {
  const child = node.spawnInPod(pod, process.execPath, [SCRIPT, ...mode.split(' ')], {
    cwd: PACKAGE_ROOT,
    env: {
      CONJUR_APPLIANCE_URL: node.conjur.url,
      CONJUR_ACCOUNT: node.conjur.account,
      CONJUR_CERT_FILE: node.dirs.conjurCaFile,
      ...env,
    },
  });
  const reports: WorkloadReport[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    reports.push(JSON.parse(line) as WorkloadReport);
    for (const wake of [...waiters]) wake();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let done = false;
  void exited.then(() => {
    done = true;
    for (const wake of [...waiters]) wake();
  });
  return {
    child,
    reports,
    exited,
    stop: () => {
      child.stdin?.end();
      child.kill();
    },
    next(predicate = () => true, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        let seen = 0;
        const timer = setTimeout(() => finish(new Error(`no matching report within ${timeoutMs} ms: ${JSON.stringify(reports)}`)), timeoutMs);
        const finish = (error?: Error, report?: WorkloadReport) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (error) reject(error);
          else resolve(report!);
        };
        const check = () => {
          for (; seen < reports.length; seen++) {
            if (predicate(reports[seen]!)) return finish(undefined, reports[seen]!);
          }
          if (done) finish(new Error(`workload exited; reports: ${JSON.stringify(reports)}`));
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Runs a workload to completion and returns all it reported. */
export async function runWorkload(node: SimulatedNode, pod: SimulatedPod | undefined, mode: 'x509' | 'token-secret', env: Record<string, string> = {}): Promise<WorkloadReport[]> {
  const workload = startWorkload(node, pod, mode, env);
  await workload.exited;
  return workload.reports;
}
