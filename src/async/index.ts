// Concurrency and time primitives. Only clock.ts touches Date.now()/setTimeout.
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';
export { sleep } from './sleep.js';
export { backoffDelayMs } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { SingleFlight } from './single-flight.js';
export { LatestValue } from './latest-value.js';
export { parseDurationMs, DURATION_EXAMPLE } from './duration.js';
export { TokenBucket } from './token-bucket.js';
export { Semaphore } from './semaphore.js';
