import { describe, expect, it } from '@jest/globals';
import { formatDuration, parseDuration, parsePositiveDuration } from '../../../src/cli/index.js';

const valid = [
  { given: '30s', expect: 30_000 },
  { given: '2m', expect: 120_000 },
  { given: '1h', expect: 3_600_000 },
  { given: '500ms', expect: 500 },
  { given: '1h30m', expect: 5_400_000 },
  { given: '1.5s', expect: 1500 },
  { given: '0s', expect: 0 },
];

const invalid = ['30', '', 's', '2 m', '1d', '-5s', '5sec', 'm5'];

describe('parseDuration', () => {
  for (const c of valid) {
    it(`reads ${c.given} as ${c.expect} ms`, () => {
      expect(parseDuration(c.given)).toBe(c.expect);
    });
  }
  for (const text of invalid) {
    it(`refuses ${JSON.stringify(text)} with a message showing the syntax`, () => {
      expect(() => parseDuration(text)).toThrow(/30s/);
    });
  }

  it('refuses zero where a positive duration is needed', () => {
    expect(() => parsePositiveDuration('0s')).toThrow('"0s" must be longer than zero');
  });

  it('formats durations back for messages', () => {
    expect(formatDuration(5000)).toBe('5s');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(250)).toBe('250ms');
  });
});
