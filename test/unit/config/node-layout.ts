import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Environment } from '../../../src/config/index.js';
import { createTestCa } from '../../support/test-ca.js';

// A temporary stand-in for what the DaemonSet gives the agent on a node: the socket directory,
// /proc, the kubelet pods directory, the agent's /etc/conjur/ssl, service-account token and CA,
// and the environment (Conjur ConfigMap plus downward API), so every path in a config is real.

export interface NodeLayout {
  readonly root: string;
  readonly socketPath: string;
  readonly procRoot: string;
  readonly podsDir: string;
  readonly sslDir: string;
  readonly tokenFile: string;
  readonly caFile: string;
  readonly conjurCertFile: string;
  readonly conjurCertPem: string;
  /** Complete and valid together with `fileText()`. */
  readonly env: Environment;
  /** Writes a YAML file under the root and returns its path. */
  writeFile(name: string, text: string): string;
  /** The settings that point the agent at this layout, as YAML. */
  fileText(extra?: string): string;
  remove(): void;
}

export async function createNodeLayout(): Promise<NodeLayout> {
  const root = mkdtempSync(join(tmpdir(), 'csa-config-'));
  const dir = (name: string): string => {
    const path = join(root, name);
    mkdirSync(path, { recursive: true });
    return path;
  };
  const ca = await createTestCa({ commonName: 'conjur test ca' });
  const sa = dir('serviceaccount');
  const layout = {
    root,
    socketPath: join(dir('run'), 'agent.sock'),
    procRoot: dir('proc'),
    podsDir: dir('pods'),
    sslDir: dir('ssl'),
    tokenFile: join(sa, 'token'),
    caFile: join(sa, 'ca.crt'),
    conjurCertFile: join(root, 'conjur.pem'),
    conjurCertPem: ca.certPem,
  };
  writeFileSync(layout.tokenFile, 'token-for-tests');
  writeFileSync(layout.caFile, ca.certPem);
  writeFileSync(layout.conjurCertFile, ca.certPem);
  const env: Environment = {
    CONJUR_APPLIANCE_URL: 'https://conjur.example.com',
    CONJUR_AUTHN_URL: 'https://conjur.example.com/authn-k8s/dev-cluster',
    CONJUR_ACCOUNT: 'myorg',
    CONJUR_AUTHN_LOGIN: 'host/spiffe/agent',
    CONJUR_SSL_CERTIFICATE: ca.certPem,
    MY_NODE_NAME: 'node-1',
    MY_POD_NAME: 'conjur-spiffe-agent-x7k2p',
    MY_POD_NAMESPACE: 'conjur-spiffe-agent',
    MY_NODE_IP: '10.0.0.7',
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    KUBERNETES_SERVICE_PORT: '443',
  };
  return {
    ...layout,
    env,
    writeFile(name, text) {
      const path = join(root, name);
      writeFileSync(path, text);
      return path;
    },
    fileText(extra = '') {
      return [
        `socketPath: ${layout.socketPath}`,
        `procRoot: ${layout.procRoot}`,
        `kubeletPodsDir: ${layout.podsDir}`,
        'kubelet:',
        `  tokenFile: ${layout.tokenFile}`,
        `  caFile: ${layout.caFile}`,
        'kubernetes:',
        `  tokenFile: ${layout.tokenFile}`,
        `  caFile: ${layout.caFile}`,
        'conjur:',
        `  agentSslDir: ${layout.sslDir}`,
        extra,
      ].join('\n');
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
