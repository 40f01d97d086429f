import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

// A real, separate process that calls FetchX509SVID over the socket: the only honest way to test
// kernel peer credentials (another pid, another uid). It reports one JSON line per event on stdout.

// Only Node built-ins (a gRPC call is HTTP/2 plus a 5-byte frame): a caller running as another
// uid may not be able to read this checkout's node_modules (a clone under a 0700 directory).
const SCRIPT = `
const http2 = require('http2');
const net = require('net');
const [socketPath, mode] = process.argv.slice(1);
const report = (fields) => process.stdout.write(JSON.stringify({ pid: process.pid, uid: process.getuid(), ...fields }) + '\\n');
// The first length-delimited field 1 of a protobuf message (svids[0], then its spiffe_id).
const firstField = (buf) => {
  if (buf[0] !== 0x0a) return undefined;
  let len = 0, shift = 0, i = 1;
  for (;; i++) { len |= (buf[i] & 0x7f) << shift; shift += 7; if (!(buf[i] & 0x80)) break; }
  return buf.subarray(i + 1, i + 1 + len);
};
const session = http2.connect('http://localhost', { createConnection: () => net.connect(socketPath) });
session.on('error', (e) => { report({ error: e.message }); process.exit(0); });
const request = session.request({ ':method': 'POST', ':path': '/SpiffeWorkloadAPI/FetchX509SVID', 'content-type': 'application/grpc', te: 'trailers', 'workload.spiffe.io': 'true' });
let pending = Buffer.alloc(0);
request.on('data', (chunk) => {
  pending = Buffer.concat([pending, chunk]);
  while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
    const message = pending.subarray(5, 5 + pending.readUInt32BE(1));
    pending = pending.subarray(5 + message.length);
    const svid = firstField(message);
    const id = svid && firstField(svid);
    report({ spiffeId: id ? id.toString() : undefined });
    if (mode !== 'hold') process.exit(0);
  }
});
const onStatus = (headers) => {
  if (headers['grpc-status'] === undefined || headers['grpc-status'] === '0') return;
  report({ code: Number(headers['grpc-status']), details: decodeURIComponent(headers['grpc-message'] || '') });
  process.exit(0);
};
request.on('response', onStatus);
request.on('trailers', onStatus);
request.on('error', (e) => { report({ error: e.message }); process.exit(0); });
request.end(Buffer.from([0, 0, 0, 0, 0]));
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
    cwd: '/',
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

// The caller connects, hands the connected socket to a detached grandchild and exits. The
// connection stays open (the grandchild holds it) while the pid the kernel recorded is gone:
// what a pid-reuse attack or a forking client looks like to the agent.
const HAND_OFF_SCRIPT = `
const net = require('net');
const { spawn } = require('child_process');
const [socketPath, grandchildScript] = process.argv.slice(1);
const socket = net.connect(socketPath, () => {
  const grandchild = spawn(process.execPath, ['-e', grandchildScript], { stdio: ['ignore', 'inherit', 'inherit', socket], detached: true });
  process.stdout.write(JSON.stringify({ grandchildPid: grandchild.pid }) + '\\n');
  grandchild.unref();
  socket.destroy();
  process.exit(0);
});
`;

const GRANDCHILD_SCRIPT = `
const net = require('net');
const http2 = require('http2');
const socket = new net.Socket({ fd: 3, readable: true, writable: true });
const session = http2.connect('http://localhost', { createConnection: () => socket });
session.on('error', () => {});
const report = (fields) => { process.stdout.write(JSON.stringify(fields) + '\\n'); process.exit(0); };
const request = session.request({ ':method': 'POST', ':path': '/SpiffeWorkloadAPI/FetchX509SVID', 'content-type': 'application/grpc', te: 'trailers', 'workload.spiffe.io': 'true' });
const onStatus = (headers) => { if (headers['grpc-status'] !== undefined) report({ code: Number(headers['grpc-status']), details: decodeURIComponent(headers['grpc-message'] || '') }); };
request.on('response', onStatus);
request.on('trailers', onStatus);
request.on('data', () => report({ served: true }));
request.on('error', (e) => report({ error: e.message }));
request.end(Buffer.from([0, 0, 0, 0, 0]));
`;

export interface HandOffCaller {
  /** The pid the kernel recorded for the connection; exits right after the hand-off. */
  pid: number;
  exited: Promise<void>;
  grandchildPid: Promise<number>;
  /** What the grandchild got: a status, or `served` if any message arrived. */
  outcome: Promise<{ code?: number; details?: string; served?: boolean; error?: string }>;
  kill(): Promise<void>;
}

export function spawnHandOffCaller(socketPath: string): HandOffCaller {
  const child = spawn(process.execPath, ['-e', HAND_OFF_SCRIPT, socketPath, GRANDCHILD_SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const nextLine = async () => JSON.parse(((await lines.next()).value as string | undefined) ?? '{}') as Record<string, unknown>;
  const grandchildPid = nextLine().then((l) => Number(l['grandchildPid']));
  const outcome = grandchildPid.then(() => nextLine());
  return {
    pid: child.pid!,
    exited,
    grandchildPid,
    outcome,
    kill: async () => {
      child.kill('SIGKILL');
      const pid = await Promise.race([grandchildPid, exited.then(() => undefined)]);
      if (pid) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await exited;
    },
  };
}
