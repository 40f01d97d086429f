import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startConjur, toAuthorizationHeader } from '../doubles/conjur.js';
import type { ConjurDouble, TokenJson } from '../doubles/conjur.js';
import { createTestCa } from '../support/test-ca.js';
import type { TestCa } from '../support/test-ca.js';
import { send } from './conjur-double-harness.js';
import type { Reply } from './conjur-double-harness.js';

// The token middleware (protocol §11.3) and the secrets endpoints (§4.3–§4.5) over HTTPS. Tokens
// are minted with the double's own signing key, so no pod or injection is needed here.

let ca: TestCa;
let conjur: ConjurDouble;
let now = Date.parse('2025-06-01T12:00:00Z');
const iat = () => Math.floor(now / 1000);
const APP = 'apps/app';

beforeAll(async () => {
  ca = await createTestCa();
  conjur = await startConjur({ ca, account: 'myorg', serviceId: 'dev', kubeApi: { url: 'https://127.0.0.1:9', token: 'unused', caPem: ca.certPem }, clock: { now: () => now } });
  conjur.addHost(APP);
  conjur.setVariable('apps/db/password', 'v1', { permitted: [APP] });
  conjur.setVariable('apps/db/password', 'v2');
  conjur.setVariable('apps/config.json', '{"a":1}', { permitted: [APP], mimeType: 'application/json' });
  conjur.setVariable('apps/visible-only', 'x');
  conjur.permit('apps/visible-only', [APP], 'read');
  conjur.setVariable('apps/hidden', 'x');
  conjur.setVariable('apps/empty', null, { permitted: [APP] });
  conjur.setVariable('apps/binary', Buffer.from([0xff, 0xfe, 0x00]), { permitted: [APP] });
  conjur.setVariable('apps/long', 'x'.repeat(50), { permitted: [APP] });
});

afterAll(async () => {
  await conjur.close();
});

const tokenFor = (sub = `host/${APP}`, extra: Record<string, unknown> = {}): TokenJson => conjur.mintToken({ iat: iat(), sub, exp: iat() + 480, ...extra });
const get = (path: string, headers: Record<string, string> = {}): Promise<Reply> => send(conjur.url, ca, { path, headers });
const withToken = (path: string, token = tokenFor(), headers: Record<string, string> = {}) => get(path, { authorization: toAuthorizationHeader(token), ...headers });
const text = (reply: Reply) => [reply.status, reply.body.toString()];

describe('token middleware (§11.3)', () => {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
  const cases: { name: string; header?: () => string; status: number; body: string }[] = [
    { name: 'no Authorization header', status: 401, body: 'Authorization missing' },
    { name: 'a Bearer header (treated as absent)', header: () => 'Bearer abc', status: 401, body: 'Authorization missing' },
    { name: 'base64 of garbage', header: () => 'Token token="bm90IGpzb24="', status: 401, body: 'Malformed authorization token' },
    { name: 'base64 cut in the middle', header: () => `Token token="${b64(tokenFor()).slice(0, 100)}"`, status: 401, body: 'Malformed authorization token' },
    { name: 'a JSON object that is no JWT', header: () => `Token token="${b64({ data: 'x' })}"`, status: 401, body: 'Unauthorized: Invalid token' },
    { name: 'a token without kid', header: () => `Token token="${b64(conjur.mintToken({ iat: iat(), sub: `host/${APP}` }, { alg: 'conjur.org/slosilo/v2' }))}"`, status: 401, body: 'Unauthorized: Invalid token' },
    { name: 'an unknown kid', header: () => `Token token="${b64(conjur.mintToken({ iat: iat(), sub: `host/${APP}` }, { alg: 'conjur.org/slosilo/v2', kid: '00' }))}"`, status: 401, body: 'Unauthorized: Invalid token' },
    { name: 'exp equal to now', header: () => toAuthorizationHeader(tokenFor(undefined, { exp: iat() })), status: 401, body: 'Unauthorized: Invalid token' },
    { name: 'no exp, issued 480 s ago', header: () => toAuthorizationHeader(conjur.mintToken({ iat: iat() - 480, sub: `host/${APP}` })), status: 401, body: 'Unauthorized: Invalid token' },
    { name: 'a tampered payload', header: () => toAuthorizationHeader({ ...tokenFor(), payload: tokenFor(`host/other`).payload }), status: 401, body: 'Unauthorized: Invalid token' },
    { name: 'an unrecognized claim', header: () => toAuthorizationHeader(tokenFor(undefined, { role: 'admin' })), status: 401, body: 'token contains unrecognized claims' },
    { name: 'a cidr claim excluding the client', header: () => toAuthorizationHeader(tokenFor(undefined, { cidr: ['10.0.0.0/8'] })), status: 403, body: 'IP address rejected' },
  ];
  for (const c of cases) {
    it(`answers ${c.status} "${c.body}" for ${c.name}`, async () => {
      const reply = await get('/whoami', c.header ? { authorization: c.header() } : {});
      expect([...text(reply), reply.headers['content-type']]).toEqual([c.status, c.body, 'text/plain']);
    });
  }

  it('accepts a token without exp within 480 s, a cidr that includes the client, and whitespace around the value', async () => {
    const noExp = conjur.mintToken({ iat: iat() - 479, sub: `host/${APP}` });
    expect((await get('/whoami', { authorization: toAuthorizationHeader(noExp) })).status).toBe(200);
    expect((await withToken('/whoami', tokenFor(undefined, { cidr: ['127.0.0.0/8'] }))).status).toBe(200);
    expect((await get('/whoami', { authorization: `Token token=" ${b64(tokenFor())} "` })).status).toBe(200);
  });

  it('reads unpadded URL-safe base64 too, because the token JSON never encodes to + or /', async () => {
    const header = `Token token="${Buffer.from(JSON.stringify(tokenFor())).toString('base64url')}"`;
    expect((await get('/whoami', { authorization: header })).status).toBe(200);
  });

  it('answers an empty 403 when the token names a role that does not exist', async () => {
    expect(text(await withToken('/whoami', tokenFor('host/ghost')))).toEqual([403, '']);
  });

  it('tells whoami the account, the login and when the token was issued', async () => {
    const reply = await withToken('/whoami', tokenFor(), { 'user-agent': 'probe/1' });
    expect(JSON.parse(reply.body.toString())).toEqual({ client_ip: '127.0.0.1', user_agent: 'probe/1', account: 'myorg', username: `host/${APP}`, token_issued_at: new Date(iat() * 1000).toISOString() });
  });
});

describe('GET /secrets/{account}/variable/{id} (§4.3)', () => {
  const notFound = (id: string) => JSON.stringify({ error: { code: 'not_found', message: `CONJ00076E Variable myorg:variable:${id} is empty or not found.` } });
  const cases: { name: string; path: string; status: number; body: string }[] = [
    { name: 'the latest version', path: '/secrets/myorg/variable/apps%2Fdb%2Fpassword', status: 200, body: 'v2' },
    { name: 'version 1, with a literal slash in the id', path: '/secrets/myorg/variable/apps/db/password?version=1', status: 200, body: 'v1' },
    { name: 'a version that does not exist', path: '/secrets/myorg/variable/apps/db/password?version=3', status: 404, body: notFound('apps/db/password') },
    { name: 'a version that is no integer', path: '/secrets/myorg/variable/apps/db/password?version=latest', status: 422, body: '{"error":{"code":"argument_error","message":"invalid type for parameter \'version\'"}}' },
    { name: 'a variable the host cannot see', path: '/secrets/myorg/variable/apps/hidden', status: 404, body: notFound('apps/hidden') },
    { name: 'a variable the host can see but not fetch', path: '/secrets/myorg/variable/apps/visible-only', status: 403, body: '' },
    { name: 'a variable without a value', path: '/secrets/myorg/variable/apps/empty', status: 404, body: notFound('apps/empty') },
    { name: 'another account', path: '/secrets/otherorg/variable/apps/db/password', status: 404, body: notFound('apps/db/password').replace('myorg', 'otherorg') },
  ];
  for (const c of cases) {
    it(`answers ${c.status} for ${c.name}`, async () => {
      expect(text(await withToken(c.path))).toEqual([c.status, c.body]);
    });
  }

  it("serves the variable's mime type as the Content-Type, as an attachment", async () => {
    const reply = await withToken('/secrets/myorg/variable/apps/config.json');
    expect(reply.headers).toMatchObject({ 'content-type': 'application/json', 'content-disposition': 'attachment', 'content-transfer-encoding': 'binary' });
  });
});

describe('GET /secrets?variable_ids= (§4.4)', () => {
  const ids = (...list: string[]) => `/secrets?variable_ids=${list.map((id) => encodeURIComponent(id)).join(',')}`;
  const full = (id: string) => `myorg:variable:${id}`;

  it('answers 422 variable_ids for a missing list, a leading comma or an empty element, and accepts a trailing comma', async () => {
    for (const path of ['/secrets', '/secrets?variable_ids=', `/secrets?variable_ids=,${full('apps/long')}`, `${ids(full('apps/long'))},,${encodeURIComponent(full('apps/long'))}`]) {
      expect(text(await withToken(path))).toEqual([422, '{"error":{"code":"argument_error","message":"variable_ids"}}']);
    }
    expect((await withToken(`${ids(full('apps/long'))},`)).status).toBe(200);
  });

  it('checks execute on existing variables (403) before missing ones (404 naming the first missing id)', async () => {
    expect((await withToken(ids(full('apps/missing'), full('apps/hidden')))).status).toBe(403);
    const reply = await withToken(ids(full('apps/long'), full('apps/missing'), full('apps/empty')));
    expect(text(reply)).toEqual([404, `{"error":{"code":"not_found","message":"CONJ00076E Variable ${full('apps/missing')} is empty or not found."}}`]);
  });

  it('refuses binary values without base64 (406) and wraps base64 values at 60 characters when the header is exactly base64', async () => {
    expect((await withToken(ids(full('apps/binary')))).status).toBe(406);
    expect((await withToken(ids(full('apps/binary')), tokenFor(), { 'accept-encoding': 'base64, gzip' })).status).toBe(406);
    const reply = await withToken(ids(full('apps/binary'), full('apps/long')), tokenFor(), { 'accept-encoding': 'Base64' });
    expect(reply.headers['content-encoding']).toBe('base64');
    const long = Buffer.from('x'.repeat(50)).toString('base64');
    expect(JSON.parse(reply.body.toString())).toEqual({ [full('apps/binary')]: '//4A\n', [full('apps/long')]: `${long.slice(0, 60)}\n${long.slice(60)}\n` });
  });

  it('answers a JSON object keyed by full ids, escaping <, > and & as Rails does', async () => {
    conjur.setVariable('apps/html', '<a&b>', { permitted: [APP] });
    const reply = await withToken(ids(full('apps/html'), full('apps/db/password')));
    expect([reply.headers['content-type'], reply.body.toString()]).toEqual(['application/json; charset=utf-8', `{"${full('apps/html')}":"\\u003ca\\u0026b\\u003e","${full('apps/db/password')}":"v2"}`]);
  });
});
