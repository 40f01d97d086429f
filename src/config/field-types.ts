import { isAbsolute } from 'node:path';
import { SpiffeIdError, TrustDomain } from '../spiffe/index.js';
import { DURATION_EXAMPLE, parseDurationMs } from '../async/index.js';
import { FieldValueError } from './field.js';
import type { FieldType } from './field.js';
import type { ListenAddress } from './agent-config.js';

// Value types of the configuration table. Each parse is strict and says what it expected and
// what it got, in one short clause; the caller prefixes the path and suffixes the origin.

/** The Unix socket path limit (sun_path is 108 bytes including the terminating NUL). */
const MAX_SOCKET_PATH_BYTES = 107;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function describeValue(raw: unknown): string {
  if (typeof raw === 'string') return JSON.stringify(raw.length > 60 ? `${raw.slice(0, 57)}...` : raw);
  if (Array.isArray(raw)) return 'a list';
  if (raw === null) return 'nothing';
  if (typeof raw === 'object') return 'a mapping';
  return `${typeof raw} ${String(raw)}`;
}

function fail(expected: string, raw: unknown): never {
  throw new FieldValueError(`expected ${expected}, got ${describeValue(raw)}`);
}

function textOf(raw: unknown, expected: string): string {
  if (typeof raw !== 'string' || raw.trim() === '') fail(expected, raw);
  return raw;
}

function typeOf<T>(name: string, parse: (raw: unknown) => T): FieldType<T> {
  return { name, parse };
}

export const text = typeOf('string', (raw) => textOf(raw, 'a non-empty string'));

export const dnsSubdomain = typeOf('DNS name', (raw) => {
  const value = textOf(raw, 'a Kubernetes object name');
  if (value.length > 253 || !DNS_SUBDOMAIN.test(value)) fail('a Kubernetes object name (lower case letters, digits, - and .)', raw);
  return value;
});

export const dnsLabel = typeOf('DNS label', (raw) => {
  const value = textOf(raw, 'a Kubernetes namespace name');
  if (value.length > 63 || !DNS_LABEL.test(value)) fail('a Kubernetes namespace name (lower case letters, digits and -)', raw);
  return value;
});

export const absolutePath = typeOf('path', (raw) => {
  const value = textOf(raw, 'an absolute path');
  if (!isAbsolute(value)) fail('an absolute path', raw);
  return value;
});

export const socketPath = typeOf('path', (raw) => {
  const value = absolutePath.parse(raw);
  if (Buffer.byteLength(value) > MAX_SOCKET_PATH_BYTES) {
    throw new FieldValueError(`is ${Buffer.byteLength(value)} bytes long; Unix socket paths are limited to ${MAX_SOCKET_PATH_BYTES}`);
  }
  return value;
});

/** An absolute URL with one of `schemes`, no query or fragment; returned without trailing slash. */
export function url(...schemes: readonly ('https' | 'http')[]): FieldType<string> {
  const expected = `an ${schemes.join(' or ')} URL`;
  return typeOf('URL', (raw) => {
    const value = textOf(raw, expected);
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      return fail(expected, raw);
    }
    if (!schemes.some((s) => parsed.protocol === `${s}:`)) fail(expected, raw);
    if (parsed.search !== '' || parsed.hash !== '' || parsed.username !== '') fail(`${expected} without query, fragment or user`, raw);
    return parsed.href.replace(/\/+$/, '');
  });
}

/** A bare 0 is the one number allowed: it means the same in every unit. */
export const durationMs = typeOf('duration', (raw) => {
  const value = raw === 0 ? 0 : typeof raw === 'string' ? parseDurationMs(raw) : undefined;
  if (value === undefined) fail(DURATION_EXAMPLE, raw);
  return value;
});

export const boolean = typeOf('boolean', (raw) => {
  if (typeof raw === 'boolean') return raw;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  return fail('true or false', raw);
});

export const positiveInteger = typeOf('integer', (raw) => {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1) fail('a whole number of at least 1', raw);
  return raw;
});

/** A number in [0, 1) (`allowZero`) or (0, 1). */
export function fraction(allowZero: boolean): FieldType<number> {
  const expected = allowZero ? 'a number from 0 up to (not including) 1' : 'a number between 0 and 1';
  return typeOf('number', (raw) => {
    if (typeof raw !== 'number' || raw >= 1 || raw < 0 || (!allowZero && raw === 0)) fail(expected, raw);
    return raw;
  });
}

export function oneOf<const T extends string>(...values: readonly T[]): FieldType<T> {
  const expected = `one of ${values.join(', ')}`;
  return typeOf(values.join(' | '), (raw) => {
    const found = values.find((v) => v === raw);
    if (found === undefined) fail(expected, raw);
    return found;
  });
}

export const listenAddress = typeOf('host:port', (raw): ListenAddress => {
  const expected = 'host:port such as 127.0.0.1:9090 or [::]:9090';
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(textOf(raw, expected));
  const port = Number(match?.[3]);
  if (match === null || port > 65535) fail(expected, raw);
  return { host: match[1] ?? match[2] ?? '', port };
});

/** Written as a quoted octal string: YAML reads an unquoted 0666 as the decimal number 666. */
export const fileMode = typeOf('octal mode', (raw) => {
  if (typeof raw !== 'string' || !/^0?[0-7]{3}$/.test(raw)) fail('a quoted octal mode such as "0666"', raw);
  return Number.parseInt(raw, 8);
});

export const trustDomain = typeOf('trust domain', (raw) => {
  const value = textOf(raw, 'a trust domain name such as cluster.local');
  try {
    return TrustDomain.parse(value);
  } catch (error) {
    if (error instanceof SpiffeIdError) throw new FieldValueError(error.message);
    throw error;
  }
});

export const componentNames = typeOf('list of names', (raw): readonly string[] => {
  const expected = 'a list of component names such as [kube, conjur]';
  const items = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()) : raw;
  if (!Array.isArray(items)) return fail(expected, raw);
  return items.map((item: unknown) => {
    if (typeof item !== 'string' || !/^[a-z][a-z0-9-]*$/.test(item)) fail(expected, item);
    return item;
  });
});

/** A duration that must be more than zero (timeouts). */
export const positiveDurationMs = typeOf('duration', (raw) => {
  const value = durationMs.parse(raw);
  if (value <= 0) fail(`${DURATION_EXAMPLE}, more than zero`, raw);
  return value;
});
