import { describe, expect, it } from '@jest/globals';
import { certificateFacts, createCertificateAuthority, parsePemCertificates, toPem } from '../../../src/x509/index.js';

describe('PEM', () => {
  const a = createCertificateAuthority({ commonName: 'a', validForMs: 60_000 }).certDer;
  const b = createCertificateAuthority({ commonName: 'b', validForMs: 60_000 }).certDer;

  it('writes 64-character lines between BEGIN and END lines', () => {
    const lines = toPem(a, 'CERTIFICATE').trimEnd().split('\n');
    expect(lines[0]).toBe('-----BEGIN CERTIFICATE-----');
    expect(lines.at(-1)).toBe('-----END CERTIFICATE-----');
    expect(lines.slice(1, -2).every((l) => l.length === 64)).toBe(true);
  });

  it('reads every certificate block in order, ignoring text and other blocks around them', () => {
    const key = toPem(Buffer.from('not a key'), 'PRIVATE KEY');
    const text = `subject=a\n${toPem(a, 'CERTIFICATE')}${key}\r\n${toPem(b, 'CERTIFICATE').replace(/\n/g, '\r\n')}`;
    const blocks = parsePemCertificates(text);
    expect(blocks.map((der) => certificateFacts(der).subjectCommonName)).toEqual(['a', 'b']);
  });

  it('refuses text without a certificate', () => {
    expect(() => parsePemCertificates('hello')).toThrow('no PEM certificate found');
  });
});
