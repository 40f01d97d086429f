import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { authorizeId, peerChainOf } from '../../../src/client/index.js';
import { startWithIdentity } from './app-identity.js';
import { messageOf, report, reportFailures, setting } from './reporting.js';

// Sample workload "payments" (pod shop/payments): gets its identity and secret from the agent,
// then serves HTTPS with mutual TLS using its SVID, and accepts exactly one client, the orders
// service, by SPIFFE ID (PEER_SPIFFE_ID). Runs until its stdin closes or it gets SIGTERM.

const stop = new AbortController();
process.once('SIGTERM', () => stop.abort());
process.stdin.once('end', () => stop.abort());
process.stdin.resume();

const app = await startWithIdentity(stop.signal);
const ordersId = setting('PEER_SPIFFE_ID');
const onlyOrders = authorizeId(ordersId);

const server = createServer(app.x509.tlsServerOptions(), (req, res) => {
  // secureServer() has already refused anyone else; this reads back who the client is.
  const peerId = app.x509.verifyPeer(peerChainOf((req.socket as TLSSocket).getPeerCertificate(true)), onlyOrders);
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    report({ event: 'request', peerId: peerId.toString(), message: body });
    const order = /order ([\w-]+)/.exec(body)?.[1] ?? 'unknown';
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`payment accepted for order ${order}`);
  });
});
app.x509.secureServer(server, { authorize: onlyOrders, onRejected: (error) => report({ event: 'rejected', reason: messageOf(error) }) });

const port = await reportFailures('listen for HTTPS', () => listen(server));
report({ event: 'listening', port, accepts: ordersId });

await new Promise<void>((resolve) => (stop.signal.aborted ? resolve() : stop.signal.addEventListener('abort', () => resolve(), { once: true })));
server.closeAllConnections();
await new Promise<void>((resolve) => server.close(() => resolve()));
await app.close();
report({ event: 'stopped' });
process.exit(0);

function listen(https: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    https.once('error', reject);
    https.listen(0, '127.0.0.1', () => resolve((https.address() as AddressInfo).port));
  });
}
