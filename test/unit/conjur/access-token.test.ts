import { describe, expect, it } from '@jest/globals';
import { parseAccessToken, toAuthorizationHeader } from '../../../src/conjur/index.js';

const LOGIN = 'host/conjur/authn-k8s/dev/apps/agents/service_account/cert-agent';

// Conjur's shape: URL-safe base64 parts with `=` padding (protocol §11.1).
function tokenJson(claims: Record<string, unknown>): Buffer {
  const b64u = (text: string) => Buffer.from(text).toString('base64url').padEnd(Math.ceil(text.length / 3) * 4, '=');
  const protectedPart = b64u('{"alg":"conjur.org/slosilo/v2","kid":"00ff"}');
  return Buffer.from(JSON.stringify({ protected: protectedPart, payload: b64u(JSON.stringify(claims)), signature: 'c2ln' }));
}

describe('parseAccessToken', () => {
  it('reads iat and exp from the payload and keeps the JSON bytes as returned', () => {
    const body = tokenJson({ iat: 1795991090, sub: LOGIN, exp: 1795991570 });
    const token = parseAccessToken(body, LOGIN);
    expect(token).toEqual({ raw: body, login: LOGIN, issuedAt: 1795991090_000, expiresAt: 1795991570_000 });
  });

  it('accepts the base64 variant and keeps the decoded JSON', () => {
    const json = tokenJson({ iat: 100, sub: LOGIN, exp: 580 });
    const token = parseAccessToken(Buffer.from(json.toString('base64')), LOGIN);
    expect(token.raw.equals(json)).toBe(true);
    expect(token.expiresAt).toBe(580_000);
  });

  it('falls back to Conjur\'s 8 minutes when exp is absent', () => {
    expect(parseAccessToken(tokenJson({ iat: 100, sub: LOGIN }), LOGIN).expiresAt).toBe(580_000);
  });

  it('refuses a token issued to another login', () => {
    const body = tokenJson({ iat: 100, sub: 'host/someone-else', exp: 580 });
    expect(() => parseAccessToken(body, LOGIN)).toThrow(expect.objectContaining({ code: 'confirm-failed' }) as unknown as Error);
  });

  const malformed = [
    { name: 'not JSON', body: Buffer.from('{oops') },
    { name: 'JSON without payload', body: Buffer.from('{"protected":"a","signature":"b"}') },
    { name: 'payload without iat', body: tokenJson({ sub: LOGIN }) },
  ];
  for (const c of malformed) {
    it(`treats a body that is ${c.name} as a broken server (unavailable)`, () => {
      expect(() => parseAccessToken(c.body, LOGIN)).toThrow(expect.objectContaining({ code: 'unavailable' }) as unknown as Error);
    });
  }
});

describe('toAuthorizationHeader', () => {
  it('sends standard base64 of the whole token JSON', () => {
    const body = tokenJson({ iat: 100, sub: LOGIN, exp: 580 });
    const header = toAuthorizationHeader(parseAccessToken(body, LOGIN));
    expect(header).toBe(`Token token="${body.toString('base64')}"`);
  });
});
