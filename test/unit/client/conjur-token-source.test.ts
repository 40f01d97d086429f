import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ConjurTokenSource } from '../../../src/client/index.js';
import { FakeSvidSubscriptions } from '../../fakes/fake-svid-subscriptions.js';
import { eventually, startTestEndpoint } from '../../support/workload-endpoint-fixture.js';
import type { TestEndpoint } from '../../support/workload-endpoint-fixture.js';

const uid = process.getuid!();

describe('ConjurTokenSource', () => {
  let t: TestEndpoint;

  beforeEach(async () => {
    t = await startTestEndpoint(await FakeSvidSubscriptions.create());
  });

  afterEach(async () => {
    await t.close();
  });

  it('gives the token as a Conjur Authorization header and follows refreshes', async () => {
    const source = await ConjurTokenSource.create({ socket: `unix://${t.socketPath}` });
    try {
      const first = source.getToken();
      expect(source.authorizationHeader()).toBe(`Token token="${first.raw.toString('base64')}"`);
      const updates = source.updated()[Symbol.asyncIterator]();
      const me = t.identities.resolve({ kind: 'unix', process: { pid: process.pid, uid, gid: 0 } })!;
      const refreshed = t.tokens.refresh(me);
      const next = await updates.next();
      expect(next.value?.raw.equals(refreshed.raw)).toBe(true);
      expect(source.getToken().expiresAt.getTime()).toBe(refreshed.expiresAt);
    } finally {
      await source.close();
    }
    await eventually(() => t.tokens.active === 0);
  });
});
