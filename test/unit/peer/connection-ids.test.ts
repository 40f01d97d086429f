import { describe, expect, it } from '@jest/globals';
import { ConnectionIds } from '../../../src/peer/index.js';

describe('ConnectionIds', () => {
  it('gives unique ids without ":" (they are reported back by call.getPeer())', () => {
    const ids = new ConnectionIds();
    const issued = Array.from({ length: 1000 }, () => ids.next());
    expect(new Set(issued).size).toBe(1000);
    expect(issued.every((id) => !id.includes(':'))).toBe(true);
  });
});
