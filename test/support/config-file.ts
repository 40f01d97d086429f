import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ConfigOverrides } from '../../src/config/index.js';

// The agent's configuration file (`run --config FILE`) from the dotted paths tests override
// settings with: what a platform engineer would write by hand.

/** `{ 'kubelet.url': u }` as the file's nested mappings: `{ kubelet: { url: u } }`. */
export function nestSettings(overrides: ConfigOverrides): Record<string, unknown> {
  const tree: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(overrides)) {
    const keys = path.split('.');
    let node = tree;
    for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[keys[keys.length - 1]!] = value;
  }
  return tree;
}

/** Writes `overrides` as `DIR/agent.yaml` and returns its path. */
export function writeConfigFile(dir: string, overrides: ConfigOverrides): string {
  const file = join(dir, 'agent.yaml');
  writeFileSync(file, stringify(nestSettings(overrides)));
  return file;
}
