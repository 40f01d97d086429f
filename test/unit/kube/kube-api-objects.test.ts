import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'node:https';
import { ApiException, AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startKubeApi } from '../../doubles/kube-api.js';
import type { KubeApiDouble } from '../../doubles/kube-api.js';
import { buildPod } from '../../support/pod-builder.js';
import { createTestCa } from '../../support/test-ca.js';
import type { TestCa } from '../../support/test-ca.js';

// The API double's non-pod routes, as other helpers' code (Conjur's restriction checks) will read
// them: through client-node for objects, and raw HTTPS for the exact Status and discovery JSON.

const TOKEN = 'api-token';
let ca: TestCa;
let api: KubeApiDouble;
let core: CoreV1Api;
let apps: AppsV1Api;

beforeAll(async () => {
  ca = await createTestCa();
  api = await startKubeApi({ ca, token: TOKEN });
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: api.url, caData: Buffer.from(ca.certPem).toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'u', token: TOKEN }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  api.upsertPod(buildPod({ namespace: 'shop', name: 'cart-1', nodeName: 'n', serviceAccount: 'cart', containers: [{ name: 'app', image: 'cart:1' }] }));
});

afterAll(async () => {
  await api.close();
});

function get(path: string, token = TOKEN): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${api.url}${path}`, { ca: ca.certPem, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Kubernetes API double', () => {
  it('serves the namespace and service account a pod implies, with the metadata.name label', async () => {
    const ns = await core.readNamespace({ name: 'shop' });
    expect(ns.metadata?.labels).toEqual({ 'kubernetes.io/metadata.name': 'shop' });
    expect((await core.readNamespacedServiceAccount({ namespace: 'shop', name: 'cart' })).metadata?.name).toBe('cart');
  });

  it('serves stored apps/v1 objects and namespace labels set by the test', async () => {
    api.setObject('/apis/apps/v1/namespaces/shop/deployments/cart', { kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'cart', namespace: 'shop', uid: 'd-1' } });
    api.setObject('/api/v1/namespaces/shop', { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'shop', labels: { team: 'a' } } });
    expect((await apps.readNamespacedDeployment({ namespace: 'shop', name: 'cart' })).metadata?.uid).toBe('d-1');
    expect((await core.readNamespace({ name: 'shop' })).metadata?.labels).toEqual({ team: 'a' });
  });

  it('answers a missing object with the API server Status, exactly', async () => {
    expect(await get('/apis/apps/v1/namespaces/shop/statefulsets/db')).toEqual({
      status: 404,
      body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'statefulsets.apps "db" not found', reason: 'NotFound', details: { name: 'db', group: 'apps', kind: 'statefulsets' }, code: 404 },
    });
    expect((await get('/api/v1/namespaces/shop/pods/x')).body).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "x" not found', reason: 'NotFound', details: { name: 'x', kind: 'pods' }, code: 404,
    });
    const error = await core.readNamespacedServiceAccount({ namespace: 'shop', name: 'nobody' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiException);
    expect((error as ApiException<unknown>).code).toBe(404);
  });

  it('refuses a wrong bearer token with a 401 Status', async () => {
    expect(await get('/api/v1/namespaces/shop', 'wrong')).toMatchObject({ status: 401, body: { kind: 'Status', reason: 'Unauthorized', code: 401 } });
  });

  it('serves discovery for the core and apps groups, and 404 for others', async () => {
    expect((await get('/api/v1')).body).toMatchObject({ kind: 'APIResourceList', groupVersion: 'v1', resources: expect.arrayContaining([expect.objectContaining({ name: 'pods/exec' })]) });
    expect((await get('/apis/apps/v1')).body).toMatchObject({ groupVersion: 'apps/v1' });
    expect((await get('/apis/extensions/v1beta1')).status).toBe(404);
  });

  it('lists pods by field selector and rejects fields the API server does not index', async () => {
    const list = await core.listPodForAllNamespaces({ fieldSelector: 'metadata.namespace=shop,spec.nodeName=n' });
    expect(list.items.map((p) => p.metadata?.name)).toEqual(['cart-1']);
    expect((await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=other' })).items).toEqual([]);
    expect(await get('/api/v1/pods?fieldSelector=spec.hostname%3Dx')).toMatchObject({ status: 400, body: { message: 'field label not supported: spec.hostname' } });
  });
});
