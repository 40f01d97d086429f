import { beforeAll, describe, expect, it } from '@jest/globals';
import { splitDerCertificates } from '../../../src/client/index.js';
import { createTestCa } from '../../support/test-ca.js';

describe('splitDerCertificates', () => {
  let leaf: Buffer;
  let ca: Buffer;

  beforeAll(async () => {
    const testCa = await createTestCa({ keyType: 'rsa-2048' });
    ca = testCa.certDer;
    leaf = (await testCa.issueClientCert({ commonName: 'leaf', uriSans: ['spiffe://example.org/a'] })).certDer;
  });

  it('splits concatenated certificates back into each one, in order', () => {
    const parts = splitDerCertificates(Buffer.concat([leaf, ca, leaf]));
    expect(parts).toHaveLength(3);
    expect(parts[0]!.equals(leaf)).toBe(true);
    expect(parts[1]!.equals(ca)).toBe(true);
    expect(parts[2]!.equals(leaf)).toBe(true);
  });

  it('returns nothing for empty bytes', () => {
    expect(splitDerCertificates(Buffer.alloc(0))).toEqual([]);
  });

  it('rejects a truncated certificate', () => {
    const bytes = Buffer.concat([leaf, ca.subarray(0, ca.length - 1)]);
    expect(() => splitDerCertificates(bytes)).toThrow(`DER certificate at byte ${leaf.length} is truncated`);
  });

  it('rejects bytes that are not a DER SEQUENCE', () => {
    expect(() => splitDerCertificates(Buffer.from('-----BEGIN CERTIFICATE-----'))).toThrow('expected a DER SEQUENCE at byte 0');
  });

  it('rejects an indefinite length, which DER forbids', () => {
    expect(() => splitDerCertificates(Buffer.from([0x30, 0x80, 0x00, 0x00]))).toThrow(/indefinite DER length/);
  });
});
