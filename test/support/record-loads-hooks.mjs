// Module hooks for record-loads.mjs. They run on the loader's own thread; a synchronous append
// per module keeps the list complete even when the process exits straight after.
import { appendFileSync } from 'node:fs';

let file;

export function initialize(data) {
  file = data?.file;
}

export async function load(url, context, nextLoad) {
  if (file) appendFileSync(file, `${url}\n`);
  return nextLoad(url, context);
}
