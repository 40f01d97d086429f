import { describe, expect, it } from '@jest/globals';
import { LoginTemplate, LoginTemplateError } from '../../../src/identity/index.js';

const VALUES = { namespace: 'payments', serviceAccount: 'payments-api', podName: 'api-0' };

describe('LoginTemplate', () => {
  it('renders every placeholder', () => {
    const template = LoginTemplate.parse('host/conjur/authn-k8s/{serviceId}/apps/{namespace}/service_account/{serviceAccount}/{podName}', 'prod');
    expect(template.render(VALUES)).toBe('host/conjur/authn-k8s/prod/apps/payments/service_account/payments-api/api-0');
  });

  it('renders a template without placeholders as is', () => {
    expect(LoginTemplate.parse('host/apps/shared').render(VALUES)).toBe('host/apps/shared');
  });

  const invalid: { name: string; template: string; serviceId?: string; code: string; message: RegExp }[] = [
    { name: 'an unknown placeholder', template: 'host/apps/{namespace}/{service_account}', code: 'unknown-placeholder', message: /unknown placeholder \{service_account\}/ },
    { name: 'an unbalanced brace', template: 'host/apps/{namespace', code: 'malformed', message: /unbalanced brace/ },
    { name: 'a stray closing brace', template: 'host/apps/namespace}', code: 'malformed', message: /unbalanced brace/ },
    { name: 'a login that is not a host', template: 'user/{namespace}', code: 'not-a-host-login', message: /must start with host\// },
    { name: 'a bare host/ prefix', template: 'host/', code: 'not-a-host-login', message: /must start with host\// },
    { name: '{serviceId} without a service id', template: 'host/conjur/authn-k8s/{serviceId}/apps', code: 'missing-service-id', message: /no authn-k8s service id/ },
  ];
  for (const c of invalid) {
    it(`rejects ${c.name} at parse time`, () => {
      let error: unknown;
      try {
        LoginTemplate.parse(c.template, c.serviceId);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(LoginTemplateError);
      expect(error).toMatchObject({ code: c.code, message: expect.stringMatching(c.message) });
    });
  }
});
