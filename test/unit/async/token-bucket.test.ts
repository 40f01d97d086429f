import { describe, expect, it } from '@jest/globals';
import { TokenBucket } from '../../../src/async/index.js';

describe('TokenBucket', () => {
  it('allows a burst, then refuses until time refills it', () => {
    const bucket = new TokenBucket(3, 2, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false]);
    expect(bucket.take(499)).toBe(false);
    expect(bucket.take(500)).toBe(true); // 2 a second: one token every 500 ms
    expect(bucket.take(500)).toBe(false);
  });

  it('never holds more than its burst, however long it rested', () => {
    const bucket = new TokenBucket(5, 100, 0);
    expect(bucket.available(60_000)).toBe(5);
  });

  it('refills from nothing once emptied, as of the time it was emptied', () => {
    const bucket = new TokenBucket(5, 2, 0);
    bucket.empty(1_000);
    expect(bucket.available(1_000)).toBe(0);
    expect(bucket.available(1_499)).toBe(0);
    expect(bucket.available(1_500)).toBe(1);
  });

  it('lets a steady rate below its refill rate go on forever', () => {
    const bucket = new TokenBucket(10, 33, 0);
    for (let i = 0; i < 10_000; i++) expect(bucket.take(i * 40)).toBe(true); // 25 a second
  });
});
