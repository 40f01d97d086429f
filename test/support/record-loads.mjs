// `node --import <this file>`: appends the URL of every ES module the process loads (and of
// each CommonJS package entry reached from one) to the file named by RECORD_LOADS_FILE, one a
// line, so a test can say which code a command pulled in. Test-only; see record-loads-hooks.mjs.
import { register } from 'node:module';

register('./record-loads-hooks.mjs', import.meta.url, { data: { file: process.env.RECORD_LOADS_FILE } });
