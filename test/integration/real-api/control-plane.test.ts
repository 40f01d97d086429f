import { expect, it } from '@jest/globals';
import { describeRealKube } from '../../support/real-kube/describe-real-kube.js';
import { SERVICE_ACCOUNT_ISSUER } from '../../support/real-kube/real-kube-cluster.js';

// The test-support control plane itself: what other real-API suites rely on.

interface SelfSubjectReview {
  status?: { userInfo?: { username?: string; groups?: string[] } };
}

describeRealKube('the real control plane (etcd + kube-apiserver)', (suite) => {
  it('answers kubectl with the admin kubeconfig, RBAC on', async () => {
    const { cluster } = suite;
    const version = JSON.parse(await cluster.kubectlOk(['version', '-o', 'json'])) as { serverVersion?: { gitVersion?: string }; clientVersion?: { gitVersion?: string } };
    expect(version.serverVersion?.gitVersion).toMatch(/^v1\.34\./);
    expect(version.clientVersion?.gitVersion).toBe(version.serverVersion?.gitVersion);
    const ns = await cluster.createNamespace('support');
    expect(await cluster.kubectlOk(['-n', ns, 'create', 'configmap', 'c', '--from-literal=a=b'])).toMatch(/configmap\/c created/);
    const authz = await cluster.kubectl(['auth', 'can-i', 'get', 'secrets', '-n', ns, '--as', `system:serviceaccount:${ns}:default`]);
    expect(authz.stdout.trim()).toBe('no');
  });

  it('mints tokens for any service account, which authenticate as that account and nothing more', async () => {
    const { cluster } = suite;
    const ns = await cluster.createNamespace('support');
    await cluster.createServiceAccount(ns, 'worker');
    const token = await cluster.requestToken(ns, 'worker');
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss?: string; sub?: string };
    expect(claims).toMatchObject({ iss: SERVICE_ACCOUNT_ISSUER, sub: `system:serviceaccount:${ns}:worker` });
    const review = await cluster.requestAs<SelfSubjectReview>(token, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
    });
    expect(review.status).toBe(201);
    expect(review.body.status?.userInfo?.username).toBe(`system:serviceaccount:${ns}:worker`);
    expect((await cluster.requestAs(token, 'GET', `/api/v1/namespaces/${ns}/pods`)).status).toBe(403);
    expect((await cluster.requestAs('not-a-token', 'GET', `/api/v1/namespaces/${ns}/pods`)).status).toBe(401);
  });

  it('revokes a bound token when its object is deleted', async () => {
    const { cluster } = suite;
    const ns = await cluster.createNamespace('support');
    const secret = await cluster.request<{ metadata: { uid: string } }>('POST', `/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'binding' } });
    const token = await cluster.requestToken(ns, 'default', { boundObject: { kind: 'Secret', name: 'binding', uid: secret.body.metadata.uid } });
    const review = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };
    expect((await cluster.requestAs(token, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', review)).status).toBe(201);
    await cluster.request('DELETE', `/api/v1/namespaces/${ns}/secrets/binding`);
    // The API server caches a token's successful authentication for up to 10 s.
    const deadline = Date.now() + 30_000;
    let answer = 0;
    while ((answer = (await cluster.requestAs(token, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', review)).status) !== 401 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(answer).toBe(401);
  });

  it('keeps its data across an API server restart, and answers 410 Gone for history compacted meanwhile', async () => {
    const { cluster } = suite;
    const ns = await cluster.createNamespace('support');
    const before = await cluster.request<{ metadata: { resourceVersion: string } }>('GET', `/api/v1/namespaces/${ns}/configmaps`);
    for (const name of ['a', 'b', 'c']) await cluster.request('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
    await cluster.compactEtcd();
    await cluster.restartApiServer();
    const names = await cluster.kubectlOk(['-n', ns, 'get', 'configmaps', '-o', 'name']);
    expect(names.split('\n').filter((n) => n.startsWith('configmap/') && n !== 'configmap/kube-root-ca.crt')).toEqual(['configmap/a', 'configmap/b', 'configmap/c']);
    const old = await cluster.request<{ code?: number; reason?: string }>('GET', `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${before.body.metadata.resourceVersion}&timeoutSeconds=1`);
    // The watch either is refused at once (410) or opens and sends a 410 ERROR event first.
    const text = JSON.stringify(old.body);
    expect(old.status === 410 || /"code":410/.test(text)).toBe(true);
  });
});
