import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ConjurClient } from '../../../src/conjur/index.js';
import type { ConjurAccessToken, ConjurConnectionOptions } from '../../../src/conjur/index.js';
import { createTestCa } from '../../support/test-ca.js';
import type { IssuedCert, TestCa } from '../../support/test-ca.js';

// A small HTTPS server standing in for Conjur's TLS proxy: it asks every connection for a client
// certificate (accepting any, like nginx optional_no_ca) and records, per TLS connection, the
// certificate presented and the requests carried.

interface Connection {
  readonly id: number;
  readonly peerCn: string | undefined;
  readonly sessionReused: boolean;
  readonly requests: string[];
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let ca: TestCa;
let podA: IssuedCert;
let podB: IssuedCert;
let server: Server;
let url: string;
let handler: Handler;
const connections: Connection[] = [];
const byLogin = (login: string) => `/authn-k8s/dev/myorg/${encodeURIComponent(login)}/authenticate`;

beforeAll(async () => {
  ca = await createTestCa();
  const [serverCert, a, b] = await Promise.all([
    ca.issueServerCert(),
    ca.issueClientCert({ commonName: 'host.apps.pod-a' }),
    ca.issueClientCert({ commonName: 'host.apps.pod-b' }),
  ]);
  [podA, podB] = [a, b];
  server = createServer({ key: serverCert.keyPem, cert: serverCert.certPem, requestCert: true, rejectUnauthorized: false });
  server.on('secureConnection', (socket: TLSSocket) => {
    const peer = socket.getPeerCertificate();
    const connection = { id: connections.length, peerCn: peer.subject?.CN as string | undefined, sessionReused: socket.isSessionReused(), requests: [] };
    connections.push(connection);
    (socket as TLSSocket & { connection?: Connection }).connection = connection;
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    (req.socket as TLSSocket & { connection?: Connection }).connection?.requests.push(`${req.method} ${req.url}`);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function clientWith(overrides: Partial<ConjurConnectionOptions> = {}): ConjurClient {
  return new ConjurClient({
    applianceUrl: url,
    authnUrl: `${url}/authn-k8s/dev/`,
    account: 'myorg',
    sslCertificatePem: ca.certPem,
    requestTimeoutMs: 2_000,
    retry: { initialMs: 10, maxMs: 20, maxAttempts: 3 },
    ...overrides,
  });
}

function tokenFor(login: string): string {
  const payload = Buffer.from(JSON.stringify({ iat: 100, sub: login, exp: 580 })).toString('base64url');
  return JSON.stringify({ protected: 'e30=', payload, signature: 'c2ln' });
}

const authenticateHandler: Handler = (req, res) => {
  const login = decodeURIComponent(req.url!.split('/')[4]!);
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(tokenFor(login));
};

async function withClient<T>(client: ConjurClient, fn: (c: ConjurClient) => Promise<T>): Promise<T> {
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

const signal = () => new AbortController().signal;

describe('ConjurClient authenticate', () => {
  it('gives each authenticate its own TLS connection with that pod\'s client certificate', async () => {
    handler = authenticateHandler;
    connections.length = 0;
    await withClient(clientWith(), async (client) => {
      const [a, b] = await Promise.all([
        client.authenticate('host/apps/pod-a', podA, signal()),
        client.authenticate('host/apps/pod-b', podB, signal()),
      ]);
      await client.authenticate('host/apps/pod-a', podA, signal());
      expect([a.login, b.login]).toEqual(['host/apps/pod-a', 'host/apps/pod-b']);
    });
    expect(connections).toHaveLength(3);
    for (const c of connections) expect(c.requests).toHaveLength(1);
    expect(connections.every((c) => !c.sessionReused)).toBe(true);
    const seen = connections.map((c) => [c.peerCn, c.requests[0]]);
    expect(seen).toEqual(
      expect.arrayContaining([
        ['host.apps.pod-a', `POST ${byLogin('host/apps/pod-a')}`],
        ['host.apps.pod-b', `POST ${byLogin('host/apps/pod-b')}`],
      ]),
    );
    expect(seen.filter(([cn]) => cn === 'host.apps.pod-a')).toHaveLength(2);
  });

  it('encodes the login as one path segment', async () => {
    let path = '';
    handler = (req, res) => ((path = req.url!), authenticateHandler(req, res, ''));
    await withClient(clientWith(), (c) => c.authenticate('host/apps/ns1/*/*', podA, signal()));
    expect(path).toBe('/authn-k8s/dev/myorg/host%2Fapps%2Fns1%2F%2A%2F%2A/authenticate');
  });

  it('does not retry a 401', async () => {
    let calls = 0;
    handler = (_req, res) => (calls++, res.writeHead(401).end());
    const failure = withClient(clientWith(), (c) => c.authenticate('host/apps/pod-a', podA, signal()));
    await expect(failure).rejects.toMatchObject({ code: 'denied', status: 401 });
    expect(calls).toBe(1);
  });
});

describe('ConjurClient inject', () => {
  it('posts the CSR with the Host-Id-Prefix header and accepts 202', async () => {
    let seen: { headers: IncomingMessage['headers']; body: string } | undefined;
    handler = (req, res, body) => ((seen = { headers: req.headers, body }), res.writeHead(202).end());
    await withClient(clientWith(), (c) => c.injectClientCert('CSR PEM', 'host.apps', signal()));
    expect(seen).toMatchObject({ body: 'CSR PEM', headers: { 'host-id-prefix': 'host.apps', 'content-type': 'text/plain' } });
  });

  it('sends no client certificate and reuses its kept-alive connection', async () => {
    handler = (_req, res) => res.writeHead(202).end();
    connections.length = 0;
    await withClient(clientWith(), async (c) => {
      await c.injectClientCert('a', 'host', signal());
      await c.injectClientCert('b', 'host', signal());
    });
    expect(connections.map((c) => [c.peerCn, c.requests.length])).toEqual([[undefined, 2]]);
  });

  // One retry layer: an answer is the caller's to pace (the SVID cache's per-identity backoff).
  it('does not retry a 5xx answer: one request, unavailable', async () => {
    let calls = 0;
    handler = (_req, res) => (calls++, res.writeHead(500).end());
    await expect(withClient(clientWith(), (c) => c.injectClientCert('csr', 'host', signal()))).rejects.toMatchObject({
      code: 'unavailable',
      status: 500,
      message: 'conjur answered 500 to inject_client_cert',
    });
    expect(calls).toBe(1);
  });

  it('retries a connection reset before any answer, within the attempts, and succeeds', async () => {
    let calls = 0;
    handler = (req, res) => (++calls < 3 ? req.socket.destroy() : res.writeHead(202).end());
    await withClient(clientWith(), (c) => c.injectClientCert('csr', 'host', signal()));
    expect(calls).toBe(3);
  });

  it('gives up as unavailable when connection-level attempts are spent', async () => {
    let calls = 0;
    handler = (req) => (calls++, req.socket.destroy());
    await expect(withClient(clientWith(), (c) => c.injectClientCert('csr', 'host', signal()))).rejects.toMatchObject({ code: 'unavailable', connectionLevel: true });
    expect(calls).toBe(3);
  });

  it('names what an empty 401 from authn-k8s can mean, once', async () => {
    handler = (_req, res) => res.writeHead(401).end();
    const error = await withClient(clientWith(), (c) => c.injectClientCert('csr', 'host', signal())).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'denied', status: 401, message: 'conjur answered 401 (a refusal, or an exec or kubernetes error inside conjur) to inject_client_cert' });
  });

  it('keeps at most maxConcurrentRequests requests in flight; the rest wait in arrival order', async () => {
    const held: ServerResponse[] = [];
    const order: string[] = [];
    handler = (req, res) => (order.push(req.headers['host-id-prefix'] as string), held.push(res));
    const client = clientWith({ maxConcurrentRequests: 2 });
    try {
      const calls = ['a', 'b', 'c', 'd', 'e'].map((p) => client.injectClientCert('csr', p, signal()));
      await until(() => held.length === 2);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(held).toHaveLength(2);
      expect(client.requestsInFlight).toEqual({ running: 2, waiting: 3 });
      while (held.length < 5 || held.some((r) => !r.writableEnded)) {
        for (const res of held) if (!res.writableEnded) res.writeHead(202).end();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await Promise.all(calls);
      expect(order).toEqual(['a', 'b', 'c', 'd', 'e']);
    } finally {
      client.close();
    }
  });

  it("measures Conjur's clock from the Date header", async () => {
    handler = (_req, res) => res.writeHead(202, { date: new Date(Date.now() + 300_000).toUTCString() }).end();
    const client = clientWith();
    try {
      await client.injectClientCert('csr', 'host', signal());
      expect(Math.abs(client.skew.currentMs - 300_000)).toBeLessThan(5_000);
    } finally {
      client.close();
    }
  });

  it('maps 403 to denied without retrying', async () => {
    let calls = 0;
    handler = (_req, res) => (calls++, res.writeHead(403).end());
    await expect(withClient(clientWith(), (c) => c.injectClientCert('csr', 'host', signal()))).rejects.toMatchObject({ code: 'denied', status: 403 });
    expect(calls).toBe(1);
  });

  it('times out a call that gets no answer, without retrying it', async () => {
    let calls = 0;
    handler = () => void calls++;
    const client = clientWith({ requestTimeoutMs: 100 });
    await expect(withClient(client, (c) => c.injectClientCert('csr', 'host', signal()))).rejects.toMatchObject({
      code: 'unavailable',
      message: 'conjur did not answer within 100 ms',
      connectionLevel: false,
    });
    expect(calls).toBe(1);
  });

  it('rejects with the caller\'s reason when the caller aborts', async () => {
    handler = () => {};
    const controller = new AbortController();
    const pending = withClient(clientWith(), (c) => c.injectClientCert('csr', 'host', controller.signal));
    setTimeout(() => controller.abort(new Error('shutting down')), 20);
    await expect(pending).rejects.toThrow('shutting down');
  });

  it('refuses a server whose certificate is not from the Conjur CA', async () => {
    const other = await createTestCa({ commonName: 'not conjur' });
    handler = (_req, res) => res.writeHead(202).end();
    const client = clientWith({ sslCertificatePem: other.certPem, retry: { initialMs: 1, maxMs: 1, maxAttempts: 1 } });
    await expect(withClient(client, (c) => c.injectClientCert('csr', 'host', signal()))).rejects.toMatchObject({ code: 'unavailable' });
  });
});

describe('ConjurClient fetchSecret', () => {
  const token: ConjurAccessToken = { raw: Buffer.from('{"token":1}'), login: 'host/x', issuedAt: 0, expiresAt: 1, conjurIssuedAt: 0 };

  it('sends the token as standard base64 and returns the raw bytes', async () => {
    let seen: IncomingMessage | undefined;
    handler = (req, res) => ((seen = req), res.writeHead(200).end(Buffer.from([0, 1, 2])));
    const value = await withClient(clientWith(), (c) => c.fetchSecret('conjur/authn-k8s/dev/ca/cert', token, signal()));
    expect(value).toEqual(Buffer.from([0, 1, 2]));
    expect(seen?.url).toBe('/secrets/myorg/variable/conjur%2Fauthn-k8s%2Fdev%2Fca%2Fcert');
    expect(seen?.headers.authorization).toBe(`Token token="${token.raw.toString('base64')}"`);
  });

  it('maps 404 to not-found', async () => {
    handler = (_req, res) => res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":{"code":"not_found"}}');
    await expect(withClient(clientWith(), (c) => c.fetchSecret('x', token, signal()))).rejects.toMatchObject({ code: 'not-found' });
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}
