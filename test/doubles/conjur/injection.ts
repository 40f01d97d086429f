import { WebSocket } from 'ws';
import type { RawData } from 'ws';
import { ConjurDenial } from './http.js';
import type { KubeConnection } from './kube-lookup.js';

// How Conjur puts the signed certificate into the pod (protocol §9): a WebSocket exec of `sh`
// in the target container with *no* subprotocol (so Kubernetes uses v1 channel semantics), one
// text frame `0x00` + script, an immediate close, then waiting (at most the exec timeout) for the
// peer's close. Only binary frames count: anything on channel 3, or a channel ≥ 5, before the
// close fails the request. The script's own success is invisible here, by design.

export const CLIENT_CERT_PATH = '/etc/conjur/ssl/client.pem';
export const DEFAULT_EXEC_TIMEOUT_MS = 5000;

/**
 * The script of §9.4 (our wording, Conjur's semantics): exit on error, a trap that removes the
 * temp file, the PEM written through an unquoted here-document (which adds the extra trailing
 * newline Conjur's file has), chmod 644, an atomic mv, and all output logged to
 * `${TMPDIR:-/tmp}/conjur_copy_text_output.log` when that directory is writable.
 */
export function copyCertificateScript(pem: string, path = CLIENT_CERT_PATH): string {
  const tmp = `${path}.tmp`;
  const logDir = '${TMPDIR:-/tmp}';
  return [
    '#!/bin/sh',
    'set -e',
    '',
    'cleanup() {',
    `  rm -f "${tmp}"`,
    '}',
    'trap cleanup EXIT',
    '',
    'set_file_content() {',
    `  cat > "${tmp}" <<EOF`,
    pem,
    'EOF',
    '',
    `  chmod "644" "${tmp}"`,
    `  mv "${tmp}" "${path}"`,
    '}',
    '',
    '# log only where the container lets us write',
    `if [ -w "${logDir}" ]; then`,
    `  set_file_content > "${logDir}/conjur_copy_text_output.log" 2>&1`,
    'else',
    `  echo "WARNING: Log directory '${logDir}' is not writeable. Certificate will be injected but operation logs will not be saved." >&2`,
    '  set_file_content',
    'fi',
    '',
  ].join('\n');
}

export interface ExecTarget {
  readonly namespace: string;
  readonly podName: string;
  readonly container: string;
}

/** Runs `script` by exec as Conjur does; resolves on a clean close, throws ConjurDenial otherwise. */
export function execScript(connection: KubeConnection, target: ExecTarget, script: string, timeoutMs: number): Promise<void> {
  const base = new URL(connection.url);
  const path = `${base.pathname.replace(/\/$/, '')}/api/v1/namespaces/${target.namespace}/pods/${target.podName}/exec`;
  const query = `container=${encodeURIComponent(target.container)}&stderr=true&stdout=true&stdin=true&command=sh`;
  const ws = new WebSocket(`wss://${base.host}${path}?${query}`, {
    headers: { Authorization: `Bearer ${connection.token}` },
    ca: connection.caPem,
    perMessageDeflate: false,
  });
  return new Promise<void>((resolve, reject) => {
    const errors: string[] = [];
    let settled = false;
    const settle = (error?: ConjurDenial) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    const timer = timeoutMs > 0 ? setTimeout(() => (ws.terminate(), settle(new ConjurDenial('CONJ00033E', `exec timed out after ${timeoutMs} ms`))), timeoutMs) : undefined;
    ws.on('unexpected-response', (req, res) => {
      res.resume();
      req.destroy();
      settle(new ConjurDenial('CONJ00072E', `CONJ00071E websocket handshake failed with status ${res.statusCode ?? 0}`));
    });
    ws.on('open', () => {
      ws.send(`\u0000${script}`);
      ws.close();
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) return;
      const frame = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
      const channel = frame[0] ?? 0;
      if (channel === 3) errors.push(frame.subarray(1).toString('utf8'));
      else if (channel >= 5) errors.push(`CONJ00073E unexpected channel ${channel}`);
    });
    ws.on('close', (code: number) => {
      if (code === 1006) return settle(new ConjurDenial('CONJ00072E', 'exec connection ended without a close frame'));
      if (errors.length > 0) return settle(new ConjurDenial('CONJ00072E', `exec failed: ${errors.join('; ')}`));
      settle();
    });
    ws.on('error', (err) => settle(new ConjurDenial('CONJ00072E', `exec failed: ${err.message}`)));
  });
}
