// Lets `node --import <this file> x.ts` run this repository's TypeScript, for the bench's child
// processes when the bench itself runs under jest (the smoke test): Node 20 cannot strip types.
// Like ts-jest here, it transpiles only; `tsc --noEmit` is what type-checks.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
