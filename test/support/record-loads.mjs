// `node --import <this file>`: appends the URL of every ES module the process loads (and of
// each CommonJS package entry reached from one) to the file named by RECORD_LOADS_FILE, one a
// line, so a test can say which code a command pulled in. Test-only; see record-loads-hooks.mjs.
// CommonJS modules loaded with require (createRequire included, which the ES hooks never see)
// are added from the require cache when the process exits.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const file = process.env.RECORD_LOADS_FILE;
register('./record-loads-hooks.mjs', import.meta.url, { data: { file } });
if (file) {
  const cache = createRequire(import.meta.url).cache;
  process.on('exit', () => {
    const urls = Object.keys(cache).map((path) => pathToFileURL(path).href);
    if (urls.length > 0) appendFileSync(file, `${urls.join('\n')}\n`);
  });
}
