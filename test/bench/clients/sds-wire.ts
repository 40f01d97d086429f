// Envoy SDS on raw bytes, for the bench's client processes (which never import the agent or a
// protobuf runtime): a DiscoveryRequest written by hand, and the two strings an Envoy reads from
// a DiscoveryResponse to ACK it. Field numbers are Envoy's (envoy.service.discovery.v3).

export const STREAM_SECRETS = '/envoy.service.secret.v3.SecretDiscoveryService/StreamSecrets';
export const SECRET_TYPE_URL = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';

export interface RequestFields {
  readonly names: readonly string[];
  readonly versionInfo?: string;
  readonly nonce?: string;
}

/** DiscoveryRequest: version_info = 1, resource_names = 3, type_url = 4, response_nonce = 5. */
export function encodeDiscoveryRequest(fields: RequestFields): Buffer {
  const parts: Buffer[] = [];
  const string = (field: number, value: string) => {
    const bytes = Buffer.from(value);
    parts.push(varint((field << 3) | 2), varint(bytes.length), bytes);
  };
  if (fields.versionInfo) string(1, fields.versionInfo);
  for (const name of fields.names) string(3, name);
  string(4, SECRET_TYPE_URL);
  if (fields.nonce) string(5, fields.nonce);
  return Buffer.concat(parts);
}

/** DiscoveryResponse's version_info (1) and nonce (5); other fields are skipped. */
export function readVersionAndNonce(bytes: Buffer): { versionInfo: string; nonce: string } {
  let versionInfo = '';
  let nonce = '';
  let offset = 0;
  while (offset < bytes.length) {
    const [key, afterKey] = readVarint(bytes, offset);
    const field = key >>> 3;
    const wireType = key & 7;
    if (wireType === 0) {
      offset = readVarint(bytes, afterKey)[1];
    } else if (wireType === 2) {
      const [length, start] = readVarint(bytes, afterKey);
      const value = bytes.subarray(start, start + length);
      if (field === 1) versionInfo = value.toString();
      if (field === 5) nonce = value.toString();
      offset = start + length;
    } else {
      throw new Error(`unexpected wire type ${wireType} in a DiscoveryResponse`);
    }
  }
  return { versionInfo, nonce };
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

function readVarint(bytes: Buffer, offset: number): [number, number] {
  let value = 0;
  let shift = 0;
  let at = offset;
  for (;;) {
    const byte = bytes[at++];
    if (byte === undefined) throw new Error('truncated varint');
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, at];
    shift += 7;
  }
}
