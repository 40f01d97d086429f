import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { FakeSvidSubscriptions } from '../../fakes/fake-svid-subscriptions.js';
import { StreamReader, streamEnd } from '../../support/workload-client.js';
import { eventually, startTestEndpoint } from '../../support/workload-endpoint-fixture.js';
import type { TestEndpoint } from '../../support/workload-endpoint-fixture.js';

const me = { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() };

describe('FetchConjurToken handler', () => {
  let svids: FakeSvidSubscriptions;
  let t: TestEndpoint | undefined;

  beforeAll(async () => {
    svids = await FakeSvidSubscriptions.create();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('sends the current token at once, then every refreshed token', async () => {
    t = await startTestEndpoint(svids);
    const reader = new StreamReader(t.client().fetchConjurToken());
    const first = await reader.next();
    expect(first.login).toBe(`host/test/uid-${me.uid}`);
    expect(first.spiffe_id).toBe(`spiffe://example.org/uid/${me.uid}`);
    expect(JSON.parse(first.token.toString())).toHaveProperty('payload');
    expect(Number(first.expires_at)).toBeGreaterThan(1_700_000_000);

    const refreshed = t.tokens.refresh(t.identities.resolve({ kind: 'unix', process: me })!);
    const second = await reader.next();
    expect(second.token.equals(refreshed.raw)).toBe(true);
    reader.cancel();
    await eventually(() => t!.tokens.active === 0);
  });

  it('ends with PermissionDenied for a caller with no identity', async () => {
    t = await startTestEndpoint(svids);
    t.identities.deny(me.uid);
    expect(await streamEnd(t.client().fetchConjurToken())).toEqual({ code: status.PERMISSION_DENIED, details: 'no identity issued' });
  });

  it('answers Unimplemented when the agent serves no tokens (development mode)', async () => {
    t = await startTestEndpoint(svids, { tokens: false });
    expect((await streamEnd(t.client().fetchConjurToken())).code).toBe(status.UNIMPLEMENTED);
  });
});
