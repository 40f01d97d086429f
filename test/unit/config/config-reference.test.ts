import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { configFields, configReference } from '../../../src/config/index.js';

const README = new URL('../../../README.md', import.meta.url);

describe('configReference', () => {
  const reference = configReference();
  const lines = reference.split('\n');

  it('is a Markdown table with one row per setting', () => {
    expect(lines[0]).toBe('| Setting | Environment | Type | Default | Description |');
    expect(lines[1]).toBe('| --- | --- | --- | --- | --- |');
    expect(lines).toHaveLength(configFields().length + 2);
    expect(lines.every((line) => line.startsWith('| ') && line.endsWith(' |'))).toBe(true);
  });

  it('names every setting with its environment variable and default', () => {
    expect(reference).toContain('| `conjur.applianceUrl` | `CONJUR_APPLIANCE_URL` | URL | **required** |');
    expect(reference).toContain('| `socketPath` |  | path | `/run/conjur-spiffe/agent.sock` |');
    expect(reference).toContain('| `kubelet.minRequestInterval` |  | duration | `500ms` |');
    expect(reference).toContain('| `log.debugComponents` |  | list of names | `[]` |');
    expect(reference).toContain('`https://$MY_NODE_IP:10250`');
  });

  it('escapes pipes so that types like ec-p256 | rsa-2048 stay in one cell', () => {
    expect(reference).toContain('ec-p256 \\| rsa-2048');
  });

  it('uses only the Conjur tooling and downward-API names for environment variables', () => {
    const names = configFields().flatMap((f) => (f.env === undefined ? [] : [f.env]));
    expect(names.every((name) => /^(CONJUR_|MY_)/.test(name))).toBe(true);
  });

  it('appears in the README once the README has a configuration section', () => {
    let readme: string;
    try {
      readme = readFileSync(README, 'utf8');
    } catch {
      return; // no README yet: the lead adds it
    }
    if (!/^#+ Configuration/m.test(readme)) return;
    expect(readme).toContain(reference);
  });
});
