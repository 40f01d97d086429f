import { describe, expect, it } from '@jest/globals';
import {
  endpointFromEnvironment,
  formatEndpointAddress,
  parseEndpointAddress,
  toEndpointAddress,
} from '../../../src/client/index.js';

// The SPIFFE Workload Endpoint spec §4 forms, with go-spiffe's addr.go rules as the reference.
const accepted = [
  { name: 'a unix URI with an absolute path', given: 'unix:///run/spire/agent.sock', expect: { kind: 'unix', path: '/run/spire/agent.sock' } },
  { name: 'a unix URI without the empty authority', given: 'unix:/tmp/agent.sock', expect: { kind: 'unix', path: '/tmp/agent.sock' } },
  { name: 'a unix URI with a percent-encoded path', given: 'unix:///tmp/my%20agent.sock', expect: { kind: 'unix', path: '/tmp/my agent.sock' } },
  { name: 'a tcp URI with an IPv4 address', given: 'tcp://127.0.0.1:8081', expect: { kind: 'tcp', host: '127.0.0.1', port: 8081 } },
  { name: 'a tcp URI with an IPv6 address', given: 'tcp://[::1]:8081', expect: { kind: 'tcp', host: '::1', port: 8081 } },
];

const rejected = [
  { name: 'a plain path', given: '/tmp/agent.sock', expect: /not a URI/ },
  { name: 'another scheme', given: 'http://127.0.0.1:8081', expect: /must have a "unix" or "tcp" scheme/ },
  { name: 'an opaque unix URI', given: 'unix:tmp/agent.sock', expect: /must not be opaque/ },
  { name: 'a unix URI with an authority', given: 'unix://localhost/tmp/agent.sock', expect: /must not include an authority/ },
  { name: 'a unix URI with user info', given: 'unix://user@/tmp/agent.sock', expect: /must not include user info/ },
  { name: 'a unix URI without a path', given: 'unix://', expect: /must include a path/ },
  { name: 'a unix URI with a query', given: 'unix:///tmp/agent.sock?mode=x', expect: /must not include query values/ },
  { name: 'a unix URI with a fragment', given: 'unix:///tmp/agent.sock#x', expect: /must not include a fragment/ },
  { name: 'a tcp URI with a host name', given: 'tcp://localhost:8081', expect: /host component must be an IP:port/ },
  { name: 'a tcp URI without a port', given: 'tcp://127.0.0.1', expect: /must include a port/ },
  { name: 'a tcp URI with a path', given: 'tcp://127.0.0.1:8081/x', expect: /must not include a path/ },
  { name: 'a tcp URI with user info', given: 'tcp://u@127.0.0.1:8081', expect: /must not include user info/ },
  { name: 'an opaque tcp URI', given: 'tcp:127.0.0.1:8081', expect: /must not be opaque/ },
  { name: 'a tcp URI with a query', given: 'tcp://127.0.0.1:8081?x=1', expect: /must not include query values/ },
  { name: 'a tcp URI with an out-of-range port', given: 'tcp://127.0.0.1:70000', expect: /between 1 and 65535/ },
];

describe('parseEndpointAddress', () => {
  for (const c of accepted) {
    it(`accepts ${c.name}`, () => {
      expect(parseEndpointAddress(c.given)).toEqual(c.expect);
    });
  }
  for (const c of rejected) {
    it(`rejects ${c.name} with a message naming the rule`, () => {
      expect(() => parseEndpointAddress(c.given)).toThrow(c.expect);
    });
  }
});

describe('endpointFromEnvironment', () => {
  it('reads SPIFFE_ENDPOINT_SOCKET', () => {
    expect(endpointFromEnvironment({ SPIFFE_ENDPOINT_SOCKET: 'unix:///tmp/a.sock' })).toEqual({ kind: 'unix', path: '/tmp/a.sock' });
  });

  it('returns undefined when the variable is unset or empty', () => {
    expect(endpointFromEnvironment({})).toBeUndefined();
    expect(endpointFromEnvironment({ SPIFFE_ENDPOINT_SOCKET: '' })).toBeUndefined();
  });

  it('names the variable when its value is invalid', () => {
    expect(() => endpointFromEnvironment({ SPIFFE_ENDPOINT_SOCKET: 'unix:relative' })).toThrow(
      /^SPIFFE_ENDPOINT_SOCKET is invalid: .*must not be opaque/,
    );
  });
});

describe('toEndpointAddress', () => {
  it('takes a plain absolute path as a unix socket, as SPIRE’s CLI does', () => {
    expect(toEndpointAddress('/tmp/a.sock')).toEqual({ kind: 'unix', path: '/tmp/a.sock' });
  });

  it('formats addresses back to their URI for messages', () => {
    expect(formatEndpointAddress(toEndpointAddress('/tmp/a.sock'))).toBe('unix:///tmp/a.sock');
    expect(formatEndpointAddress(toEndpointAddress('tcp://[::1]:9'))).toBe('tcp://[::1]:9');
  });
});
