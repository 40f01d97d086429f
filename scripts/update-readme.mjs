// Regenerates the README's configuration reference from the config field table (the single
// source of truth): npm run build first. The config test fails when the README is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { configReference } from '../dist/src/config/index.js';

const README = new URL('../README.md', import.meta.url);
const text = readFileSync(README, 'utf8');
const start = '<!-- config-reference:start -->';
const end = '<!-- config-reference:end -->';
const before = text.slice(0, text.indexOf(start) + start.length);
const after = text.slice(text.indexOf(end));
writeFileSync(README, `${before}\n${configReference()}\n${after}`);
