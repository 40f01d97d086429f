import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../../../src/async/index.js';
import { getJson } from '../../../src/kube/api-request.js';
import { loadKubeConfig } from '../../../src/kube/kube-config.js';
import { KubeError } from '../../../src/kube/index.js';
import { createTestCa } from '../../support/test-ca.js';
import type { TestCa } from '../../support/test-ca.js';

// The agent's own API server GETs over HTTPS with the cluster CA and a bearer token, against a
// server whose answer is larger than the agent accepts (a broken proxy, a misrouted URL).

const TOKEN = 'api-token';
let ca: TestCa;
let server: Server;
let url: string;
const seenAuthorization: (string | undefined)[] = [];

beforeAll(async () => {
  ca = await createTestCa();
  const cert = await ca.issueServerCert({ ipAddresses: ['127.0.0.1'] });
  server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    seenAuthorization.push(req.headers.authorization);
    res.writeHead(200, { 'content-type': 'application/json' });
    // 8 KiB of JSON, written in pieces as a large list would be.
    res.write('{"items":[');
    for (let i = 0; i < 128; i++) res.write(`${i === 0 ? '' : ','}"${'x'.repeat(60)}"`);
    res.end(']}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function get(maxBytes?: number): Promise<unknown> {
  const kubeConfig = loadKubeConfig({ kind: 'token', server: url, caPem: ca.certPem, token: TOKEN });
  return getJson(kubeConfig, '/api/v1/pods', 'the pods on this node', { signal: new AbortController().signal, timeoutMs: 5_000, clock: systemClock, maxBytes });
}

describe('getJson', () => {
  it('reads a whole answer within the bound, sent with the bearer token', async () => {
    const list = (await get()) as { items: string[] };
    expect(list.items).toHaveLength(128);
    expect(seenAuthorization.at(-1)).toBe(`Bearer ${TOKEN}`);
  });

  it('refuses an answer over the bound with an unavailable error naming what was asked, without reading it all', async () => {
    const error = await get(1024).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeError);
    expect(error).toMatchObject({ code: 'unavailable', message: 'api server request for the pods on this node failed: the answer exceeds 1024 bytes' });
  });
});
