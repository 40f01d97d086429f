import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { createJsonLogger, logProcessWarnings } from '../../../src/log/index.js';

// The agent's standard error carries JSON lines only: a process warning (Node 24 prints one at
// every start, DEP0169 from client-node's watch) becomes a log record instead of Node's text.

function capture(): { lines: Record<string, unknown>[]; destination: Writable } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, destination };
}

function warning(name: string, message: string, code?: string): Error {
  return Object.assign(new Error(message), { name, ...(code ? { code } : {}) });
}

describe('logProcessWarnings', () => {
  it("replaces Node's printer: a deprecation is logged at debug, any other warning at warn", () => {
    const { lines, destination } = capture();
    const processLike = new EventEmitter();
    const printed: Error[] = [];
    processLike.on('warning', (w: Error) => printed.push(w));
    logProcessWarnings(createJsonLogger({ level: 'debug', destination }), processLike);
    processLike.emit('warning', warning('DeprecationWarning', '`url.parse()` behavior is not standardized', 'DEP0169'));
    processLike.emit('warning', warning('MaxListenersExceededWarning', 'Possible EventEmitter memory leak detected'));
    expect(printed).toEqual([]);
    expect(lines.map(({ level, component, msg, name, code, reason }) => ({ level, component, msg, name, code, reason }))).toEqual([
      { level: 'debug', component: 'process', msg: 'Node.js deprecation warning', name: 'DeprecationWarning', code: 'DEP0169', reason: '`url.parse()` behavior is not standardized' },
      { level: 'warn', component: 'process', msg: 'Node.js process warning', name: 'MaxListenersExceededWarning', code: undefined, reason: 'Possible EventEmitter memory leak detected' },
    ]);
  });

  it('keeps deprecations out of an info log, and gives the printer back when undone', () => {
    const { lines, destination } = capture();
    const processLike = new EventEmitter();
    const printed: Error[] = [];
    processLike.on('warning', (w: Error) => printed.push(w));
    const undo = logProcessWarnings(createJsonLogger({ level: 'info', destination }), processLike);
    processLike.emit('warning', warning('DeprecationWarning', 'old API', 'DEP0001'));
    expect(lines).toEqual([]);
    undo();
    processLike.emit('warning', warning('Warning', 'after'));
    expect(printed.map((w) => w.message)).toEqual(['after']);
    expect(lines).toEqual([]);
  });
});
