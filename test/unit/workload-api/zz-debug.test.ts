import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { it } from '@jest/globals';
import { FakeSvidSubscriptions } from '../../fakes/fake-svid-subscriptions.js';
import { startTestEndpoint } from '../../support/workload-endpoint-fixture.js';

it('debug', async () => {
  const t = await startTestEndpoint(await FakeSvidSubscriptions.create());
  const c = connect(t.socketPath);
  await new Promise((r) => c.on('connect', r));
  c.on('data', (d) => console.log('client got', d.length));
  c.on('end', () => console.log('client end'));
  c.on('error', (e) => console.log('client error', e));
  const closed = new Promise((r) => c.on('close', r));
  c.write(randomBytes(4096));
  await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
  console.log('conns', t.endpoint.connectionCount, JSON.stringify(t.logs));
  c.destroy();
  await t.close();
});
