import { describe, expect, it } from '@jest/globals';
import {
  decodeKeyUsage,
  decodeSubjectAltNames,
  encodeKeyUsage,
  subjectAltNameExtension,
} from '../../../src/x509/extensions.js';
import type { KeyUsage } from '../../../src/x509/extensions.js';

const cases: { name: string; usages: KeyUsage[]; der: string }[] = [
  { name: 'a leaf SVID (digitalSignature)', usages: ['digitalSignature'], der: '03020780' },
  { name: 'SPIRE leaf (digitalSignature, keyEncipherment, keyAgreement)', usages: ['digitalSignature', 'keyEncipherment', 'keyAgreement'], der: '030203a8' },
  { name: 'a CA (keyCertSign, cRLSign)', usages: ['keyCertSign', 'cRLSign'], der: '03020106' },
  { name: 'decipherOnly in the second byte', usages: ['digitalSignature', 'decipherOnly'], der: '0303078080' },
];

describe('key usage bits', () => {
  for (const c of cases) {
    it(`encodes ${c.name} as minimal DER and reads it back`, () => {
      const der = Buffer.from(encodeKeyUsage(c.usages).toBER(false)).toString('hex');
      expect(der).toBe(c.der);
      expect(decodeKeyUsage(Buffer.from(c.der, 'hex'))).toEqual(c.usages);
    });
  }

  it('rejects a value that is not a bit string', () => {
    expect(() => decodeKeyUsage(Buffer.from('0500', 'hex'))).toThrow('key usage extension is not a bit string');
  });
});

describe('subject alternative names', () => {
  it('round-trips URIs, DNS names and IPv4/IPv6 addresses', () => {
    const ext = subjectAltNameExtension({
      uris: ['spiffe://example.org/a'],
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1', '::1', 'fe80::1:2'],
    });
    expect(ext.critical).toBe(false);
    expect(decodeSubjectAltNames(ext.extnValue.valueBlock.valueHexView)).toEqual({
      uris: ['spiffe://example.org/a'],
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1', '0:0:0:0:0:0:0:1', 'fe80:0:0:0:0:0:1:2'],
    });
  });

  it('refuses an address that is not an IP address', () => {
    expect(() => subjectAltNameExtension({ ipAddresses: ['localhost'] })).toThrow('ip address localhost is not supported');
  });
});
