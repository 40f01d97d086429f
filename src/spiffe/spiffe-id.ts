import { SpiffeIdError } from './spiffe-error.js';
import { TrustDomain } from './trust-domain.js';

const SEGMENT_CHARS = /^[a-zA-Z0-9._-]+$/;
const MAX_ID_BYTES = 2048;

/** A SPIFFE ID with a non-root path, as every SVID's ID must be. Immutable. */
export class SpiffeId {
  private constructor(
    readonly trustDomain: TrustDomain,
    readonly path: string,
  ) {}

  static parse(text: string): SpiffeId {
    if (!text.startsWith('spiffe://')) throw new SpiffeIdError('scheme is missing or invalid');
    const rest = text.slice('spiffe://'.length);
    const slash = rest.indexOf('/');
    const trustDomain = TrustDomain.parse(slash < 0 ? rest : rest.slice(0, slash));
    const path = slash < 0 ? '' : rest.slice(slash);
    return SpiffeId.fromPath(trustDomain, path);
  }

  /** Builds `spiffe://<td>/<segments...>`, validating each segment. */
  static fromSegments(trustDomain: TrustDomain, ...segments: string[]): SpiffeId {
    return SpiffeId.fromPath(trustDomain, segments.map((s) => `/${s}`).join(''));
  }

  private static fromPath(trustDomain: TrustDomain, path: string): SpiffeId {
    if (path === '') throw new SpiffeIdError('path is empty: an SVID needs a non-root SPIFFE ID');
    for (const segment of path.slice(1).split('/')) checkSegment(segment);
    const id = new SpiffeId(trustDomain, path);
    if (Buffer.byteLength(id.toString()) > MAX_ID_BYTES) throw new SpiffeIdError('SPIFFE ID is longer than 2048 bytes');
    return id;
  }

  /** Path segments without the leading slash: `/namespace/ns/podname/p` → ['namespace','ns','podname','p']. */
  segments(): string[] {
    return this.path.slice(1).split('/');
  }

  equals(other: SpiffeId): boolean {
    return this.toString() === other.toString();
  }

  toString(): string {
    return `spiffe://${this.trustDomain.name}${this.path}`;
  }
}

function checkSegment(segment: string): void {
  if (segment === '') throw new SpiffeIdError('path cannot contain empty segments or a trailing slash');
  if (segment === '.' || segment === '..') throw new SpiffeIdError('path cannot contain dot segments');
  if (!SEGMENT_CHARS.test(segment)) {
    throw new SpiffeIdError('path segment characters are limited to letters, numbers, dots, dashes, and underscores');
  }
}
