import { describe, expect, it } from '@jest/globals';
import { decodeParam, matchRoute } from '../../doubles/conjur/routes.js';
import { podRefOfSan } from '../../doubles/conjur/csr.js';
import { decode64Lenient } from '../../doubles/conjur/token-middleware.js';

// The pure parts of the Conjur double's request parsing: Rails routing (§2.1), the positional
// SPIFFE parse (§3.3) and Ruby's lenient base64 (§11.3).

describe('matchRoute', () => {
  const login = 'host%2Fconjur%2Fauthn-k8s%2Fdev%2Fapps%2Fns1%2F%2A%2F*';
  const cases = [
    { method: 'POST', url: '/authn-k8s/dev/inject_client_cert', route: { kind: 'inject', serviceId: 'dev' } },
    { method: 'POST', url: '/authn-k8s/dev//inject_client_cert/?request_ip=1.2.3.4', route: { kind: 'inject', serviceId: 'dev' } },
    { method: 'POST', url: `/authn-k8s/dev/myorg/${login}/authenticate`, route: { kind: 'authenticate', serviceId: 'dev', account: 'myorg', login: 'host/conjur/authn-k8s/dev/apps/ns1/*/*' } },
    { method: 'POST', url: '/authn-k8s/dev/my%20org/host%2Fa+b/authenticate', route: { kind: 'authenticate', serviceId: 'dev', account: 'my org', login: 'host/a+b' } },
    { method: 'POST', url: '/authn-k8s/dev/my%2forg/host%2Fa/authenticate', route: { kind: 'not-found' } },
    { method: 'POST', url: '/authn-k8s/dev/myorg/host/a/authenticate', route: { kind: 'not-found' } },
    { method: 'POST', url: '/authn-k8s/d.v/inject_client_cert', route: { kind: 'not-found' } },
    { method: 'POST', url: '/authn-k8s/d%2Ev/inject_client_cert', route: { kind: 'inject', serviceId: 'd.v' } },
    { method: 'PUT', url: '/authn-k8s/dev/inject_client_cert', route: { kind: 'not-found' } },
    { method: 'GET', url: '/secrets/myorg/variable/apps/db%2Fpassword?version=2', route: { kind: 'secret', account: 'myorg', resourceKind: 'variable', identifier: 'apps/db/password' } },
    { method: 'GET', url: '/secrets/myorg/variable', route: { kind: 'not-found' } },
    { method: 'GET', url: '/secrets?variable_ids=a', route: { kind: 'batch-secrets' } },
    { method: 'GET', url: '/whoami/', route: { kind: 'whoami' } },
    { method: 'GET', url: '/whoami.json', route: { kind: 'not-found' } },
  ];
  for (const c of cases) {
    it(`maps ${c.method} ${c.url} to ${c.route.kind}`, () => {
      expect(matchRoute(c.method, c.url)).toEqual(c.route);
    });
  }
});

describe('decodeParam', () => {
  it('decodes %XX, keeps + and stray percent signs, and reads UTF-8', () => {
    expect(decodeParam('a+b%2Fc%2a%zz%')).toBe('a+b/c*%zz%');
    expect(decodeParam('%C3%A9t%C3%A9')).toBe('été');
  });
});

describe('podRefOfSan', () => {
  const cases: [string, ReturnType<typeof podRefOfSan>][] = [
    ['URI:spiffe://cluster.local/namespace/ns1/podname/web-1', { namespace: 'ns1', podName: 'web-1' }],
    ['uri:spiffe://example.org/ns/ns1/pod/web-1/', { namespace: 'ns1', podName: 'web-1' }],
    ['URI:spiffe://cluster.local/namespace/ns1/extra/podname/web-1', { namespace: 'ns1', podName: 'web-1' }],
    ['URI:spiffe://cluster.local/namespace/ns1/podname/web-1, DNS:web', undefined],
    ['DNS:web', undefined],
    ['URI:spiffe://cluster.local', undefined],
  ];
  for (const [san, ref] of cases) {
    it(`reads ${JSON.stringify(san)} by position`, () => {
      expect(podRefOfSan(san)).toEqual(ref);
    });
  }
});

describe('decode64Lenient', () => {
  it('skips characters outside the standard alphabet and stops at padding, like Ruby decode64', () => {
    expect(decode64Lenient('aGVs\nbG8=ignored').toString()).toBe('hello');
    expect(decode64Lenient('P_8-').equals(decode64Lenient('P8'))).toBe(true);
  });
});
