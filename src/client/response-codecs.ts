import type { X509SVID__Output } from '../gen/X509SVID.js';
import type { X509SVIDResponse__Output } from '../gen/X509SVIDResponse.js';
import type { X509BundlesResponse__Output } from '../gen/X509BundlesResponse.js';
import type { FetchConjurTokenResponse__Output } from '../gen/conjur/spiffe/v1/FetchConjurTokenResponse.js';
import { encodeStringField, WireReader } from './wire-format.js';
import type { HealthStatus } from './workload-api-client.js';

// Decoders for the responses the client reads, into the same shapes proto-loader builds with the
// agent's options (src/gen `__Output` types: snake_case, proto3 defaults filled in, bytes as
// Buffer, int64 as a decimal string, enums by name), so from-responses.ts needs no second
// path. Field numbers are those of proto/; unknown fields are skipped, as protobuf requires.

const EMPTY: Buffer = Buffer.alloc(0);

/** Every request the client sends is empty, except the health check's service name. */
export const encodeEmpty = (): Buffer => EMPTY;

export function encodeHealthCheckRequest(request: { service: string }): Buffer {
  return encodeStringField(1, request.service);
}

export function decodeX509SvidResponse(bytes: Uint8Array): X509SVIDResponse__Output {
  const message: X509SVIDResponse__Output = { svids: [], crl: [], federated_bundles: {} };
  readFields(bytes, (field, wireType, reader) => {
    if (field === 1) message.svids.push(decodeX509Svid(bytesOf(reader, wireType)));
    else if (field === 2) message.crl.push(bytesOf(reader, wireType));
    else if (field === 3) addMapEntry(message.federated_bundles, bytesOf(reader, wireType));
    else return false;
    return true;
  });
  return message;
}

export function decodeX509BundlesResponse(bytes: Uint8Array): X509BundlesResponse__Output {
  const message: X509BundlesResponse__Output = { crl: [], bundles: {} };
  readFields(bytes, (field, wireType, reader) => {
    if (field === 1) message.crl.push(bytesOf(reader, wireType));
    else if (field === 2) addMapEntry(message.bundles, bytesOf(reader, wireType));
    else return false;
    return true;
  });
  return message;
}

export function decodeFetchConjurTokenResponse(bytes: Uint8Array): FetchConjurTokenResponse__Output {
  const message: FetchConjurTokenResponse__Output = { token: EMPTY, login: '', expires_at: '0', spiffe_id: '' };
  readFields(bytes, (field, wireType, reader) => {
    if (field === 1) message.token = bytesOf(reader, wireType);
    else if (field === 2) message.login = bytesOf(reader, wireType).toString('utf8');
    else if (field === 3) message.expires_at = BigInt.asIntN(64, varintOf(reader, wireType)).toString();
    else if (field === 4) message.spiffe_id = bytesOf(reader, wireType).toString('utf8');
    else return false;
    return true;
  });
  return message;
}

const SERVING_STATUS: Record<number, HealthStatus> = { 0: 'UNKNOWN', 1: 'SERVING', 2: 'NOT_SERVING', 3: 'SERVICE_UNKNOWN' };

export function decodeHealthCheckResponse(bytes: Uint8Array): { status: HealthStatus } {
  let status: HealthStatus = 'UNKNOWN';
  readFields(bytes, (field, wireType, reader) => {
    if (field !== 1) return false;
    // An enum value this client does not know reads as UNKNOWN: it is not SERVING either way.
    status = SERVING_STATUS[Number(varintOf(reader, wireType))] ?? 'UNKNOWN';
    return true;
  });
  return { status };
}

function decodeX509Svid(bytes: Uint8Array): X509SVID__Output {
  const svid: X509SVID__Output = { spiffe_id: '', x509_svid: EMPTY, x509_svid_key: EMPTY, bundle: EMPTY, hint: '' };
  readFields(bytes, (field, wireType, reader) => {
    if (field === 1) svid.spiffe_id = bytesOf(reader, wireType).toString('utf8');
    else if (field === 2) svid.x509_svid = bytesOf(reader, wireType);
    else if (field === 3) svid.x509_svid_key = bytesOf(reader, wireType);
    else if (field === 4) svid.bundle = bytesOf(reader, wireType);
    else if (field === 5) svid.hint = bytesOf(reader, wireType).toString('utf8');
    else return false;
    return true;
  });
  return svid;
}

/** A map<string, bytes> entry: key = 1, value = 2; a later entry for the same key wins. */
function addMapEntry(map: Record<string, Buffer>, entry: Uint8Array): void {
  let key = '';
  let value: Buffer = EMPTY;
  readFields(entry, (field, wireType, reader) => {
    if (field === 1) key = bytesOf(reader, wireType).toString('utf8');
    else if (field === 2) value = bytesOf(reader, wireType);
    else return false;
    return true;
  });
  map[key] = value;
}

/** Calls `onField` for each field; a field it does not take (returns false) is skipped. */
function readFields(bytes: Uint8Array, onField: (field: number, wireType: number, reader: WireReader) => boolean): void {
  const reader = new WireReader(bytes);
  for (let next = reader.nextField(); next; next = reader.nextField()) {
    if (!onField(next.field, next.wireType, reader)) reader.skip(next.wireType);
  }
}

function bytesOf(reader: WireReader, wireType: number): Buffer {
  reader.expect(wireType, 'bytes');
  return reader.bytesField();
}

function varintOf(reader: WireReader, wireType: number): bigint {
  reader.expect(wireType, 'varint');
  return reader.varint();
}
