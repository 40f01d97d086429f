import { Agent } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConjurDenial } from '../../doubles/conjur/http.js';
import { KubeLookup } from '../../doubles/conjur/kube-lookup.js';
import { checkRestrictions, containerNameOf, extractRestrictions, validateRestrictions } from '../../doubles/conjur/restrictions.js';
import type { Restriction } from '../../doubles/conjur/restrictions.js';
import { startKubeApi } from '../../doubles/kube-api.js';
import type { KubeApiDouble } from '../../doubles/kube-api.js';
import { buildPod } from '../../support/pod-builder.js';
import { createTestCa } from '../../support/test-ca.js';

// Host restrictions as Conjur reads and checks them (protocol §6), the checks going to the
// Kubernetes API double over HTTPS with discovery, as Conjur's kubeclient does.

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof ConjurDenial ? error.code : String(error);
  }
};

describe('extractRestrictions', () => {
  it('takes authn-k8s annotations in order, the service-specific form winning, other services ignored', () => {
    const annotations = { 'authn-k8s/namespace': 'general', 'authn-k8s/service-account': 'sa', 'authn-k8s/dev/namespace': 'specific', 'authn-k8s/prod/pod': 'x', 'authn-k8s/pod': '' };
    expect(extractRestrictions(annotations, 'dev', 'apps/x')).toEqual([
      { name: 'namespace', value: 'specific' },
      { name: 'service-account', value: 'sa' },
    ]);
  });

  it('falls back to the host id when only the container-name annotation is set', () => {
    expect(extractRestrictions({ 'authn-k8s/authentication-container-name': 'c' }, 'dev', 'conjur/authn-k8s/dev/apps/ns1/service_account/app')).toEqual([
      { name: 'namespace', value: 'ns1' },
      { name: 'service-account', value: 'app' },
    ]);
    expect(extractRestrictions({}, 'dev', 'apps/ns1/*/*')).toEqual([{ name: 'namespace', value: 'ns1' }]);
    expect(codeOf(() => extractRestrictions({}, 'dev', 'a/b'))).toBe('CONJ00048E');
  });
});

describe('validateRestrictions', () => {
  const r = (...names: string[]): Restriction[] => names.map((name) => ({ name, value: 'v' }));
  const cases: [string, Restriction[], string | undefined][] = [
    ['namespace alone', r('namespace'), undefined],
    ['no namespace', r('service-account'), 'CONJ00131E'],
    ['namespace and a label selector', r('namespace', 'namespace-label-selector'), 'CONJ00131E'],
    ['an unsupported daemonset', r('namespace', 'daemonset'), 'CONJ00050E'],
    ['two controllers', r('namespace', 'deployment', 'stateful-set'), 'CONJ00055E'],
  ];
  for (const [name, restrictions, code] of cases) {
    it(`gives ${code ?? 'no error'} for ${name}`, () => {
      expect(codeOf(() => validateRestrictions(restrictions))).toBe(code);
    });
  }
});

describe('containerNameOf', () => {
  it('prefers the service-specific annotation, then authn-k8s, then kubernetes, then authenticator', () => {
    const all = { 'kubernetes/authentication-container-name': 'k', 'authn-k8s/authentication-container-name': 'g', 'authn-k8s/dev/authentication-container-name': 's' };
    expect(containerNameOf(all, 'dev')).toBe('s');
    expect(containerNameOf(all, 'prod')).toBe('g');
    expect(containerNameOf({ 'kubernetes/authentication-container-name': 'k' }, 'dev')).toBe('k');
    expect(containerNameOf({}, 'dev')).toBe('authenticator');
  });
});

describe('checkRestrictions against the Kubernetes API double', () => {
  let kubeApi: KubeApiDouble;
  let kube: () => KubeLookup;
  const agent = new Agent({ keepAlive: true });
  const ref = { namespace: 'apps', podName: 'web-abc-1' };
  const owner = (kind: string, name: string) => ({ apiVersion: 'apps/v1', kind, name, uid: `${name}-uid`, controller: true });
  const pod = buildPod({ namespace: 'apps', name: 'web-abc-1', nodeName: 'n', serviceAccount: 'web', containers: [{ name: 'app', image: 'a' }], ownerReferences: [owner('ReplicaSet', 'web-abc')] });
  const dbPod = buildPod({ namespace: 'apps', name: 'db-0', nodeName: 'n', containers: [{ name: 'db', image: 'd' }], ownerReferences: [owner('StatefulSet', 'db')] });

  beforeAll(async () => {
    const ca = await createTestCa();
    kubeApi = await startKubeApi({ ca, token: 't' });
    kube = () => new KubeLookup({ url: kubeApi.url, token: 't', caPem: ca.certPem }, agent, 5000);
    kubeApi.upsertPod(pod);
    kubeApi.upsertPod(dbPod);
    kubeApi.upsertPod(buildPod({ namespace: 'apps', name: 'other', nodeName: 'n', containers: [{ name: 'app', image: 'a' }] }));
    kubeApi.setObject('/apis/apps/v1/namespaces/apps/replicasets/web-abc', { kind: 'ReplicaSet', metadata: { name: 'web-abc', ownerReferences: [owner('Deployment', 'web')] } });
    kubeApi.setObject('/apis/apps/v1/namespaces/apps/deployments/web', { kind: 'Deployment', metadata: { name: 'web' } });
    kubeApi.setObject('/apis/apps/v1/namespaces/apps/deployments/api', { kind: 'Deployment', metadata: { name: 'api' } });
    kubeApi.setObject('/apis/apps/v1/namespaces/apps/statefulsets/db', { kind: 'StatefulSet', metadata: { name: 'db' } });
    kubeApi.setObject('/api/v1/namespaces/apps', { kind: 'Namespace', metadata: { name: 'apps', labels: { team: 'a', tier: 'web' } } });
    kubeApi.setObject('/api/v1/namespaces/apps/serviceaccounts/api', { kind: 'ServiceAccount', metadata: { name: 'api' } });
  });

  afterAll(async () => {
    agent.destroy();
    await kubeApi.close();
  });

  const cases: [string, Restriction, string | undefined][] = [
    ['a deployment owning the pod through its ReplicaSet', { name: 'deployment', value: 'web' }, undefined],
    ['another existing deployment', { name: 'deployment', value: 'api' }, 'CONJ00061E'],
    ['a deployment that does not exist', { name: 'deployment', value: 'ghost' }, 'CONJ00026E'],
    ['a stateful set for a pod owned by a ReplicaSet', { name: 'stateful-set', value: 'db' }, 'CONJ00062E'],
    ['its own service account', { name: 'service-account', value: 'web' }, undefined],
    ['another existing service account', { name: 'service-account', value: 'api' }, 'CONJ00061E'],
    ['its own pod name', { name: 'pod', value: 'web-abc-1' }, undefined],
    ['another existing pod', { name: 'pod', value: 'other' }, 'CONJ00060E'],
    ['matching namespace labels (= and ==)', { name: 'namespace-label-selector', value: 'team=a,tier==web' }, undefined],
    ['a namespace label that differs', { name: 'namespace-label-selector', value: 'team=b' }, 'CONJ00083E'],
    ['a selector with !=', { name: 'namespace-label-selector', value: 'team!=b' }, 'CONJ00094E'],
    ['a deployment config (no OpenShift API)', { name: 'deployment-config', value: 'web' }, 'CONJ00132E'],
  ];
  for (const [name, restriction, code] of cases) {
    it(`gives ${code ?? 'no error'} for ${name}`, async () => {
      const outcome = await checkRestrictions([restriction], pod as unknown as Record<string, unknown>, ref, kube()).then(
        () => undefined,
        (e: unknown) => (e instanceof ConjurDenial ? e.code : String(e)),
      );
      expect(outcome).toBe(code);
    });
  }

  it('accepts a stateful set that owns the pod', async () => {
    await expect(checkRestrictions([{ name: 'stateful-set', value: 'db' }], dbPod as unknown as Record<string, unknown>, { namespace: 'apps', podName: 'db-0' }, kube())).resolves.toBeUndefined();
  });

  it('discovers group-versions before getting objects, once per lookup', async () => {
    const before = kubeApi.requests.length;
    await checkRestrictions([{ name: 'deployment', value: 'web' }], pod as unknown as Record<string, unknown>, ref, kube());
    expect(kubeApi.requests.slice(before).map((r) => r.path)).toEqual([
      '/api/v1',
      '/apis/apps/v1',
      '/apis/apps/v1/namespaces/apps/deployments/web',
      '/apis/apps/v1/namespaces/apps/replicasets/web-abc',
      '/apis/apps/v1/namespaces/apps/deployments/web',
    ]);
  });
});
