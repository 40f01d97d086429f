import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../../src/config/index.js';
import type { ConfigOverrides, Environment } from '../../../src/config/index.js';
import { createNodeLayout } from './node-layout.js';
import type { NodeLayout } from './node-layout.js';

// Each bad configuration gives exactly one clear line per problem, naming the setting, what is
// wrong, how to fix it, and where the bad value came from.

let node: NodeLayout;
beforeAll(async () => {
  node = await createNodeLayout();
});
afterAll(() => node.remove());

interface Case {
  name: string;
  /** YAML appended to the layout's valid file (indented lines land in the conjur section). */
  yaml?: string;
  /** The whole file instead of the layout's. */
  wholeFile?: string;
  env?: Environment;
  overrides?: ConfigOverrides;
  /** `{file}` stands for the file's path, `{root}` for the layout's root. */
  expect: string[];
}

const cases: Case[] = [
  {
    name: 'refuses two SDS resource names that are the same, and one shaped like a SPIFFE ID',
    overrides: { 'sds.defaultBundleName': 'default', 'sds.defaultAllBundlesName': 'spiffe://cluster.local' },
    expect: [
      'sds.defaultBundleName: is "default", the same as sds.defaultSvidName',
      'sds.defaultAllBundlesName: must not start with spiffe:// (SPIFFE IDs and trust domain IDs already name their own secrets)',
    ],
  },
  {
    name: 'refuses NODE_TLS_REJECT_UNAUTHORIZED=0, which would turn off the API server check in the watch',
    env: { NODE_TLS_REJECT_UNAUTHORIZED: '0' },
    expect: [
      "NODE_TLS_REJECT_UNAUTHORIZED: is '0', which would turn off the check of the API server's certificate in client-node's watch; unset it (only the kubelet's check may be skipped, with kubelet.insecureSkipTlsVerify)",
    ],
  },
  {
    name: 'names the missing Conjur URL and both ways to set it',
    env: { CONJUR_APPLIANCE_URL: undefined },
    expect: ['conjur.applianceUrl: missing (set CONJUR_APPLIANCE_URL or conjur.applianceUrl)'],
  },
  {
    name: 'names an unreadable Conjur certificate file and the variable that pointed at it',
    env: { CONJUR_SSL_CERTIFICATE: undefined, CONJUR_CERT_FILE: '{root}/missing.pem' },
    expect: ['conjur.certFile: cannot read {root}/missing.pem (no such file) (from CONJUR_CERT_FILE)'],
  },
  {
    name: 'refuses an inline certificate that is not PEM',
    env: { CONJUR_SSL_CERTIFICATE: 'not a certificate' },
    expect: ['conjur.sslCertificate: expected PEM certificates (no PEM certificate found) (from CONJUR_SSL_CERTIFICATE)'],
  },
  {
    name: 'reports malformed YAML with its line and column',
    wholeFile: 'socketPath: /run/x.sock\nkubelet:\n  url: [https://a\nlog: {}\n',
    expect: ['{file}: malformed YAML at line 4, column 1: flow sequence in block collection must be sufficiently indented and end with a ]'],
  },
  {
    name: 'reports a key given twice',
    wholeFile: 'nodeName: a\nnodeName: b\n',
    expect: ['{file}: malformed YAML at line 2, column 1: map keys must be unique'],
  },
  {
    name: 'rejects an unknown key by name and suggests the near miss',
    yaml: 'kubelett:\n  url: https://10.0.0.7:10250\n',
    expect: ['kubelett: unknown key; did you mean kubelet? ({file} line 12)'],
  },
  {
    name: 'rejects a duration key written with the Ms suffix of the code',
    yaml: '  injectTimeoutMs: 10s\n',
    expect: ['conjur.injectTimeoutMs: unknown key; did you mean conjur.injectTimeout? ({file} line 12)'],
  },
  {
    name: 'rejects an unknown key without a far-fetched suggestion',
    yaml: '  colour: blue\n',
    expect: ['conjur.colour: unknown key ({file} line 12)'],
  },
  {
    name: 'names a socket directory that does not exist',
    overrides: { socketPath: '{root}/absent/agent.sock' },
    expect: ['socketPath: directory {root}/absent does not exist (the DaemonSet mounts it from the host) (from the command line)'],
  },
  {
    name: 'explains that an octal mode must be quoted',
    yaml: 'socketMode: 0666\n',
    expect: ['socketMode: expected a quoted octal mode such as "0666", got number 666 ({file} line 12)'],
  },
  {
    name: 'refuses a duration without a unit',
    yaml: '  requestTimeout: 30\n',
    expect: ['conjur.requestTimeout: expected a duration such as 500ms, 30s, 5m or 1h30m, got number 30 ({file} line 12)'],
  },
  {
    name: 'refuses an authenticator URL that is not an authn-k8s one',
    env: { CONJUR_AUTHN_URL: 'https://conjur.example.com/authn-jwt/x' },
    expect: ['conjur.authnUrl: expected a URL ending in /authn-k8s/<service id>, got "https://conjur.example.com/authn-jwt/x" (from CONJUR_AUTHN_URL)'],
  },
  {
    name: 'refuses a service id that contradicts the authenticator URL',
    yaml: '  serviceId: prod\n',
    expect: ['conjur.serviceId: is "prod" but conjur.authnUrl names service "dev-cluster" (from CONJUR_AUTHN_URL)'],
  },
  {
    name: 'refuses a host id with a dotted segment, which Conjur would turn into a slash',
    env: { CONJUR_AUTHN_LOGIN: 'host/spiffe/agent.v2' },
    expect: ['conjur.authnLogin: segment "agent.v2" contains a dot, which Conjur turns into a slash (from CONJUR_AUTHN_LOGIN)'],
  },
  {
    name: 'refuses an unknown placeholder in the default login template',
    yaml: '  defaultLoginTemplate: host/apps/{namespace}/{deployment}\n',
    expect: ['conjur.defaultLoginTemplate: unknown placeholder {deployment}; use {serviceId}, {namespace}, {serviceAccount}, {podName} ({file} line 12)'],
  },
  {
    name: 'refuses plain http to the kubelet unless the read-only port is chosen',
    overrides: { 'kubelet.url': 'http://10.0.0.7:10255' },
    expect: ['kubelet.url: plain http is only for the read-only port: set kubelet.readOnlyPort: true or use https (from the command line)'],
  },
  {
    name: 'refuses a MY_NODE_IP that is not an address',
    env: { MY_NODE_IP: 'node-1.local' },
    expect: ['kubelet.url: MY_NODE_IP is not an IP address: "node-1.local" (set it from status.hostIP)'],
  },
  {
    name: 'says how to reach the API server outside a cluster',
    env: { KUBERNETES_SERVICE_HOST: undefined },
    expect: ['kubernetes.apiServerUrl: missing: not in a cluster (set KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, kubernetes.apiServerUrl, or kubernetes.kubeconfig)'],
  },
  {
    name: 'refuses health and metrics on the same port',
    yaml: 'metrics:\n  listen: 0.0.0.0:8080\n',
    expect: ['health.listen: uses port 8080, which metrics.listen already uses'],
  },
  {
    name: 'refuses a token refresh margin longer than the token lives',
    yaml: '  tokenRefreshBeforeExpiry: 9m\n',
    expect: ['conjur.tokenRefreshBeforeExpiry: must be shorter than the 8-minute lifetime of Conjur access tokens'],
  },
  {
    name: 'refuses a longest early-reset refusal shorter than the first',
    overrides: { 'limits.earlyResetBackoff': '10s', 'limits.earlyResetBackoffMax': '5s' },
    expect: ['limits.earlyResetBackoffMax: must not be shorter than limits.earlyResetBackoff (10000 ms)'],
  },
  {
    name: 'refuses a section written as a single value',
    yaml: 'log: debug\n',
    expect: ['log: expected a mapping of settings, got "debug" ({file} line 12)'],
  },
  {
    name: 'names an unreadable kubelet token file',
    overrides: { 'kubelet.tokenFile': '{root}/no-token' },
    expect: ['kubelet.tokenFile: cannot read {root}/no-token (no such file) (from the command line)'],
  },
];

function run(c: Case): { code: string; lines: string[]; file: string } {
  const expand = (text: string): string => text.replaceAll('{root}', node.root);
  const file = node.writeFile(`case-${cases.indexOf(c)}.yaml`, c.wholeFile ?? node.fileText(c.yaml));
  const env = Object.fromEntries(Object.entries({ ...node.env, ...c.env }).map(([k, v]) => [k, v === undefined ? v : expand(v)]));
  const overrides = Object.fromEntries(Object.entries(c.overrides ?? {}).map(([k, v]) => [k, typeof v === 'string' ? expand(v) : v]));
  try {
    loadConfig({ env, file, overrides });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { code: error.code, lines: error.lines(), file };
  }
  throw new Error('the configuration was accepted');
}

describe('loadConfig with a bad configuration', () => {
  for (const c of cases) {
    it(c.name, () => {
      const { lines, file } = run(c);
      expect(lines).toEqual(c.expect.map((line) => line.replaceAll('{file}', file).replaceAll('{root}', node.root)));
    });
  }

  it('reports every problem at once, not only the first', () => {
    const file = node.writeFile('many.yaml', 'socketPath: /nowhere/agent.sock\nkubelet:\n  minRequestInterval: soon\nconjur:\n  keyType: dsa\n  certFile: /nowhere/conjur.pem\nbogus: 1\n');
    let error: unknown;
    try {
      loadConfig({ env: { MY_POD_NAME: 'p', MY_POD_NAMESPACE: 'ns', KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, file });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const lines = (error as ConfigError).lines();
    expect(lines).toEqual(
      expect.arrayContaining([
        `bogus: unknown key (${file} line 7)`,
        'nodeName: missing (set MY_NODE_NAME or nodeName)',
        `kubelet.minRequestInterval: expected a duration such as 500ms, 30s, 5m or 1h30m, got "soon" (${file} line 3)`,
        'conjur.applianceUrl: missing (set CONJUR_APPLIANCE_URL or conjur.applianceUrl)',
        'conjur.account: missing (set CONJUR_ACCOUNT or conjur.account)',
        'conjur.authnLogin: missing (set CONJUR_AUTHN_LOGIN or conjur.authnLogin)',
        `conjur.keyType: expected one of ec-p256, rsa-2048, got "dsa" (${file} line 5)`,
        `conjur.certFile: cannot read /nowhere/conjur.pem (no such file) (${file} line 6)`,
        `socketPath: directory /nowhere does not exist (the DaemonSet mounts it from the host) (${file} line 1)`,
      ]),
    );
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines.every((line) => !line.includes('\n'))).toBe(true);
  });

  it('says so in one line when the configuration file cannot be read', () => {
    const file = join(node.root, 'no-such.yaml');
    expect(() => loadConfig({ env: node.env, file })).toThrow(expect.objectContaining({ code: 'unreadable', message: `invalid configuration: ${file}: cannot read the configuration file (no such file)` }));
  });

  it('marks malformed YAML with its own code so the caller can tell syntax from settings', () => {
    const named = (prefix: string): Case => cases.find((c) => c.name.startsWith(prefix))!;
    expect(run(named('reports malformed YAML')).code).toBe('malformed');
    expect(run(named('names the missing Conjur URL')).code).toBe('invalid');
  });
});
