import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { PathRewriter, SSL_DIR } from './container-fs.js';
import type { ContainerView } from './container-fs.js';

// One exec stream as the kubelet serves it over WebSocket (remotecommand): binary frames whose
// first byte is the channel (0 stdin, 1 stdout, 2 stderr, 3 error/status, 4 resize, 255 close
// stream in v5). Clients may send text frames too: the kubelet reads both alike. The
// difference between protocol versions is only what goes on channel 3 at the end:
// - v1 (no subprotocol, channel.k8s.io, v2, v3): a plain-text message on failure, nothing on success;
// - v4/v5: a JSON metav1.Status, Success or Failure (reason NonZeroExitCode + ExitCode cause).

export type StatusStyle = 'v1' | 'v4' | 'v5';

export interface ExecStreams {
  readonly command: readonly string[];
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
}

export interface ExecStatus {
  readonly status: 'Success' | 'Failure';
  readonly message?: string;
  readonly reason?: string;
  readonly details?: { causes: { reason?: string; message: string }[] };
  readonly code?: number;
}

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const CLOSE_STREAM = 255;
export const LOG_FILE = 'conjur_copy_text_output.log';
const SHELLS = new Set(['sh', '/bin/sh']);

/** Kubelet's first frame: an empty one on the lowest requested output channel (else the error channel). */
export function sendHello(ws: WebSocket, streams: ExecStreams): void {
  send(ws, streams.stdout ? STDOUT : streams.stderr ? STDERR : ERROR, Buffer.alloc(0));
}

/** Ends the stream the way the kubelet does when the runtime reports `status`. */
export function finish(ws: WebSocket, style: StatusStyle, status: ExecStatus): void {
  if (style !== 'v1') send(ws, ERROR, Buffer.from(JSON.stringify({ metadata: {}, ...status })));
  else if (status.status === 'Failure') send(ws, ERROR, Buffer.from(status.message ?? ''));
  if (ws.readyState === WebSocket.OPEN) ws.close(1000);
}

export interface RunningExec {
  /** Settles once the process has exited and its status was sent (or dropped, if the client left). */
  readonly done: Promise<void>;
  kill(): void;
}

/**
 * Runs the command with a real `sh`. The process outlives the WebSocket, as in a pod: Conjur
 * closes right after sending the script, and the script still runs to the end; the client's
 * close only ends stdin.
 */
export function runExec(ws: WebSocket, style: StatusStyle, streams: ExecStreams, view: ContainerView): RunningExec {
  const [program = '', ...args] = streams.command;
  if (!SHELLS.has(program)) {
    finish(ws, style, runtimeError(`exec: "${program}": executable file not found in $PATH`));
    return { done: Promise.resolve(), kill: () => undefined };
  }
  const rewriter = new PathRewriter(SSL_DIR, view.sslDir);
  const child = spawn('sh', args.map((a) => a.split(SSL_DIR).join(view.sslDir)), {
    cwd: view.tmpDir,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', TMPDIR: view.tmpDir, HOME: view.tmpDir },
    stdio: 'pipe',
  });
  let stdinOpen = true;
  const endStdin = () => {
    if (!stdinOpen) return;
    stdinOpen = false;
    child.stdin.end(rewriter.end());
  };
  child.stdin.on('error', () => undefined); // EPIPE when sh exits before reading everything
  const forward = (channel: number, wanted: boolean) => (chunk: Buffer) => {
    if (wanted) send(ws, channel, Buffer.from(chunk.toString('latin1').split(view.sslDir).join(SSL_DIR), 'latin1'));
  };
  child.stdout.on('data', forward(STDOUT, streams.stdout));
  child.stderr.on('data', forward(STDERR, streams.stderr));
  if (!streams.stdin) endStdin();

  ws.on('message', (data: Buffer) => {
    const channel = data[0];
    if (channel === STDIN && stdinOpen) child.stdin.write(rewriter.push(data.subarray(1)));
    else if (channel === CLOSE_STREAM && style === 'v5' && data[1] === STDIN) endStdin();
    // resize (4) and unknown channels are ignored, as the kubelet does
  });
  ws.on('close', endStdin);

  const done = new Promise<void>((resolve) => {
    child.on('error', (err) => {
      finish(ws, style, runtimeError(err.message));
      resolve();
    });
    child.on('close', (code, signal) => {
      void mapLogBack(view).then(() => {
        finish(ws, style, exitStatus(streams.command, code, signal));
        resolve();
      });
    });
  });
  return { done, kill: () => void child.kill('SIGKILL') };
}

function exitStatus(command: readonly string[], code: number | null, signal: NodeJS.Signals | null): ExecStatus {
  if (code === 0) return { status: 'Success' };
  if (code === null) return runtimeError(`command terminated by signal ${signal ?? 'unknown'}`);
  return {
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** What the kubelet reports when the runtime cannot run the command at all. */
function runtimeError(message: string): ExecStatus {
  const text = `OCI runtime exec failed: exec failed: unable to start container process: ${message}: unknown`;
  return { status: 'Failure', message: `Internal error occurred: ${text}`, reason: 'InternalError', details: { causes: [{ message: text }] }, code: 500 };
}

/** The injection log shows paths as the container sees them (undoing the simulation's rewrite). */
async function mapLogBack(view: ContainerView): Promise<void> {
  const path = join(view.tmpDir, LOG_FILE);
  const text = await readFile(path, 'latin1').catch(() => undefined);
  if (text?.includes(view.sslDir)) await writeFile(path, text.split(view.sslDir).join(SSL_DIR), 'latin1');
}

function send(ws: WebSocket, channel: number, payload: Buffer): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), payload]), { binary: true });
}
