import { describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { AttestationError } from '../../../src/attestation/index.js';
import { IssuanceError } from '../../../src/svid-cache/index.js';
import { toGrpcStatus, WorkloadApiError } from '../../../src/workload-api/index.js';

describe('toGrpcStatus', () => {
  const cases = [
    { name: 'a missing header', given: new WorkloadApiError('missing-header', 'x'), code: status.INVALID_ARGUMENT, details: 'security header missing from request', level: 'debug' },
    { name: 'a caller that is not a workload', given: new AttestationError('not-a-workload', 'not in a pod'), code: status.PERMISSION_DENIED, details: 'no identity issued', level: 'info' },
    { name: 'attestation that could not finish', given: new AttestationError('unavailable', 'kubelet returned 503 for /pods'), code: status.UNAVAILABLE, details: 'workload attestation failed', level: 'warn' },
    { name: 'a caller that exited during attestation', given: new WorkloadApiError('caller-gone', 'pid 42 exited'), code: status.UNAVAILABLE, details: 'workload attestation failed', level: 'warn' },
    { name: 'a caller without identity', given: new WorkloadApiError('no-identity', 'x'), code: status.PERMISSION_DENIED, details: 'no identity issued', level: 'info' },
    { name: 'Conjur refusing the host (told as the cache wrote it)', given: new IssuanceError('denied', 'x509-svid: conjur answered 403 to inject_client_cert; next attempt in 180 s'), code: status.PERMISSION_DENIED, details: 'x509-svid: conjur answered 403 to inject_client_cert; next attempt in 180 s', level: 'warn' },
    { name: 'an evicted pod', given: new IssuanceError('evicted', 'pod deleted'), code: status.PERMISSION_DENIED, details: 'identity withdrawn', level: 'info' },
    { name: 'Conjur unreachable', given: new IssuanceError('unavailable', 'x509-svid: conjur request failed: ECONNREFUSED'), code: status.UNAVAILABLE, details: 'x509-svid: conjur request failed: ECONNREFUSED', level: 'warn' },
    { name: 'an injected certificate failing a check', given: new IssuanceError('confirm-failed', 'wrong SAN'), code: status.UNAVAILABLE, details: 'wrong SAN', level: 'error' },
    { name: 'an issuance error without a message', given: new IssuanceError('unavailable', ''), code: status.UNAVAILABLE, details: 'identity issuance unavailable', level: 'warn' },
    { name: 'shutdown', given: new WorkloadApiError('shutting-down', 'x'), code: status.UNAVAILABLE, details: 'agent shutting down', level: 'debug' },
    { name: 'a look-alike error from another copy of a module', given: { name: 'AttestationError', code: 'unavailable' }, code: status.UNAVAILABLE, details: 'workload attestation failed', level: 'warn' },
    { name: 'an unknown code of a known class', given: { name: 'IssuanceError', code: 'weird' }, code: status.INTERNAL, details: 'internal error', level: 'error' },
    { name: 'a plain Error', given: new Error('boom: secret detail'), code: status.INTERNAL, details: 'internal error', level: 'error' },
    { name: 'a thrown string', given: 'boom', code: status.INTERNAL, details: 'internal error', level: 'error' },
  ];
  for (const c of cases) {
    it(`maps ${c.name} to ${status[c.code]} "${c.details}" and logs at ${c.level}`, () => {
      const failure = toGrpcStatus(c.given);
      expect({ code: failure.code, details: failure.details, level: failure.logLevel }).toEqual({ code: c.code, details: c.details, level: c.level });
    });
  }

  it('never passes the cause to the workload', () => {
    const failure = toGrpcStatus(new AttestationError('unavailable', 'kubelet token /var/run/secrets/x rejected'));
    expect(failure.details).not.toContain('kubelet');
  });
});
