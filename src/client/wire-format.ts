// The protobuf wire format, as much of it as the client's messages need: varints, length-
// delimited fields, and skipping anything else. Why by hand: the client runs in every `api`,
// `healthcheck` and `helper` process, and protobufjs with proto-loader costs each of them about
// 10 MB and 50 ms to build codecs for messages this small (issue 14). The agent keeps
// proto-loader; test/unit/client/response-codecs.test.ts checks both sides agree byte for byte.

/** Wire types (protobuf encoding spec): what follows a field's tag. */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
}

/** Reads one message's fields in order; each value is read (or skipped) by the caller. */
export class WireReader {
  private offset = 0;

  constructor(private readonly bytes: Uint8Array) {}

  /** The next field's number and wire type, or undefined at the end of the message. */
  nextField(): { field: number; wireType: number } | undefined {
    if (this.offset >= this.bytes.length) return undefined;
    const tag = this.varint();
    const field = Number(tag >> 3n);
    if (field === 0) throw new WireFormatError('field number 0');
    return { field, wireType: Number(tag & 7n) };
  }

  varint(): bigint {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.bytes[this.offset++];
      if (byte === undefined) throw new WireFormatError('truncated varint');
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value & 0xffff_ffff_ffff_ffffn;
    }
    throw new WireFormatError('varint longer than 10 bytes');
  }

  /** A length-delimited value, as a copy (Buffers handed out never alias the frame). */
  bytesField(): Buffer {
    const length = Number(this.varint());
    const end = this.offset + length;
    if (end > this.bytes.length) throw new WireFormatError('length-delimited field runs past the message');
    const value = Buffer.from(this.bytes.subarray(this.offset, end));
    this.offset = end;
    return value;
  }

  string(): string {
    return this.bytesField().toString('utf8');
  }

  skip(wireType: number): void {
    switch (wireType) {
      case VARINT:
        this.varint();
        return;
      case FIXED64:
        this.advance(8);
        return;
      case LENGTH_DELIMITED:
        this.bytesField();
        return;
      case FIXED32:
        this.advance(4);
        return;
      default:
        throw new WireFormatError(`unsupported wire type ${wireType}`);
    }
  }

  /** Checks that a field has the wire type its schema says; a mismatch is a broken message. */
  expect(wireType: number, expected: 'varint' | 'bytes'): void {
    const want = expected === 'varint' ? VARINT : LENGTH_DELIMITED;
    if (wireType !== want) throw new WireFormatError(`wire type ${wireType} where ${expected} was expected`);
  }

  private advance(count: number): void {
    if (this.offset + count > this.bytes.length) throw new WireFormatError('fixed-width field runs past the message');
    this.offset += count;
  }
}

/** A string field, encoded (empty strings are left out, as proto3 does). */
export function encodeStringField(field: number, value: string): Buffer {
  if (value === '') return Buffer.alloc(0);
  const data = Buffer.from(value, 'utf8');
  return Buffer.concat([encodeVarint((field << 3) | LENGTH_DELIMITED), encodeVarint(data.length), data]);
}

function encodeVarint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}
