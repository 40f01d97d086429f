import { describe, expect, it } from '@jest/globals';
import type { PodFacts, WorkloadFacts } from '../../../src/attestation/index.js';
import { KubernetesIdentityResolver, LoginTemplateError } from '../../../src/identity/index.js';
import type { KubernetesIdentityResolverOptions } from '../../../src/identity/index.js';
import type { LogFields } from '../../../src/log/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { TrustDomain } from '../../../src/spiffe/index.js';
import type { IdentityResolver } from '../../../src/workload-api/index.js';

const TEMPLATE = 'host/conjur/authn-k8s/{serviceId}/apps/{namespace}/service_account/{serviceAccount}';

function facts(overrides: Partial<PodFacts> = {}): PodFacts {
  return {
    kind: 'kubernetes',
    process: { pid: 4242, uid: 1000, gid: 1000 },
    namespace: 'payments',
    podName: 'api-7d9f8b6c5d-x2k4q',
    podUid: '6a1f0c3e-2b4d-4e5f-8a9b-0c1d2e3f4a5b',
    serviceAccount: 'payments-api',
    nodeName: 'node-a',
    containerName: 'api',
    containerId: 'f'.repeat(64),
    image: 'registry.example/payments/api:2.1',
    labels: {},
    annotations: {},
    ownerReferences: [],
    mounts: [],
    volumes: [],
    ...overrides,
  };
}

function resolver(options: Partial<KubernetesIdentityResolverOptions> = {}) {
  return new KubernetesIdentityResolver({ trustDomain: TrustDomain.parse('cluster.local'), logger: silentLogger, ...options }) satisfies IdentityResolver;
}

describe('KubernetesIdentityResolver', () => {
  const cases: { name: string; options?: Partial<KubernetesIdentityResolverOptions>; facts: WorkloadFacts; login: string | undefined; reason?: RegExp }[] = [
    { name: 'uses the authn-login annotation', facts: facts({ annotations: { 'conjur.org/authn-login': 'host/apps/payments-api' } }), login: 'host/apps/payments-api' },
    { name: 'prefers the annotation over the template', options: { defaultLoginTemplate: TEMPLATE, serviceId: 'prod' }, facts: facts({ annotations: { 'conjur.org/authn-login': 'host/apps/x' } }), login: 'host/apps/x' },
    { name: 'falls back to the template', options: { defaultLoginTemplate: TEMPLATE, serviceId: 'prod' }, facts: facts(), login: 'host/conjur/authn-k8s/prod/apps/payments/service_account/payments-api' },
    { name: 'gives no identity without annotation or template', facts: facts(), login: undefined, reason: /no conjur.org\/authn-login annotation and no default login template/ },
    { name: 'gives no identity for an annotation that is not a host login', options: { defaultLoginTemplate: TEMPLATE, serviceId: 'prod' }, facts: facts({ annotations: { 'conjur.org/authn-login': 'admin' } }), login: undefined, reason: /"admin" is not a conjur host login/ },
    { name: 'gives no identity for an annotation with whitespace', facts: facts({ annotations: { 'conjur.org/authn-login': 'host/apps/a b' } }), login: undefined, reason: /not a conjur host login/ },
    { name: 'gives no identity for an annotation with an empty segment', facts: facts({ annotations: { 'conjur.org/authn-login': 'host/apps//x' } }), login: undefined, reason: /not a conjur host login/ },
    { name: 'gives no identity when the template renders an empty service account', options: { defaultLoginTemplate: TEMPLATE, serviceId: 'prod' }, facts: facts({ serviceAccount: '' }), login: undefined, reason: /default login template gives/ },
    { name: 'gives no identity for a pod name outside the SPIFFE segment characters', facts: facts({ podName: 'api:0', annotations: { 'conjur.org/authn-login': 'host/apps/x' } }), login: undefined, reason: /cannot be named in a spiffe id/ },
    { name: 'gives no identity to a caller outside kubernetes', facts: { kind: 'unix', process: { pid: 1, uid: 0, gid: 0 } }, login: undefined, reason: /not a kubernetes pod/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const resolution = resolver(c.options).resolveWithReason(c.facts);
      if (c.login === undefined) {
        expect(resolution).toEqual({ kind: 'none', reason: expect.stringMatching(c.reason ?? /./) });
        return;
      }
      expect(resolution.kind === 'identity' && resolution.identity.conjurLogin).toBe(c.login);
    });
  }

  it('names the pod by namespace and pod name in the SPIFFE ID, keyed by pod uid, with the login as hint', () => {
    const pod = facts({ annotations: { 'conjur.org/authn-login': 'host/apps/payments-api' } });
    const identity = resolver({ trustDomain: TrustDomain.parse('prod.example.org') }).resolve(pod);
    expect(identity?.spiffeId.toString()).toBe('spiffe://prod.example.org/namespace/payments/podname/api-7d9f8b6c5d-x2k4q');
    expect(identity).toMatchObject({ key: pod.podUid, hint: 'host/apps/payments-api', conjurLogin: 'host/apps/payments-api', facts: pod });
  });

  it('logs one info line with pid and reason when a pod gets no identity', () => {
    const lines: { message: string; fields: LogFields | undefined }[] = [];
    const logger = { ...silentLogger, info: (message: string, fields?: LogFields) => lines.push({ message, fields }) };
    expect(resolver({ logger }).resolve(facts())).toBeUndefined();
    expect(lines).toEqual([
      {
        message: 'Workload has no identity',
        fields: { component: 'identity', pid: 4242, namespace: 'payments', podName: 'api-7d9f8b6c5d-x2k4q', reason: expect.stringMatching(/no default login template/) },
      },
    ]);
  });

  it('refuses a template with an unknown placeholder at construction', () => {
    expect(() => resolver({ defaultLoginTemplate: 'host/apps/{pod}' })).toThrow(LoginTemplateError);
  });
});
