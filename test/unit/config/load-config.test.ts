import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../src/config/index.js';
import { createNodeLayout } from './node-layout.js';
import type { NodeLayout } from './node-layout.js';

let node: NodeLayout;
let file: string;

beforeAll(async () => {
  node = await createNodeLayout();
  file = node.writeFile('agent.yaml', node.fileText());
});
afterAll(() => node.remove());

describe('loadConfig', () => {
  it('fills every unset setting with its documented default', () => {
    const config = loadConfig({ env: node.env, file });
    expect(config.trustDomain.name).toBe('cluster.local');
    expect(config.socketMode).toBe(0o666);
    expect(config.kubelet).toMatchObject({ readOnlyPort: false, insecureSkipTlsVerify: false, minRequestIntervalMs: 500, newContainerWaitMs: 10_000, requestTimeoutMs: 10_000 });
    expect(config.conjur).toMatchObject({ keyType: 'ec-p256', injectTimeoutMs: 10_000, tokenRefreshBeforeExpiryMs: 120_000, maxConcurrentIssuances: 8, defaultLoginTemplate: undefined });
    expect(config.svid).toEqual({ renewAtFraction: 0.5, renewJitterFraction: 0.1 });
    expect(config.sds).toEqual({ defaultSvidName: 'default', defaultBundleName: 'ROOTCA', defaultAllBundlesName: 'ALL', disableSpiffeCertValidation: false });
    expect(config.metrics.listen).toEqual({ host: '127.0.0.1', port: 9090 });
    expect(config.health.listen).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(config.log).toEqual({ level: 'info', debugComponents: [] });
    expect(config.shutdownGraceMs).toBe(10_000);
  });

  it('takes identity and Conjur settings from the Conjur tooling and downward-API variables', () => {
    const config = loadConfig({ env: node.env, file });
    expect(config).toMatchObject({ nodeName: 'node-1', podName: 'conjur-spiffe-agent-x7k2p', podNamespace: 'conjur-spiffe-agent' });
    expect(config.conjur).toMatchObject({
      applianceUrl: 'https://conjur.example.com',
      authnUrl: 'https://conjur.example.com/authn-k8s/dev-cluster',
      serviceId: 'dev-cluster',
      account: 'myorg',
      authnLogin: 'host/spiffe/agent',
      sslCertificatePem: node.conjurCertPem,
      bundle: { kind: 'variable', variableId: 'conjur/authn-k8s/dev-cluster/ca/cert' },
    });
  });

  it('points at the kubelet through MY_NODE_IP because the agent is not on the host network', () => {
    expect(loadConfig({ env: node.env, file }).kubelet.url).toBe('https://10.0.0.7:10250');
    expect(loadConfig({ env: { ...node.env, MY_NODE_IP: 'fd00::7' }, file }).kubelet.url).toBe('https://[fd00::7]:10250');
    expect(loadConfig({ env: { ...node.env, MY_NODE_IP: undefined }, file }).kubelet.url).toBe('https://node-1:10250');
  });

  it('uses the read-only port over plain http without a token when asked', () => {
    const config = loadConfig({ env: node.env, file, overrides: { 'kubelet.readOnlyPort': true } });
    expect(config.kubelet).toMatchObject({ url: 'http://10.0.0.7:10255', readOnlyPort: true, tokenFile: undefined, caFile: undefined });
  });

  it('connects to the API server in-cluster from KUBERNETES_SERVICE_HOST and _PORT', () => {
    expect(loadConfig({ env: node.env, file }).kubernetes.connection).toEqual({
      kind: 'in-cluster',
      apiServerUrl: 'https://10.96.0.1:443',
      tokenFile: node.tokenFile,
      caFile: node.caFile,
    });
  });

  it('uses a kubeconfig instead of the in-cluster settings when one is given', () => {
    const kubeconfig = node.writeFile('kubeconfig', 'apiVersion: v1\nkind: Config\n');
    const config = loadConfig({ env: { ...node.env, KUBERNETES_SERVICE_HOST: undefined }, file, overrides: { 'kubernetes.kubeconfig': kubeconfig } });
    expect(config.kubernetes.connection).toEqual({ kind: 'kubeconfig', kubeconfig });
  });

  it('converts durations written with units into milliseconds', () => {
    const timed = node.writeFile('timed.yaml', node.fileText('  injectTimeout: 1m30s\n  requestTimeout: 2.5s\nshutdownGrace: 0\n'));
    const config = loadConfig({ env: node.env, file: timed });
    expect(config.conjur.injectTimeoutMs).toBe(90_000);
    expect(config.conjur.requestTimeoutMs).toBe(2_500);
    expect(config.shutdownGraceMs).toBe(0);
  });

  it('lets the Conjur variables win over the file, and command-line overrides win over both', () => {
    const withAccount = node.writeFile('account.yaml', node.fileText('  account: from-file\n  keyType: rsa-2048\n'));
    const config = loadConfig({ env: node.env, file: withAccount });
    expect(config.conjur.account).toBe('myorg');
    expect(config.conjur.keyType).toBe('rsa-2048');
    expect(loadConfig({ env: node.env, file: withAccount, overrides: { 'conjur.account': 'from-flag' } }).conjur.account).toBe('from-flag');
  });

  it('treats an empty variable as unset so the file value applies', () => {
    const withAccount = node.writeFile('account2.yaml', node.fileText('  account: from-file\n'));
    expect(loadConfig({ env: { ...node.env, CONJUR_ACCOUNT: '' }, file: withAccount }).conjur.account).toBe('from-file');
  });

  it('reads the Conjur certificate from CONJUR_CERT_FILE, and prefers the inline one when both are set', () => {
    const fromFile = loadConfig({ env: { ...node.env, CONJUR_SSL_CERTIFICATE: undefined, CONJUR_CERT_FILE: node.conjurCertFile }, file });
    expect(fromFile.conjur.sslCertificatePem).toBe(node.conjurCertPem);
    const both = loadConfig({ env: { ...node.env, CONJUR_CERT_FILE: '/nowhere/conjur.pem' }, file });
    expect(both.conjur.sslCertificatePem).toBe(node.conjurCertPem);
  });

  it('builds the authenticator URL from the service id when only that is given', () => {
    const config = loadConfig({ env: { ...node.env, CONJUR_AUTHN_URL: undefined }, file, overrides: { 'conjur.serviceId': 'prod' } });
    expect(config.conjur).toMatchObject({ authnUrl: 'https://conjur.example.com/authn-k8s/prod', serviceId: 'prod' });
  });

  it('serves the trust bundle from a file when one is given', () => {
    const config = loadConfig({ env: node.env, file, overrides: { 'conjur.bundleFile': node.conjurCertFile } });
    expect(config.conjur.bundle).toEqual({ kind: 'file', path: node.conjurCertFile });
  });

  it('works from the environment alone, without a file', () => {
    const config = loadConfig({
      env: node.env,
      overrides: { socketPath: node.socketPath, procRoot: node.procRoot, kubeletPodsDir: node.podsDir, 'conjur.agentSslDir': node.sslDir, 'kubelet.tokenFile': node.tokenFile, 'kubelet.caFile': node.caFile, 'kubernetes.tokenFile': node.tokenFile, 'kubernetes.caFile': node.caFile },
    });
    expect(config.socketPath).toBe(node.socketPath);
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig({ env: node.env, file });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.kubelet)).toBe(true);
    expect(Object.isFrozen(config.conjur.bundle)).toBe(true);
    expect(Object.isFrozen(config.log.debugComponents)).toBe(true);
    expect(() => {
      (config.kubelet as { url: string }).url = 'https://evil:10250';
    }).toThrow(TypeError);
  });
});
