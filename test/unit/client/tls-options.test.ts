import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import {
  authorizeAny,
  authorizeId,
  authorizeIf,
  authorizeMemberOf,
  PeerVerificationError,
  secureServer,
  tlsClientOptions,
  tlsServerOptions,
} from '../../../src/client/index.js';
import type { Authorizer, X509Context } from '../../../src/client/index.js';
import { createTestCa } from '../../support/test-ca.js';
import type { TestCa } from '../../support/test-ca.js';
import { bundleOf, contextOf, issueSvid, StaticX509Source } from './static-x509-source.js';

// Real TLS handshakes over 127.0.0.1: OpenSSL checks chains, then our verifyPeer re-checks the
// chain against the peer's own trust domain and applies the Authorizer.

let ca: TestCa; // example.org
let otherCa: TestCa; // other.org
const servers: tls.Server[] = [];

beforeAll(async () => {
  [ca, otherCa] = await Promise.all([createTestCa({ commonName: 'example.org CA' }), createTestCa({ commonName: 'other.org CA' })]);
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

interface Served {
  port: number;
  rejections: Error[];
}

/** A TLS server that answers "hello <peer SPIFFE ID>" to every authorized client. */
async function serve(source: StaticX509Source, authorize: Authorizer): Promise<Served> {
  const rejections: Error[] = [];
  const server = tls.createServer(tlsServerOptions(source), (socket) => {
    const peer = new X509Certificate(socket.getPeerCertificate().raw);
    socket.end(`hello ${peer.subjectAltName}`);
  });
  secureServer(server, source, { authorize, onRejected: (error) => rejections.push(error) });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, rejections };
}

/** Connects, reads until the server closes; resolves with what it read and the server's ID. */
function connect(port: number, options: tls.ConnectionOptions): Promise<{ text: string; serverSan: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: '127.0.0.1', ...options });
    let text = '';
    let serverSan = '';
    socket.on('secureConnect', () => {
      serverSan = new X509Certificate(socket.getPeerCertificate().raw).subjectAltName ?? '';
    });
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('close', () => resolve({ text, serverSan }));
    socket.on('error', reject);
  });
}

const SERVER_ID = 'spiffe://example.org/server';
const CLIENT_ID = 'spiffe://example.org/client';

function serverSource(): StaticX509Source {
  return new StaticX509Source(contextOf(issueSvid(ca, SERVER_ID), bundleOf('example.org', ca)));
}

/** A client whose own SVID is `svid`, trusting example.org (and other.org when given). */
function clientSource(context: X509Context): StaticX509Source {
  return new StaticX509Source(context);
}

describe('server-side authorization', () => {
  it('accepts a client with the expected SPIFFE ID', async () => {
    const { port, rejections } = await serve(serverSource(), authorizeId(CLIENT_ID));
    const client = clientSource(contextOf(issueSvid(ca, CLIENT_ID), bundleOf('example.org', ca)));
    const { text } = await connect(port, tlsClientOptions(client, { authorize: authorizeId(SERVER_ID) }));
    expect(text).toBe(`hello URI:${CLIENT_ID}`);
    expect(rejections).toEqual([]);
  });

  it('refuses a client with another SPIFFE ID of the same trust domain', async () => {
    const { port, rejections } = await serve(serverSource(), authorizeId(CLIENT_ID));
    const client = clientSource(contextOf(issueSvid(ca, 'spiffe://example.org/intruder'), bundleOf('example.org', ca)));
    const result = await connect(port, tlsClientOptions(client, { authorize: authorizeAny() })).catch((e: Error) => ({ text: '', error: e }));
    expect(result.text).toBe('');
    expect(rejections.map((e) => (e as PeerVerificationError).code)).toEqual(['unauthorized']);
    expect(rejections[0]!.message).toBe(`unexpected SPIFFE ID spiffe://example.org/intruder: expected ${CLIENT_ID}`);
  });

  it('refuses a client whose ID is in a trust domain that only another domain’s CA vouches for', async () => {
    // The server trusts example.org (ca) and federates with other.org (otherCa). The client's
    // other.org SVID was signed by example.org's CA: OpenSSL accepts it, the per-domain check must not.
    const source = new StaticX509Source(contextOf(issueSvid(ca, SERVER_ID), bundleOf('example.org', ca), bundleOf('other.org', otherCa)));
    const { port, rejections } = await serve(source, authorizeAny());
    const client = clientSource(contextOf(issueSvid(ca, 'spiffe://other.org/client'), bundleOf('example.org', ca)));
    const result = await connect(port, tlsClientOptions(client, { authorize: authorizeAny() })).catch(() => ({ text: '' }));
    expect(result.text).toBe('');
    expect(rejections.map((e) => (e as PeerVerificationError).code)).toEqual(['untrusted']);
    expect(rejections[0]!.message).toMatch(/does not verify against the bundle of other\.org/);
  });

  it('fails the handshake for a client certificate from a CA it does not trust at all', async () => {
    const { port } = await serve(serverSource(), authorizeAny());
    const client = clientSource(contextOf(issueSvid(otherCa, 'spiffe://other.org/client'), bundleOf('example.org', ca)));
    const result = await connect(port, tlsClientOptions(client, { authorize: authorizeAny() })).catch(() => ({ text: '' }));
    expect(result.text).toBe('');
  });
});

describe('client-side authorization', () => {
  const client = () => clientSource(contextOf(issueSvid(ca, CLIENT_ID), bundleOf('example.org', ca), bundleOf('other.org', otherCa)));

  it('accepts a server with the expected SPIFFE ID instead of checking a host name', async () => {
    const { port } = await serve(serverSource(), authorizeAny());
    const { serverSan } = await connect(port, tlsClientOptions(client(), { authorize: authorizeId(SERVER_ID) }));
    expect(serverSan).toBe(`URI:${SERVER_ID}`);
  });

  it('refuses a server with the wrong SPIFFE ID', async () => {
    const { port } = await serve(serverSource(), authorizeAny());
    const options = tlsClientOptions(client(), { authorize: authorizeId('spiffe://example.org/database') });
    const error = await connect(port, options).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(PeerVerificationError);
    expect((error as PeerVerificationError).message).toBe(`unexpected SPIFFE ID ${SERVER_ID}: expected spiffe://example.org/database`);
  });

  it('refuses a server of another trust domain when only members of example.org are allowed', async () => {
    const source = new StaticX509Source(contextOf(issueSvid(otherCa, 'spiffe://other.org/server'), bundleOf('other.org', otherCa), bundleOf('example.org', ca)));
    const { port } = await serve(source, authorizeAny());
    const error = await connect(port, tlsClientOptions(client(), { authorize: authorizeMemberOf('example.org') })).then(() => undefined, (e: unknown) => e);
    expect((error as PeerVerificationError).code).toBe('unauthorized');
    expect((error as Error).message).toBe('SPIFFE ID spiffe://other.org/server is not a member of trust domain example.org');
  });

  it('applies a predicate to the server’s SPIFFE ID', async () => {
    const { port } = await serve(serverSource(), authorizeAny());
    const onlyDatabases = authorizeIf((id) => id.path.startsWith('/db/'), 'the database rule');
    const error = await connect(port, tlsClientOptions(client(), { authorize: onlyDatabases })).then(() => undefined, (e: unknown) => e);
    expect((error as Error).message).toBe(`SPIFFE ID ${SERVER_ID} is refused by the database rule`);
  });
});

describe('rotation', () => {
  it('serves the new SVID to new connections, with and without SNI, without restarting the server', async () => {
    const source = serverSource();
    const { port } = await serve(source, authorizeAny());
    const options = tlsClientOptions(clientSource(contextOf(issueSvid(ca, CLIENT_ID), bundleOf('example.org', ca))), { authorize: authorizeAny() });
    source.set(contextOf(issueSvid(ca, 'spiffe://example.org/server-v2'), bundleOf('example.org', ca)));
    expect((await connect(port, options)).serverSan).toBe('URI:spiffe://example.org/server-v2');
    expect((await connect(port, { ...options, servername: 'server.example' })).serverSan).toBe('URI:spiffe://example.org/server-v2');
  });

  it('presents the client’s newest SVID on each new connection', async () => {
    const { port } = await serve(serverSource(), authorizeAny());
    const source = clientSource(contextOf(issueSvid(ca, CLIENT_ID), bundleOf('example.org', ca)));
    const options = tlsClientOptions(source, { authorize: authorizeAny() });
    expect((await connect(port, options)).text).toBe(`hello URI:${CLIENT_ID}`);
    source.set(contextOf(issueSvid(ca, 'spiffe://example.org/client-v2'), bundleOf('example.org', ca)));
    expect((await connect(port, options)).text).toBe('hello URI:spiffe://example.org/client-v2');
  });

  it('stops following the source once the server closes', async () => {
    const source = serverSource();
    await serve(source, authorizeAny());
    expect(source.listenerCount).toBe(1);
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
    expect(source.listenerCount).toBe(0);
  });
});
