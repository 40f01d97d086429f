import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { validateConfigFile } from '../../../src/config/index.js';
import { createNodeLayout } from './node-layout.js';
import type { NodeLayout } from './node-layout.js';

let node: NodeLayout;
beforeAll(async () => {
  node = await createNodeLayout();
});
afterAll(() => node.remove());

describe('validateConfigFile', () => {
  it('returns no lines for a valid file', () => {
    expect(validateConfigFile(node.writeFile('ok.yaml', node.fileText()), node.env)).toEqual([]);
  });

  it('returns one line per problem, as the agent would report them at start', () => {
    const file = node.writeFile('bad.yaml', node.fileText('  keyType: ed25519\nlog:\n  level: loud\n'));
    expect(validateConfigFile(file, { ...node.env, CONJUR_ACCOUNT: undefined })).toEqual([
      'log.level: expected one of debug, info, warn, error, got "loud" (' + file + ' line 14)',
      'conjur.account: missing (set CONJUR_ACCOUNT or conjur.account)',
      'conjur.keyType: expected one of ec-p256, rsa-2048, got "ed25519" (' + file + ' line 12)',
    ]);
  });

  it('reports a file that cannot be read', () => {
    expect(validateConfigFile(`${node.root}/absent.yaml`, node.env)).toEqual([`${node.root}/absent.yaml: cannot read the configuration file (no such file)`]);
  });
});
