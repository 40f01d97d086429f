import { afterEach, describe, expect, it } from '@jest/globals';
import { HealthServer } from '../../../src/health/index.js';
import { silentLogger } from '../../../src/log/index.js';

describe('HealthServer', () => {
  let server: HealthServer | undefined;
  afterEach(async () => server?.close());

  async function start(checks: ConstructorParameters<typeof HealthServer>[0]['checks']) {
    server = new HealthServer({ host: '127.0.0.1', port: 0, checks, logger: silentLogger });
    const { port } = await server.listen();
    return (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
  }

  it('answers /live while the process runs', async () => {
    const get = await start([]);
    expect((await get('/live')).status).toBe(200);
  });

  it('is ready only when every component is ready, and says which is not', async () => {
    let conjurReady = false;
    const get = await start([
      { name: 'endpoint', isReady: () => true },
      { name: 'conjur', isReady: () => conjurReady, detail: () => 'conjur: authenticate returned 401' },
    ]);
    const notReady = await get('/ready');
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({
      ready: false,
      components: { endpoint: { ready: true }, conjur: { ready: false, detail: 'conjur: authenticate returned 401' } },
    });
    conjurReady = true;
    expect((await get('/ready')).status).toBe(200);
  });

  it('answers 404 for unknown paths', async () => {
    const get = await start([]);
    expect((await get('/metrics')).status).toBe(404);
  });
});
