import { describe, expect, it } from '@jest/globals';
import { parseDurationMs } from '../../../src/async/index.js';

const cases: { text: string; ms: number | undefined }[] = [
  { text: '500ms', ms: 500 },
  { text: '30s', ms: 30_000 },
  { text: '5m', ms: 300_000 },
  { text: '1h30m', ms: 5_400_000 },
  { text: '1.5s', ms: 1_500 },
  { text: '6m0s', ms: 360_000 },
  { text: '0', ms: 0 },
  { text: '30', ms: undefined },
  { text: '', ms: undefined },
  { text: '5 m', ms: undefined },
  { text: '-5s', ms: undefined },
  { text: '5d', ms: undefined },
  { text: 's', ms: undefined },
];

describe('parseDurationMs', () => {
  for (const c of cases) {
    it(`reads ${JSON.stringify(c.text)} as ${String(c.ms)}`, () => {
      expect(parseDurationMs(c.text)).toBe(c.ms);
    });
  }
});
