/**
 * A certificate, CSR, key or PEM text could not be read or built.
 * - malformed: the bytes or text are not what they claim to be
 * - unsupported: a key type or algorithm this agent does not handle
 */
export type X509ErrorCode = 'malformed' | 'unsupported';

export class X509Error extends Error {
  override readonly name = 'X509Error';
  constructor(
    readonly code: X509ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
