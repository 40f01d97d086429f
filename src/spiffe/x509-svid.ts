import type { SpiffeId } from './spiffe-id.js';

/**
 * An X509-SVID as served: DER certificates (leaf first) and the PKCS#8 DER private key of the leaf.
 * Holders must never log `privateKey`. `hint` is operator-defined (here: the Conjur host id).
 */
export interface X509Svid {
  readonly id: SpiffeId;
  readonly certChain: readonly Buffer[];
  readonly privateKey: Buffer;
  readonly hint: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}
