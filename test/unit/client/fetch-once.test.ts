import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { MethodDefinition } from '@grpc/proto-loader';
import { constants, createServer } from 'node:http2';
import type { Http2Server, IncomingHttpHeaders, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchConjurTokenOnce, fetchX509BundlesOnce, fetchX509ContextOnce, SpiffeId, WorkloadApiClient, WorkloadApiError } from '../../../src/client/index.js';
import { servedServices } from '../../../src/workload-api/served-services.js';
import { FakeSvidSubscriptions, issueTestSvid } from '../../fakes/fake-svid-subscriptions.js';
import { createTestCa } from '../../support/test-ca.js';
import { eventually, startTestEndpoint } from '../../support/workload-endpoint-fixture.js';
import type { TestEndpoint } from '../../support/workload-endpoint-fixture.js';

// The one-shot fetches (`api fetch`) speak gRPC over plain HTTP/2, without grpc-js. Against the
// real Workload Endpoint they get what WorkloadApiClient gets; against a server that answers
// wrongly in every way a broken or foreign endpoint can, they fail with exactly the error (code
// and one-line message) that WorkloadApiClient, on grpc-js, gives for the same answer.

const uid = process.getuid!();
const myId = `spiffe://example.org/uid/${uid}`;

describe('one-shot fetches against the Workload Endpoint', () => {
  let t: TestEndpoint;

  beforeEach(async () => {
    t = await startTestEndpoint(await FakeSvidSubscriptions.create());
  });

  afterEach(async () => {
    await t.close();
  });

  it('fetch the X.509 context, the bundles and a token as WorkloadApiClient does, and leave no stream open', async () => {
    const socket = `unix://${t.socketPath}`;
    const context = await fetchX509ContextOnce({ socket });
    expect(context.svids.map((svid) => [svid.id.toString(), svid.hint])).toEqual([[myId, `uid-${uid}`]]);
    expect(context.bundles.get('example.org')!.authorities[0]!.equals(t.svids.ca.certDer)).toBe(true);
    const bundles = await fetchX509BundlesOnce({ socket });
    expect([...bundles.keys()]).toEqual(['example.org']);
    const token = await fetchConjurTokenOnce({ socket });
    expect({ login: token.login, spiffeId: token.spiffeId.toString() }).toEqual({ login: `host/test/uid-${uid}`, spiffeId: myId });
    // Each fetch cancels its stream once answered: the agent holds no subscription for it.
    await eventually(() => t.svids.active === 0 && t.tokens.active === 0);
  });

  it('reports PermissionDenied for a caller without an identity, in the words WorkloadApiClient uses', async () => {
    t.identities.deny(uid);
    const client = new WorkloadApiClient({ socket: t.socketPath });
    try {
      const viaGrpcJs = await failureOf(client.fetchX509Context());
      const once = await failureOf(fetchX509ContextOnce({ socket: t.socketPath }));
      expect(once).toEqual(viaGrpcJs);
      expect(once.code).toBe('permission-denied');
      expect(once.message).toMatch(new RegExp(`^FetchX509SVID to unix://${t.socketPath} failed: PERMISSION_DENIED: `));
    } finally {
      client.close();
    }
  });

  it('names the socket when nothing listens there', async () => {
    const path = join(t.dir, 'missing.sock');
    expect(await failureOf(fetchX509ContextOnce({ socket: path }))).toEqual({
      code: 'unavailable',
      message: `FetchX509SVID to unix://${path} failed: cannot connect: connect ENOENT ${path} (is the agent running?)`,
    });
  });

  it('stops waiting when the signal aborts, with the signal’s reason, and cancels its stream', async () => {
    const release = t.attestor.pause();
    const controller = new AbortController();
    const pending = fetchX509ContextOnce({ socket: t.socketPath, signal: controller.signal });
    await t.attestor.attestedPid(process.pid);
    controller.abort(new Error('gave up'));
    await expect(pending).rejects.toThrow('gave up');
    await eventually(() => t.attestor.abandoned === 1);
    release();
    expect(t.svids.subscribeCalls).toBe(0);
  });
});

type Method = MethodDefinition<object, object>;
type Behaviour = (stream: ServerHttp2Stream) => void;

const GRPC_HEADERS = { ':status': 200, 'content-type': 'application/grpc' };
const x509Method = servedServices().workloadService.FetchX509SVID as unknown as Method;

function framed(message: Buffer, declaredLength = message.length): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([prefix, message]);
}

function respondThenEnd(data: Buffer, trailers: Record<string, string> = { 'grpc-status': '0' }): Behaviour {
  return (stream) => {
    stream.respond(GRPC_HEADERS, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    stream.end(data);
  };
}

/**
 * Resets the stream (RST_STREAM) before answering. After response headers node:http2 would end
 * the stream cleanly before resetting it, and the client would see no reset at all.
 */
function resetWith(code: number): Behaviour {
  return (stream) => stream.close(code);
}

describe('one-shot fetches against a misbehaving endpoint', () => {
  let dir: string;
  let socket: string;
  let server: Http2Server;
  let behaviour: Behaviour;
  let requests: IncomingHttpHeaders[];
  const sessions = new Set<ServerHttp2Session>();
  let validResponse: Buffer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fetch-once-'));
    socket = join(dir, 'agent.sock');
    server = createServer();
    server.on('session', (session) => {
      sessions.add(session);
      session.on('close', () => sessions.delete(session));
    });
    server.on('stream', (stream, headers) => {
      requests.push(headers);
      stream.on('error', () => {});
      behaviour(stream);
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    const ca = await createTestCa();
    const svid = await issueTestSvid(ca, SpiffeId.parse(myId), 'split');
    validResponse = x509Method.responseSerialize({
      svids: [{ spiffe_id: myId, x509_svid: svid.certChain[0], x509_svid_key: svid.privateKey, bundle: ca.certDer, hint: 'split' }],
    });
  });

  beforeEach(() => {
    requests = [];
  });

  afterAll(async () => {
    for (const session of sessions) session.destroy();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  /** What WorkloadApiClient (grpc-js) and fetchX509ContextOnce each make of the same answer. */
  async function bothWays(answer: Behaviour, signal?: AbortSignal): Promise<{ viaGrpcJs: Outcome; once: Outcome }> {
    behaviour = answer;
    const client = new WorkloadApiClient({ socket });
    try {
      const viaGrpcJs = await outcomeOf(client.fetchX509Context(signal));
      const once = await outcomeOf(fetchX509ContextOnce({ socket, ...(signal ? { signal } : {}) }));
      return { viaGrpcJs, once };
    } finally {
      client.close();
    }
  }

  it('sends what grpc-js sends: POST to the method path, gRPC content type, trailers, the security header', async () => {
    await bothWays(respondThenEnd(framed(validResponse)));
    const [viaGrpcJs, once] = requests;
    for (const name of [':method', ':path', ':scheme', ':authority', 'content-type', 'te', 'workload.spiffe.io']) {
      expect([name, once![name]]).toEqual([name, viaGrpcJs![name]]);
    }
    expect(once!['workload.spiffe.io']).toBe('true');
  });

  it('reads a message that arrives in several pieces', async () => {
    const pieces: Behaviour = (stream) => {
      stream.respond(GRPC_HEADERS);
      const data = framed(validResponse);
      stream.write(data.subarray(0, 3));
      setTimeout(() => stream.write(data.subarray(3, 200)), 20);
      setTimeout(() => stream.write(data.subarray(200)), 40);
    };
    const { viaGrpcJs, once } = await bothWays(pieces);
    expect(once).toEqual(viaGrpcJs);
    expect(once).toEqual({ spiffeIds: [myId] });
  });

  it('reads a message larger than HTTP/2\'s initial flow-control window', async () => {
    // A field this client does not know (number 15, length-delimited, 1 MiB) is skipped, as protobuf requires.
    const padding = Buffer.concat([Buffer.from([0x7a, 0x80, 0x80, 0x40]), Buffer.alloc(1024 * 1024, 0x61)]);
    const { viaGrpcJs, once } = await bothWays(respondThenEnd(framed(Buffer.concat([validResponse, padding]))));
    expect(once).toEqual(viaGrpcJs);
    expect(once).toEqual({ spiffeIds: [myId] });
  });

  const cases: { name: string; answer: Behaviour; expected: Outcome }[] = [
    {
      name: 'an HTTP error page',
      answer: (stream) => {
        stream.respond({ ':status': 404, 'content-type': 'text/html' });
        stream.end('<html>not here</html>');
      },
      expected: { code: 'unimplemented', message: 'FetchX509SVID to SOCKET failed: UNIMPLEMENTED: Received HTTP status code 404' },
    },
    {
      name: 'an HTTP 503 without a body',
      answer: (stream) => stream.respond({ ':status': 503 }, { endStream: true }),
      expected: { code: 'unavailable', message: 'FetchX509SVID to SOCKET failed: UNAVAILABLE: Received HTTP status code 503' },
    },
    {
      name: 'a status without any message (trailers only), its text percent-encoded',
      answer: (stream) => stream.respond({ ...GRPC_HEADERS, 'grpc-status': '7', 'grpc-message': 'no%20identity for this caller' }, { endStream: true }),
      expected: { code: 'permission-denied', message: 'FetchX509SVID to SOCKET failed: PERMISSION_DENIED: no identity for this caller' },
    },
    {
      name: 'a status the spec does not name',
      answer: respondThenEnd(Buffer.alloc(0), { 'grpc-status': '42', 'grpc-message': 'strange' }),
      expected: { code: 'unavailable', message: 'FetchX509SVID to SOCKET failed: 42: strange' },
    },
    {
      name: 'a stream that ends OK before any message',
      answer: respondThenEnd(Buffer.alloc(0)),
      expected: { code: 'unavailable', message: 'FetchX509SVID to SOCKET failed: the stream ended' },
    },
    {
      name: 'a stream that ends without any status',
      answer: (stream) => {
        stream.respond(GRPC_HEADERS);
        stream.end();
      },
      expected: { code: 'unavailable', message: 'FetchX509SVID to SOCKET failed: INTERNAL: Received RST_STREAM with code 0 (Call ended without gRPC status)' },
    },
    {
      name: 'a message that is not protobuf',
      answer: respondThenEnd(framed(Buffer.from([0x0a, 0xff]))),
      expected: { code: 'unavailable', message: 'FetchX509SVID to SOCKET failed: INTERNAL: Response message parsing error: truncated varint' },
    },
    {
      name: 'a message without SVIDs',
      answer: respondThenEnd(framed(Buffer.alloc(0))),
      expected: { code: 'invalid-response', message: 'X509SVIDResponse has no SVIDs' },
    },
    {
      name: 'a message larger than the limit',
      answer: respondThenEnd(framed(Buffer.alloc(16), 5 * 1024 * 1024)),
      expected: { code: 'unavailable', message: 'FetchX509SVID to SOCKET failed: RESOURCE_EXHAUSTED: Received message larger than max (5242880 vs 4194304)' },
    },
    {
      name: 'a reset stream (internal error)',
      answer: resetWith(constants.NGHTTP2_INTERNAL_ERROR),
      expected: { code: 'unavailable', message: 'FetchX509SVID to SOCKET failed: INTERNAL: Received RST_STREAM with code 2 (Internal server error)' },
    },
    {
      name: 'a reset stream (enhance your calm)',
      answer: resetWith(constants.NGHTTP2_ENHANCE_YOUR_CALM),
      expected: { code: 'unavailable', message: 'FetchX509SVID to SOCKET failed: RESOURCE_EXHAUSTED: Bandwidth exhausted or memory limit exceeded' },
    },
    {
      name: 'a refused stream',
      answer: resetWith(constants.NGHTTP2_REFUSED_STREAM),
      expected: { code: 'unavailable', message: 'FetchX509SVID to SOCKET failed: UNAVAILABLE: Stream refused by server' },
    },
    {
      name: 'a connection dropped after the headers',
      answer: (stream) => {
        stream.respond(GRPC_HEADERS);
        stream.write(Buffer.alloc(0), () => stream.session?.destroy());
      },
      expected: { code: 'unavailable', message: 'FetchX509SVID to SOCKET failed: UNAVAILABLE: Connection dropped' },
    },
  ];

  for (const c of cases) {
    it(`fails on ${c.name} as the grpc-js client does`, async () => {
      const { viaGrpcJs, once } = await bothWays(c.answer);
      const expected = 'message' in c.expected ? { ...c.expected, message: c.expected.message.replace('SOCKET', `unix://${socket}`) } : c.expected;
      expect(once).toEqual(expected);
      expect(viaGrpcJs).toEqual(expected);
    });
  }

  it('gives up on an endpoint that never answers when the signal aborts', async () => {
    const silent: Behaviour = (stream) => stream.respond(GRPC_HEADERS);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('deadline')), 100);
    const { viaGrpcJs, once } = await bothWays(silent, controller.signal);
    expect(once).toEqual({ thrown: 'deadline' });
    expect(viaGrpcJs).toEqual({ thrown: 'deadline' });
  });
});

type Outcome = { spiffeIds: string[] } | { code: string; message: string } | { thrown: string };

async function outcomeOf(fetch: Promise<{ svids: readonly { id: SpiffeId }[] }>): Promise<Outcome> {
  try {
    return { spiffeIds: (await fetch).svids.map((svid) => svid.id.toString()) };
  } catch (error) {
    if (error instanceof WorkloadApiError) return { code: error.code, message: error.message };
    return { thrown: (error as Error).message };
  }
}

async function failureOf(fetch: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await fetch.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkloadApiError);
  return { code: (error as WorkloadApiError).code, message: (error as WorkloadApiError).message };
}
