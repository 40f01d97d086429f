/** What the SDS service reports for metrics; the composition root wires it to counters. */
export interface SdsObserver {
  /** A response was sent: `request` answers a subscription, `update` pushes a renewal or bundle change. */
  pushed(trigger: 'request' | 'update'): void;
  /** The client rejected a response (an xDS NACK). */
  nacked(): void;
}
