import { describe, expect, it } from '@jest/globals';
import { backoffDelayMs, LatestValue, SingleFlight, sleep } from '../../../src/async/index.js';

describe('LatestValue', () => {
  it('gives a subscriber the current value first, then only the newest of quick changes', async () => {
    const value = new LatestValue<number>(1);
    const stop = new AbortController();
    const seen: number[] = [];
    const reading = (async () => {
      for await (const v of value.subscribe(stop.signal)) {
        seen.push(v);
        if (v === 3) stop.abort();
      }
    })();
    await Promise.resolve();
    value.set(2);
    value.set(3);
    await reading;
    expect(seen[0]).toBe(1);
    expect(seen.at(-1)).toBe(3);
    expect(value.subscriberCount).toBe(0);
  });

  it('ends every subscription with the failure', async () => {
    const value = new LatestValue<number>();
    const reading = (async () => {
      for await (const _ of value.subscribe(new AbortController().signal)) void _;
    })();
    value.fail(new Error('gone'));
    await expect(reading).rejects.toThrow('gone');
  });
});

describe('SingleFlight', () => {
  it('runs one call per key while callers wait, then allows the next', async () => {
    const flight = new SingleFlight<string, number>();
    let runs = 0;
    let release!: () => void;
    const work = () => new Promise<number>((resolve) => (release = () => resolve(++runs)));
    const waiting = Array.from({ length: 50 }, () => flight.run('pod', work));
    expect(flight.size).toBe(1);
    release();
    expect(new Set(await Promise.all(waiting))).toEqual(new Set([1]));
    const again = flight.run('pod', work);
    release();
    expect(await again).toBe(2);
  });
});

describe('backoffDelayMs', () => {
  it('grows exponentially, stays within the jitter band and the maximum', () => {
    const options = { initialMs: 100, maxMs: 1000, jitter: 0.5 };
    expect(backoffDelayMs(0, options, () => 0)).toBe(50);
    expect(backoffDelayMs(0, options, () => 1)).toBe(150);
    expect(backoffDelayMs(3, options, () => 0.5)).toBe(800);
    expect(backoffDelayMs(10, options, () => 0.5)).toBe(1000);
  });
});

describe('sleep', () => {
  it('rejects with the reason as soon as the signal aborts', async () => {
    const stop = new AbortController();
    const waiting = sleep(60_000, stop.signal);
    stop.abort(new Error('stopping'));
    await expect(waiting).rejects.toThrow('stopping');
  });
});
