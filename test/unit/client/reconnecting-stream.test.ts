import { describe, expect, it } from '@jest/globals';
import { WorkloadApiError } from '../../../src/client/index.js';
import { ReconnectingStream } from '../../../src/client/reconnecting-stream.js';
import { FakeClock } from '../../fakes/fake-clock.js';

// Reconnection policy (go-spiffe's): retry Unavailable and PermissionDenied with backoff,
// never InvalidArgument; keep the last value while reconnecting.

type Attempt = { values: number[]; then: WorkloadApiError | 'hang' };

/** Each call of `open` plays the next scripted attempt. */
function scripted(attempts: Attempt[]): { open: (signal: AbortSignal) => AsyncGenerator<number>; opened: () => number } {
  let opened = 0;
  return {
    opened: () => opened,
    async *open(signal) {
      const attempt = attempts[opened++] ?? { values: [], then: 'hang' as const };
      for (const value of attempt.values) yield value;
      if (attempt.then === 'hang') await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      else throw attempt.then;
    },
  };
}

const backoff = { initialMs: 100, maxMs: 1000, jitter: 0 };

describe('ReconnectingStream', () => {
  it('reopens after Unavailable and PermissionDenied, keeping the last value meanwhile', async () => {
    const clock = new FakeClock();
    const errors: string[] = [];
    const script = scripted([
      { values: [1], then: new WorkloadApiError('unavailable', 'agent restarted') },
      { values: [], then: new WorkloadApiError('permission-denied', 'no identity issued') },
      { values: [2], then: 'hang' },
    ]);
    const stream = new ReconnectingStream(script.open, { clock, backoff, onError: (e) => errors.push(e.code) });
    expect(await stream.first()).toBe(1);
    await clock.advance(0);
    expect(stream.current()).toBe(1);
    await clock.advance(100); // attempt 0 after a message: initial delay
    await clock.advance(200); // second failure in a row: doubled
    expect(stream.current()).toBe(2);
    expect(script.opened()).toBe(3);
    expect(errors).toEqual(['unavailable', 'permission-denied']);
    await stream.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it('fails for good on InvalidArgument, without retrying', async () => {
    const clock = new FakeClock();
    const script = scripted([{ values: [], then: new WorkloadApiError('invalid-argument', 'security header missing from request') }]);
    const stream = new ReconnectingStream(script.open, { clock, backoff });
    await expect(stream.first()).rejects.toMatchObject({ code: 'invalid-argument' });
    await clock.advance(10_000);
    expect(script.opened()).toBe(1);
    expect(() => stream.current()).toThrow('security header missing from request');
    await stream.close();
  });

  it('treats a stream that ends cleanly as a failure to retry', async () => {
    const clock = new FakeClock();
    const errors: string[] = [];
    const stream = new ReconnectingStream(
      async function* () {
        yield* [7];
      },
      { clock, backoff, onError: (e) => errors.push(e.message) },
    );
    expect(await stream.first()).toBe(7);
    await clock.advance(0);
    expect(errors).toEqual(['the Workload API stream ended']);
    await stream.close();
  });

  it('rejects first() with a closed error when closed before any value', async () => {
    const stream = new ReconnectingStream(scripted([]).open, { clock: new FakeClock(), backoff });
    const first = stream.first();
    await stream.close();
    await expect(first).rejects.toMatchObject({ code: 'closed' });
    expect(() => stream.current()).toThrow('the source is closed');
  });

  it('tells update listeners about every new value', async () => {
    const clock = new FakeClock();
    const stream = new ReconnectingStream(scripted([{ values: [1, 2, 3], then: 'hang' }]).open, { clock, backoff });
    const seen: number[] = [];
    stream.onUpdate((value) => seen.push(value));
    await stream.first();
    await clock.advance(0);
    expect(seen).toEqual([1, 2, 3]);
    await stream.close();
  });

  it('updated() yields what arrived between the call and the first read, and not the value current at the call', async () => {
    const clock = new FakeClock();
    let push: (value: number) => void = () => undefined;
    const stream = new ReconnectingStream<number>(
      async function* (signal) {
        const queue: number[] = [1];
        let wake: () => void = () => undefined;
        push = (value) => {
          queue.push(value);
          wake();
        };
        while (!signal.aborted) {
          const next = queue.shift();
          if (next !== undefined) yield next;
          else await new Promise<void>((resolve) => {
            wake = resolve;
            signal.addEventListener('abort', () => resolve(), { once: true });
          });
        }
      },
      { clock, backoff },
    );
    await stream.first();
    const updates = stream.updated(new AbortController().signal)[Symbol.asyncIterator]();
    push(2);
    await clock.advance(0);
    expect((await updates.next()).value).toBe(2);
    await updates.return?.();
    await stream.close();
  });
});
