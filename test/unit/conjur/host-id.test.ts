import { describe, expect, it } from '@jest/globals';
import { commonNameOf, encodeLoginSegment, splitHostId } from '../../../src/conjur/index.js';

describe('splitHostId', () => {
  // The table of protocol §3.2, plus the agent's stricter refusals.
  const cases = [
    { login: 'host/conjur/authn-k8s/dev/apps/ns1/service_account/app', prefix: 'host.conjur.authn-k8s.dev.apps', suffix: 'ns1.service_account.app' },
    { login: 'host/conjur/authn-k8s/dev/apps/ns1/*/*', prefix: 'host.conjur.authn-k8s.dev.apps', suffix: 'ns1.*.*' },
    { login: 'host/apps/my-agent', prefix: 'host.apps', suffix: 'my-agent' },
    { login: 'host/my-agent', prefix: 'host', suffix: 'my-agent' },
    { login: 'host/a/b/c/d', prefix: 'host.a', suffix: 'b.c.d' },
  ];
  for (const c of cases) {
    it(`splits ${c.login} into ${c.prefix} and ${c.suffix}`, () => {
      expect(splitHostId(c.login)).toEqual({ prefix: c.prefix, suffix: c.suffix });
    });
  }

  const refused = [
    { login: 'user/alice', message: 'conjur login must start with host/' },
    { login: 'host', message: 'conjur login must start with host/' },
    { login: 'hosts/a', message: 'conjur login must start with host/' },
    { login: 'host/apps//x', message: 'conjur login has an empty segment' },
    { login: 'host/apps/my.agent', message: 'conjur login segments cannot contain a dot' },
  ];
  for (const c of refused) {
    it(`refuses ${c.login} as denied`, () => {
      expect(() => splitHostId(c.login)).toThrow(expect.objectContaining({ code: 'denied', message: c.message }) as unknown as Error);
    });
  }
});

describe('commonNameOf', () => {
  it('turns every slash of the login into a dot, as Conjur compares the CN', () => {
    expect(commonNameOf('host/conjur/authn-k8s/dev/apps/ns1/*/*')).toBe('host.conjur.authn-k8s.dev.apps.ns1.*.*');
  });

  it('rejoins prefix and suffix to the same name', () => {
    const { prefix, suffix } = splitHostId('host/conjur/authn-k8s/dev/apps/agents/service_account/cert-agent');
    expect(`${prefix}.${suffix}`).toBe(commonNameOf('host/conjur/authn-k8s/dev/apps/agents/service_account/cert-agent'));
  });
});

describe('encodeLoginSegment', () => {
  const cases = [
    { login: 'host/conjur/authn-k8s/dev/apps/agents/service_account/cert-agent', encoded: 'host%2Fconjur%2Fauthn-k8s%2Fdev%2Fapps%2Fagents%2Fservice_account%2Fcert-agent' },
    { login: 'host/apps/ns1/*/*', encoded: 'host%2Fapps%2Fns1%2F%2A%2F%2A' },
    { login: 'host/a b', encoded: 'host%2Fa+b' },
    { login: "host/x!'()~._-", encoded: 'host%2Fx%21%27%28%29~._-' },
    { login: 'host/ü+@', encoded: 'host%2F%C3%BC%2B%40' },
  ];
  for (const c of cases) {
    it(`encodes ${c.login} like Go's url.QueryEscape`, () => {
      expect(encodeLoginSegment(c.login)).toBe(c.encoded);
    });
  }
});
