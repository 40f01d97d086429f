// A child process that asks an HTTPS server for something through one of the agent's clients,
// trusting only the CA in CA_FILE, and prints {"refused": bool, "message": string} on stdout.
// It runs outside jest because jest gives each test file its own copy of process.env, which Node's
// TLS code never reads: only in a process of its own does NODE_TLS_REJECT_UNAUTHORIZED=0 act.
//   node --import test/support/register-ts.mjs untrusted-server-probe.ts conjur|api-server URL CA_FILE
import { readFileSync } from 'node:fs';
import { systemClock } from '../../../src/async/index.js';
import { ConjurClient } from '../../../src/conjur/index.js';
import { getJson } from '../../../src/kube/api-request.js';
import { loadKubeConfig } from '../../../src/kube/kube-config.js';

const [client, url, caFile] = process.argv.slice(2) as [string, string, string];
const caPem = readFileSync(caFile, 'utf8');
const signal = new AbortController().signal;

async function ask(): Promise<void> {
  if (client === 'conjur') {
    const conjur = new ConjurClient({ applianceUrl: url, authnUrl: `${url}/authn-k8s/dev`, account: 'myorg', sslCertificatePem: caPem, requestTimeoutMs: 5_000, retry: { initialMs: 1, maxMs: 1, maxAttempts: 1 } });
    try {
      await conjur.injectClientCert('csr', 'host/apps', signal);
    } finally {
      conjur.close();
    }
    return;
  }
  await getJson(loadKubeConfig({ kind: 'token', server: url, caPem, token: 'api-token' }), '/api/v1/pods', 'the pods on this node', { signal, timeoutMs: 5_000, clock: systemClock });
}

ask().then(
  () => process.stdout.write(JSON.stringify({ refused: false, message: '' })),
  (error: unknown) => process.stdout.write(JSON.stringify({ refused: true, message: error instanceof Error ? error.message : String(error) })),
);
