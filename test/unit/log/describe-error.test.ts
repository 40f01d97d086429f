import { describe, expect, it } from '@jest/globals';
import { describeError } from '../../../src/log/index.js';

describe('describeError', () => {
  const cases = [
    { name: 'joins a cause chain', given: new Error('issuance failed', { cause: new Error('conjur answered 500 to inject_client_cert') }), expect: 'issuance failed: conjur answered 500 to inject_client_cert' },
    // Issue 11: "conjur returned 401 for inject: conjur returned 401 for inject"
    { name: 'says a message once when a wrapper repeats its cause', given: new Error('conjur answered 401 to inject_client_cert', { cause: new Error('conjur answered 401 to inject_client_cert') }), expect: 'conjur answered 401 to inject_client_cert' },
    { name: 'drops a cause already contained in the wrapper', given: new Error('x509-svid: conjur request failed: ECONNREFUSED', { cause: new Error('ECONNREFUSED') }), expect: 'x509-svid: conjur request failed: ECONNREFUSED' },
    { name: 'describes a thrown string', given: 'boom', expect: 'boom' },
  ];
  for (const c of cases) it(c.name, () => expect(describeError(c.given)).toBe(c.expect));
});
