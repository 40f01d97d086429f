import { describe, expect, it } from '@jest/globals';
import { Semaphore } from '../../../src/async/semaphore.js';

describe('Semaphore', () => {
  it('lets `limit` holders in and the rest in arrival order as slots free up', async () => {
    const semaphore = new Semaphore(2);
    const signal = new AbortController().signal;
    const order: number[] = [];
    const releases = await Promise.all([semaphore.acquire(signal), semaphore.acquire(signal)]);
    const third = semaphore.acquire(signal).then((r) => (order.push(3), r));
    const fourth = semaphore.acquire(signal).then((r) => (order.push(4), r));
    expect(semaphore.waiting).toBe(2);
    releases[0]!();
    releases[0]!();
    await third;
    expect(order).toEqual([3]);
    expect(semaphore.inUse).toBe(2);
    releases[1]!();
    (await fourth)();
    (await third)();
    expect(semaphore.inUse).toBe(0);
  });

  it('removes a waiter whose signal aborts, rejecting with the reason', async () => {
    const semaphore = new Semaphore(1);
    const release = await semaphore.acquire(new AbortController().signal);
    const controller = new AbortController();
    const waiting = semaphore.acquire(controller.signal);
    controller.abort(new Error('pod evicted'));
    await expect(waiting).rejects.toThrow('pod evicted');
    expect(semaphore.waiting).toBe(0);
    release();
    expect(semaphore.inUse).toBe(0);
  });

  it('refuses a limit below one', () => {
    expect(() => new Semaphore(0)).toThrow('semaphore limit must be a positive integer');
  });
});
