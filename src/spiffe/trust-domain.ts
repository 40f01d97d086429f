import { SpiffeIdError } from './spiffe-error.js';

const TRUST_DOMAIN_CHARS = /^[a-z0-9._-]+$/;
const MAX_TRUST_DOMAIN_BYTES = 255;

/** A SPIFFE trust domain name, validated by the SPIFFE-ID standard (lowercase, no port or userinfo). */
export class TrustDomain {
  private constructor(readonly name: string) {}

  /** Accepts `example.org` or `spiffe://example.org`, as go-spiffe does. */
  static parse(text: string): TrustDomain {
    const name = text.startsWith('spiffe://') ? text.slice('spiffe://'.length) : text;
    if (name === '') throw new SpiffeIdError('trust domain is missing');
    if (name.length > MAX_TRUST_DOMAIN_BYTES) throw new SpiffeIdError('trust domain is longer than 255 bytes');
    if (!TRUST_DOMAIN_CHARS.test(name)) {
      throw new SpiffeIdError('trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores');
    }
    return new TrustDomain(name);
  }

  /** The trust domain's SPIFFE ID, `spiffe://<name>`: the key of bundle maps on the wire. */
  idString(): string {
    return `spiffe://${this.name}`;
  }

  equals(other: TrustDomain): boolean {
    return this.name === other.name;
  }

  toString(): string {
    return this.name;
  }
}
