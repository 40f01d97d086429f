import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { authorizeId, peerChainOf } from '../../../src/client/index.js';
import type { Authorizer, X509Source } from '../../../src/client/index.js';
import { startWithIdentity } from './app-identity.js';
import { report, reportFailures, setting } from './reporting.js';

// Sample workload "orders" (pod shop/orders): gets its identity and secret from the agent, then
// calls the payments service over HTTPS with mutual TLS, presenting its SVID and accepting the
// server only if it proves the payments SPIFFE ID (PEER_SPIFFE_ID). Exits when done.

interface Reply {
  readonly peerId: string;
  readonly status: number;
  readonly body: string;
}

const stop = new AbortController();
process.once('SIGTERM', () => stop.abort());

const app = await startWithIdentity(stop.signal);
const onlyPayments = authorizeId(setting('PEER_SPIFFE_ID'));
const reply = await reportFailures('call payments', () => post(app.x509, setting('PAYMENTS_URL'), 'charge order A-1001: 42.00 EUR', onlyPayments));
report({ event: 'response', peerId: reply.peerId, status: reply.status, message: reply.body });
await app.close();
report({ event: 'stopped' });
process.exit(0);

function post(x509: X509Source, url: string, body: string, authorize: Authorizer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // tlsClientOptions: our SVID as the client certificate, the bundle as trusted CAs, and the
    // Authorizer in place of the hostname check. A fresh copy per request follows rotation.
    const options = { ...x509.tlsClientOptions({ authorize }), method: 'POST', agent: false, headers: { 'content-type': 'text/plain' }, signal: stop.signal };
    const req = request(url, options, (res) => {
      const peerId = x509.verifyPeer(peerChainOf((res.socket as TLSSocket).getPeerCertificate(true)), authorize);
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ peerId: peerId.toString(), status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
