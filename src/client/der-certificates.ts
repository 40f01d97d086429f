/**
 * Splits concatenated DER certificates (the Workload API's `x509_svid` and `bundle` fields carry
 * certificates back to back, with no separators) by reading each outer SEQUENCE's length.
 * Throws a plain Error naming the offset; callers turn it into their own error.
 */
export function splitDerCertificates(bytes: Buffer): Buffer[] {
  const certificates: Buffer[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const length = derElementLength(bytes, offset);
    certificates.push(Buffer.from(bytes.subarray(offset, offset + length)));
    offset += length;
  }
  return certificates;
}

const SEQUENCE = 0x30;
// A 4-byte length already allows 4 GiB; nothing longer is a certificate.
const MAX_LENGTH_BYTES = 4;

/** Total size (header + contents) of the DER element that starts at `offset`. */
function derElementLength(bytes: Buffer, offset: number): number {
  if (bytes[offset] !== SEQUENCE) throw new Error(`expected a DER SEQUENCE at byte ${offset}`);
  const first = bytes[offset + 1];
  if (first === undefined) throw new Error(`truncated DER length at byte ${offset + 1}`);
  let contentLength = first;
  let headerLength = 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0) throw new Error(`indefinite DER length at byte ${offset + 1} is not allowed`);
    if (count > MAX_LENGTH_BYTES) throw new Error(`DER length at byte ${offset + 1} is too large`);
    if (offset + 2 + count > bytes.length) throw new Error(`truncated DER length at byte ${offset + 1}`);
    contentLength = bytes.readUIntBE(offset + 2, count);
    if (contentLength < 0x80 || (count > 1 && bytes[offset + 2] === 0)) {
      throw new Error(`DER length at byte ${offset + 1} is not minimally encoded`);
    }
    headerLength += count;
  }
  const total = headerLength + contentLength;
  if (offset + total > bytes.length) throw new Error(`DER certificate at byte ${offset} is truncated`);
  return total;
}
