import { describe, expect, it } from '@jest/globals';
import { parseAccessToken, toAuthorizationHeader } from '../../../src/conjur/index.js';

const LOGIN = 'host/conjur/authn-k8s/dev/apps/agents/service_account/cert-agent';
const RECEIVED_AT = 1_800_000_000_000;

// Conjur's shape: URL-safe base64 parts with `=` padding (protocol §11.1).
function tokenJson(claims: Record<string, unknown>): Buffer {
  const b64u = (text: string) => Buffer.from(text).toString('base64url').padEnd(Math.ceil(text.length / 3) * 4, '=');
  const protectedPart = b64u('{"alg":"conjur.org/slosilo/v2","kid":"00ff"}');
  return Buffer.from(JSON.stringify({ protected: protectedPart, payload: b64u(JSON.stringify(claims)), signature: 'c2ln' }));
}

describe('parseAccessToken', () => {
  it('times the token by its own lifetime (exp - iat) from the local receive time, and keeps the JSON bytes', () => {
    const body = tokenJson({ iat: 1795991090, sub: LOGIN, exp: 1795991570 });
    const token = parseAccessToken(body, LOGIN, RECEIVED_AT);
    expect(token).toEqual({ raw: body, login: LOGIN, issuedAt: RECEIVED_AT, expiresAt: RECEIVED_AT + 480_000, conjurIssuedAt: 1795991090_000 });
  });

  // Conjur's clock 5 minutes behind or ahead of the node: the token still lives its 8 minutes here.
  for (const skewS of [-300, 300]) {
    it(`gives a token from a Conjur ${skewS > 0 ? 'ahead' : 'behind'} by ${Math.abs(skewS)} s its full lifetime`, () => {
      const iat = RECEIVED_AT / 1000 + skewS;
      const token = parseAccessToken(tokenJson({ iat, sub: LOGIN, exp: iat + 480 }), LOGIN, RECEIVED_AT);
      expect(token.expiresAt - RECEIVED_AT).toBe(480_000);
    });
  }

  it('refuses a token that expires before it is issued', () => {
    expect(() => parseAccessToken(tokenJson({ iat: 500, sub: LOGIN, exp: 400 }), LOGIN, RECEIVED_AT)).toThrow(expect.objectContaining({ code: 'unavailable' }) as unknown as Error);
  });

  it('never chains the JSON parser error (which quotes the input) into the error', () => {
    let caught: unknown;
    try {
      parseAccessToken(Buffer.from('{"secret-token-text'), LOGIN, RECEIVED_AT);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'unavailable', message: 'conjur token is not valid JSON' });
    expect((caught as Error).cause).toBeUndefined();
  });

  it('accepts the base64 variant and keeps the decoded JSON', () => {
    const json = tokenJson({ iat: 100, sub: LOGIN, exp: 580 });
    const token = parseAccessToken(Buffer.from(json.toString('base64')), LOGIN, RECEIVED_AT);
    expect(token.raw.equals(json)).toBe(true);
    expect(token.expiresAt).toBe(RECEIVED_AT + 480_000);
  });

  it('falls back to Conjur\'s 8 minutes when exp is absent', () => {
    expect(parseAccessToken(tokenJson({ iat: 100, sub: LOGIN }), LOGIN, RECEIVED_AT).expiresAt).toBe(RECEIVED_AT + 480_000);
  });

  it('refuses a token issued to another login', () => {
    const body = tokenJson({ iat: 100, sub: 'host/someone-else', exp: 580 });
    expect(() => parseAccessToken(body, LOGIN, RECEIVED_AT)).toThrow(expect.objectContaining({ code: 'confirm-failed' }) as unknown as Error);
  });

  const malformed = [
    { name: 'not JSON', body: Buffer.from('{oops') },
    { name: 'JSON without payload', body: Buffer.from('{"protected":"a","signature":"b"}') },
    { name: 'payload without iat', body: tokenJson({ sub: LOGIN }) },
  ];
  for (const c of malformed) {
    it(`treats a body that is ${c.name} as a broken server (unavailable)`, () => {
      expect(() => parseAccessToken(c.body, LOGIN, RECEIVED_AT)).toThrow(expect.objectContaining({ code: 'unavailable' }) as unknown as Error);
    });
  }
});

describe('toAuthorizationHeader', () => {
  it('sends standard base64 of the whole token JSON', () => {
    const body = tokenJson({ iat: 100, sub: LOGIN, exp: 580 });
    const header = toAuthorizationHeader(parseAccessToken(body, LOGIN, RECEIVED_AT));
    expect(header).toBe(`Token token="${body.toString('base64')}"`);
  });
});
