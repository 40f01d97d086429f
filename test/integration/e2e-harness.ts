import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from '@jest/globals';
import { startAgent } from '../../src/agent.js';
import type { Agent } from '../../src/agent.js';
import type { Clock } from '../../src/async/index.js';
import type { ConfigOverrides } from '../../src/config/index.js';
import { createJsonLogger } from '../../src/log/index.js';
import type { Logger } from '../../src/log/index.js';
import { nodeAgentConfig } from '../support/node-agent.js';
import type { SimulatedNode } from '../support/simulated-node.js';
import { eventually, recordingLogger } from '../support/workload-endpoint-fixture.js';
import type { LogRecord } from '../support/workload-endpoint-fixture.js';

// The end-to-end suite's common ground: the real agent on a SimulatedNode with every log line
// recorded, what an operator can query (/ready, /metrics, the log), and the check that an agent
// left nothing behind when it closed.

export { eventually };
export { JumpClock } from '../support/jump-clock.js';
export type { LogRecord } from '../support/workload-endpoint-fixture.js';

export interface RecordedAgent {
  readonly agent: Agent;
  readonly logs: LogRecord[];
}

export interface RecordedAgentOptions {
  overrides?: ConfigOverrides;
  /** Instead of recording into `logs`. */
  logger?: Logger;
  clock?: Clock;
  logs?: LogRecord[];
  /**
   * Wait until /ready says ready (default true): the agent has its own Conjur token and the
   * bundle, so tests that then change the Conjur double's behaviour do not change the agent's
   * own login, and callers are not turned away because the bundle is still loading.
   */
  untilReady?: boolean;
}

/** The agent as the DaemonSet runs it, against `node`, logging into `logs`. */
export async function startRecordedAgent(node: SimulatedNode, options: RecordedAgentOptions = {}): Promise<RecordedAgent> {
  const logs = options.logs ?? [];
  const recorder = recordingLogger(logs);
  // E2E_VERBOSE=1 also prints every line to stderr as it is logged, for debugging a failing test.
  const logger = options.logger ?? (process.env['E2E_VERBOSE'] ? teeLogger(recorder, createJsonLogger({ level: 'debug' })) : recorder);
  const agentPod = node.pods.get('conjur-spiffe/conjur-spiffe-agent-x7k2q') ?? node.addAgentPod();
  const config = nodeAgentConfig(node, agentPod, options.overrides);
  const agent = await startAgent(config, { logger, ...(options.clock ? { clock: options.clock } : {}) });
  if (options.untilReady ?? true) await eventually(() => agent.health.readiness().ready, 20_000);
  return { agent, logs };
}

function teeLogger(a: Logger, b: Logger): Logger {
  const both =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: Record<string, unknown>): void => {
      a[level](message, fields);
      b[level](message, fields);
    };
  return { debug: both('debug'), info: both('info'), warn: both('warn'), error: both('error'), child: (fields) => teeLogger(a.child(fields), b.child(fields)) };
}

/** Log lines with this message (and, if given, whose fields match). */
export function linesOf(logs: readonly LogRecord[], message: string, fields: Record<string, unknown> = {}): LogRecord[] {
  return logs.filter((r) => r.message === message && Object.entries(fields).every(([k, v]) => (v instanceof RegExp ? v.test(String(r.fields[k])) : r.fields[k] === v)));
}

/** After close(): no connection, stream, subscription or cached identity left, and no socket file. */
export function expectClosedCleanly(agent: Agent): void {
  expect({
    connections: agent.endpoint.connectionCount,
    streams: agent.endpoint.openStreamCount,
    subscribers: agent.cache.subscriberCount,
    identities: agent.cache.size,
    socketFile: existsSync(agent.socketPath),
  }).toEqual({ connections: 0, streams: 0, subscribers: 0, identities: 0, socketFile: false });
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/** A GET on the agent's loopback HTTP servers (health or metrics). */
export function httpGet(address: AddressInfo, path: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address.address, port: address.port, path, method: 'GET', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A sample's value from Prometheus text exposition (0 when the series does not exist yet). */
export function metricValue(exposition: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = new Map([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => present.get(k) === v)) return Number(match[3]);
  }
  return 0;
}

/** The certificates of a DER concatenation (x509_svid and bundle fields carry them this way). */
export function splitDerCertificates(der: Buffer): X509Certificate[] {
  const certs: X509Certificate[] = [];
  for (let offset = 0; offset < der.length; ) {
    const length = derLength(der, offset);
    certs.push(new X509Certificate(der.subarray(offset, offset + length)));
    offset += length;
  }
  return certs;
}

function derLength(der: Buffer, offset: number): number {
  const first = der[offset + 1] ?? 0;
  if (first < 0x80) return 2 + first;
  const bytes = first & 0x7f;
  let length = 0;
  for (let i = 0; i < bytes; i++) length = length * 256 + (der[offset + 2 + i] ?? 0);
  return 2 + bytes + length;
}
