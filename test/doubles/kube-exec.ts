import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { containerView, containersOf } from './kube-exec/container-fs.js';
import { finish, runExec, sendHello } from './kube-exec/exec-session.js';
import type { ExecStreams, StatusStyle } from './kube-exec/exec-session.js';
import { injectedFailure, notFound, statusJson } from './kube-api-status.js';

// pods/exec for the Kubernetes API double, over WebSocket as the API server proxies it to the
// kubelet: bearer auth, pod and container lookup from the double's pod store (Status JSON errors
// before the upgrade), subprotocol negotiation in the client's order (none → v1 semantics,
// channel.k8s.io/v2/v3 → v1, v4 and v5 JSON status, v5 close-stream frames; an offer with no
// supported protocol gets the bare 403 of the kubelet's handshake), then a real `sh` whose view
// of /etc/conjur/ssl is the pod's emptyDir on the simulated node (see kube-exec/container-fs.ts).

export { LOG_FILE } from './kube-exec/exec-session.js';

export interface ExecDoubleOptions {
  /** Simulated `/var/lib/kubelet/pods`: emptyDir volumes live under `<dir>/<pod uid>/volumes/kubernetes.io~empty-dir/`. */
  readonly kubeletPodsDir: string;
  /** The bearer token the API double accepts (the double does not expose it). */
  readonly token: string;
  /** Where per-container TMPDIRs go; a fresh temp dir (removed on close) by default. */
  readonly tmpRoot?: string;
}

export interface ExecRecord {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly command: readonly string[];
  /** The negotiated subprotocol, '' for none. */
  readonly protocol: string;
}

export interface KubeExecDouble {
  /** Exec streams that were upgraded, in order. */
  readonly execs: readonly ExecRecord[];
  /** Upgrade requests that reached pods/exec (including refused ones). */
  readonly requests: number;
  setToken(token: string): void;
  /** The next `times` exec requests are refused before the upgrade with this status (403 = no pods/exec RBAC). */
  failNext(status: number, times?: number): void;
  /** The next `times` execs get 101 and then silence: no frame is read or sent, the socket never closes. */
  stallNext(times?: number): void;
  /** The next `times` execs fail in the runtime: an error on channel 3 right after the upgrade. */
  errorNext(message: string, times?: number): void;
  /** The host directory that is the container's TMPDIR (the injection log is written there). */
  tmpDirOf(podUid: string, container: string): string;
  /** Resolves when every `sh` started so far has exited (its file writes are done). */
  whenIdle(): Promise<void>;
  close(): Promise<void>;
}

interface ExecTarget {
  server: Server;
  getPod(namespace: string, name: string): Record<string, unknown> | undefined;
}

const EXEC_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/;
const SUPPORTED = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function attachExec(kubeApi: ExecTarget, options: ExecDoubleOptions): KubeExecDouble {
  const tmpRoot = options.tmpRoot ?? mkdtempSync(join(tmpdir(), 'kube-exec-'));
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (_offered, req) => negotiate(req.headers['sec-websocket-protocol']) || false,
  });
  const sockets = new Set<Duplex>();
  const running = new Set<Promise<void>>();
  const kills = new Set<() => void>();
  const failures: number[] = [];
  const stalls: true[] = [];
  const errors: string[] = [];
  const execs: ExecRecord[] = [];
  let token = options.token;
  let requests = 0;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'https://kube-api');
    const path = EXEC_PATH.exec(url.pathname);
    if (!path) return refuse(socket, 404, statusJson(404, 'the server could not find the requested resource'));
    requests++;
    if (req.headers.authorization !== `Bearer ${token}`) return refuse(socket, 401, statusJson(401, 'Unauthorized'));
    const failure = failures.shift();
    if (failure !== undefined) return refuse(socket, failure, injectedFailure(failure, url.pathname));
    const [namespace, podName] = [decodeURIComponent(path[1]!), decodeURIComponent(path[2]!)];
    const pod = kubeApi.getPod(namespace, podName);
    if (!pod) return refuse(socket, 404, notFound('pods', podName));
    const request = parseExecRequest(pod, podName, url.searchParams);
    if ('error' in request) return refuse(socket, 400, statusJson(400, request.error));
    const protocol = negotiate(req.headers['sec-websocket-protocol']);
    // golang.org/x/net/websocket answers a failed subprotocol handshake with a bare 403
    if (protocol === undefined) return refuse(socket, 403);
    const view = containerView(pod, request.container, { kubeletPodsDir: options.kubeletPodsDir, tmpRoot });
    execs.push({ namespace, pod: podName, container: request.container, command: request.streams.command, protocol });
    if (stalls.shift()) return stall(req, socket, protocol);
    const style: StatusStyle = protocol === 'v5.channel.k8s.io' ? 'v5' : protocol === 'v4.channel.k8s.io' ? 'v4' : 'v1';
    const runtimeError = errors.shift();
    wss.handleUpgrade(req, socket, head, (ws) => {
      sendHello(ws, request.streams);
      if (runtimeError !== undefined) return finish(ws, style, { status: 'Failure', message: runtimeError, reason: 'InternalError', code: 500 });
      const exec = runExec(ws, style, request.streams, view);
      running.add(exec.done);
      kills.add(exec.kill);
      void exec.done.then(() => {
        running.delete(exec.done);
        kills.delete(exec.kill);
      });
    });
  };
  kubeApi.server.on('upgrade', onUpgrade);

  return {
    execs,
    get requests() {
      return requests;
    },
    setToken: (next) => void (token = next),
    failNext: (status, times = 1) => void failures.push(...Array<number>(times).fill(status)),
    stallNext: (times = 1) => void stalls.push(...Array<true>(times).fill(true)),
    errorNext: (message, times = 1) => void errors.push(...Array<string>(times).fill(message)),
    tmpDirOf: (podUid, container) => join(tmpRoot, podUid, container, 'tmp'),
    async whenIdle() {
      while (running.size > 0) await Promise.all([...running]);
    },
    async close() {
      kubeApi.server.off('upgrade', onUpgrade);
      for (const kill of kills) kill();
      await Promise.all([...running]);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      if (!options.tmpRoot) rmSync(tmpRoot, { recursive: true, force: true });
    },
  };

  /** A 101 by hand, then nothing: the peer waits for frames and a close that never come. */
  function stall(req: IncomingMessage, socket: Duplex, protocol: string): void {
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key'] ?? ''}${WS_GUID}`).digest('base64');
    const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`];
    socket.write(`${[...lines, ...(protocol ? [`Sec-WebSocket-Protocol: ${protocol}`] : [])].join('\r\n')}\r\n\r\n`);
    socket.on('data', () => undefined);
  }
}

/** The kubelet takes the first protocol *the client* lists that it supports; none offered means ''. */
function negotiate(header: string | undefined): string | undefined {
  const offered = (header ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  if (offered.length === 0) return '';
  return offered.find((p) => SUPPORTED.includes(p));
}

function parseExecRequest(pod: Record<string, unknown>, podName: string, query: URLSearchParams): { container: string; streams: ExecStreams } | { error: string } {
  const flag = (name: string) => /^(1|t|true)$/i.test(query.get(name) ?? '');
  const streams = { command: query.getAll('command'), stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr') };
  if (!streams.stdin && !streams.stdout && !streams.stderr) return { error: 'you must specify at least 1 of stdin, stdout, stderr' };
  if (streams.command.length === 0) return { error: 'you must specify at least one command for the container' };
  const phase = ((pod['status'] ?? {}) as Record<string, unknown>)['phase'];
  if (phase === 'Succeeded' || phase === 'Failed') return { error: `cannot exec into a container in a completed pod; current phase is ${phase}` };
  const names = containersOf(pod).map((c) => String(c['name']));
  const main = (((pod['spec'] ?? {}) as Record<string, unknown>)['containers'] ?? []) as unknown[];
  const container = query.get('container') ?? (main.length === 1 ? names[0] : undefined);
  if (container === undefined) return { error: `a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]` };
  if (!names.includes(container)) return { error: `container ${container} is not valid for pod ${podName}` };
  return { container, streams };
}

/** An HTTP error instead of the 101, as the API server (Status JSON) or the kubelet (bare) sends it. */
function refuse(socket: Duplex, status: number, body?: unknown): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  const head = [`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}`, `Content-Length: ${Buffer.byteLength(text)}`, 'Connection: close'];
  if (body !== undefined) head.push('Content-Type: application/json');
  socket.end(`${head.join('\r\n')}\r\n\r\n${text}`);
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error', 503: 'Service Unavailable' };
