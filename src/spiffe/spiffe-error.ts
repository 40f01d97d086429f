/** A SPIFFE ID or trust domain broke a rule of the SPIFFE-ID standard; the message names the rule. */
export class SpiffeIdError extends Error {
  override readonly name = 'SpiffeIdError';
}
