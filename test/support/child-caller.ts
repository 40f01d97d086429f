import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// A real, separate process that calls FetchX509SVID over the socket: the only honest way to test
// kernel peer credentials (another pid, another uid). It runs from the package root so that
// require() finds grpc-js and proto/, and reports one JSON line per event on stdout.

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const SCRIPT = `
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');
const [socketPath, mode] = process.argv.slice(1);
const definition = loader.loadSync('spiffe/workload/workload.proto', { keepCase: true, longs: String, defaults: true, includeDirs: ['proto'] });
const { SpiffeWorkloadAPI } = grpc.loadPackageDefinition(definition);
const client = new SpiffeWorkloadAPI('unix://' + socketPath, grpc.credentials.createInsecure());
const report = (fields) => process.stdout.write(JSON.stringify({ pid: process.pid, uid: process.getuid(), ...fields }) + '\\n');
const metadata = new grpc.Metadata();
metadata.add('workload.spiffe.io', 'true');
const call = client.FetchX509SVID({}, metadata);
call.on('data', (m) => { report({ spiffeId: m.svids[0] && m.svids[0].spiffe_id }); if (mode !== 'hold') process.exit(0); });
call.on('error', (e) => { report({ code: e.code, details: e.details }); process.exit(0); });
if (mode === 'hold') { process.stdin.on('end', () => process.exit(0)); process.stdin.resume(); }
`;

export interface CallerReport {
  pid: number;
  uid: number;
  spiffeId?: string;
  code?: number;
  details?: string;
}

export interface ChildCaller {
  child: ChildProcess;
  pid: number;
  /** The first line the caller reports: its SVID's SPIFFE ID or the status it got. */
  report: Promise<CallerReport>;
  exited: Promise<void>;
  /** Lets a 'hold' caller exit cleanly. */
  release(): void;
  kill(): Promise<void>;
}

/** 'once' exits after the first message or error; 'hold' keeps the stream open until `release()`. */
export function spawnCaller(socketPath: string, options: { mode?: 'once' | 'hold'; uid?: number; gid?: number } = {}): ChildCaller {
  const child = spawn(process.execPath, ['-e', SCRIPT, socketPath, options.mode ?? 'once'], {
    cwd: PACKAGE_ROOT,
    uid: options.uid,
    gid: options.gid,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const report = new Promise<CallerReport>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line) as CallerReport));
    void exited.then(() => reject(new Error(`caller ${child.pid} exited without reporting`)));
  });
  report.catch(() => {});
  return {
    child,
    pid: child.pid!,
    report,
    exited,
    release: () => child.stdin!.end(),
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
