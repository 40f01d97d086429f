import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { readProcessStartTime } from '../../../src/peer/index.js';
import { parseEffectiveIds, parseStartTime } from '../../../src/peer/proc-stat.js';

// Fields 3..21 of a real stat line, then starttime (field 22) = 987654, then the rest.
const tail = 'S 1 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 1000 10 18446744073709551615';

describe('parseStartTime', () => {
  const cases = [
    { name: 'reads field 22 of a plain line', given: `42 (node) ${tail}`, expect: 987654 },
    { name: 'counts fields after the last ")" when the name has spaces and parentheses', given: `42 (a) b (c) d) ${tail}`, expect: 987654 },
    { name: 'rejects a line without a command name', given: `42 node ${tail}`, expect: undefined },
    { name: 'rejects a truncated line', given: '42 (node) S 1 1', expect: undefined },
  ];
  for (const c of cases) it(c.name, () => expect(parseStartTime(c.given)).toBe(c.expect));
});

describe('parseEffectiveIds', () => {
  const cases = [
    { name: 'takes the effective (second) ids', given: 'Name:\tx\nUid:\t1000\t65534\t1000\t1000\nGid:\t100\t200\t100\t100\n', expect: { uid: 65534, gid: 200 } },
    { name: 'fails without a Gid line', given: 'Uid:\t1\t2\t3\t4\n', expect: undefined },
    { name: 'fails on a malformed Uid line', given: 'Uid:\tx\nGid:\t1\t2\t3\t4\n', expect: undefined },
  ];
  for (const c of cases) it(c.name, () => expect(parseEffectiveIds(c.given)).toEqual(c.expect));
});

describe('readProcessStartTime', () => {
  it('reads the start time of a live process', () => {
    expect(readProcessStartTime(process.pid)).toBe(parseStartTime(readFileSync('/proc/self/stat', 'utf8')));
  });

  it('answers undefined for a process that does not exist', () => {
    expect(readProcessStartTime(2 ** 22 + 7)).toBeUndefined();
  });
});
