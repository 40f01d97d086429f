import { parseCertificateDer, parsePemCertificates } from '../x509/index.js';
import { FieldValueError } from './field.js';
import type { FieldType } from './field.js';
import { text } from './field-types.js';

// Value types with Conjur's own rules (conjur-authn-k8s-protocol.md §3): host ids start with
// `host/`, and no segment may hold a dot, because the certificate CN maps every dot to a slash.

export const LOGIN_PLACEHOLDERS = ['serviceId', 'namespace', 'serviceAccount', 'podName'] as const;

function dottedSegment(login: string): string | undefined {
  return login.split('/').find((segment) => segment.includes('.'));
}

export const hostLogin: FieldType<string> = {
  name: 'host id',
  parse(raw) {
    const value = text.parse(raw);
    if (!/^host\/[^/]/.test(value) || value.endsWith('/')) throw new FieldValueError(`expected a host id such as host/apps/my-app, got ${JSON.stringify(value)}`);
    const dotted = dottedSegment(value);
    if (dotted !== undefined) throw new FieldValueError(`segment "${dotted}" contains a dot, which Conjur turns into a slash`);
    return value;
  },
};

export const loginTemplate: FieldType<string> = {
  name: 'host id template',
  parse(raw) {
    const value = text.parse(raw);
    if (!value.startsWith('host/')) throw new FieldValueError(`expected a template starting with host/, got ${JSON.stringify(value)}`);
    const unknown = [...value.matchAll(/\{([^}]*)\}/g)].map((m) => m[1] ?? '').filter((name) => !(LOGIN_PLACEHOLDERS as readonly string[]).includes(name));
    if (unknown.length > 0) throw new FieldValueError(`unknown placeholder {${unknown[0]}}; use ${LOGIN_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`);
    const literal = value.replace(/\{[^}]*\}/g, 'x');
    if (/[{}]/.test(literal)) throw new FieldValueError('has an unmatched { or }');
    const dotted = dottedSegment(literal);
    if (dotted !== undefined) throw new FieldValueError(`segment "${dotted}" contains a dot, which Conjur turns into a slash`);
    return value;
  },
};

/** An account or service id: it becomes one URL path segment. */
export const pathSegment: FieldType<string> = {
  name: 'string',
  parse(raw) {
    const value = text.parse(raw);
    if (/[/:\s]/.test(value)) throw new FieldValueError(`expected a name without /, : or spaces, got ${JSON.stringify(value)}`);
    return value;
  },
};

/** PEM text holding at least one certificate, each of which must parse. */
export const pemCertificates: FieldType<string> = {
  name: 'PEM',
  parse(raw) {
    const value = text.parse(raw);
    try {
      parsePemCertificates(value).forEach((der) => parseCertificateDer(der));
    } catch (error) {
      throw new FieldValueError(`expected PEM certificates (${error instanceof Error ? error.message : String(error)})`);
    }
    return value;
  },
};
