import * as tls from 'node:tls';
import { systemClock } from '../async/index.js';
import type { X509Context, X509Svid } from '../spiffe/index.js';
import type { Authorizer } from './authorizers.js';
import { certificatesToPem, privateKeyToPem } from './pem.js';
import { verifyPeer } from './verify-peer.js';

/**
 * node:tls options built from a changing X509Context, so TLS servers and clients pick up SVID
 * and bundle rotation without a restart. Node cannot verify a peer by SPIFFE ID itself, so:
 * OpenSSL checks the chain against every trusted authority (`ca` = all bundles), then
 * `verifyPeer` re-checks it against the peer's own trust domain and applies the Authorizer:
 * in `checkServerIdentity` on clients (replacing the hostname check), and on servers in a
 * guard in front of the 'secureConnection' event (Node offers no server-side verify callback).
 */
export interface X509ContextSource {
  getX509Context(): X509Context;
  on(event: 'update', listener: (context: X509Context) => void): unknown;
  off(event: 'update', listener: (context: X509Context) => void): unknown;
}

export interface SecureServerOptions {
  authorize: Authorizer;
  /** Told about every refused connection (the socket is destroyed right after). */
  onRejected?: (error: Error, socket: tls.TLSSocket) => void;
}

const secureContexts = new WeakMap<X509Context, tls.SecureContext>();

/** A ready SecureContext for the default SVID, built once per X509Context. */
export function secureContextOf(context: X509Context): tls.SecureContext {
  let secureContext = secureContexts.get(context);
  if (!secureContext) {
    secureContext = tls.createSecureContext(secureContextOptions(context));
    secureContexts.set(context, secureContext);
  }
  return secureContext;
}

/** key + certificate chain of the default SVID, and every bundle's authorities as `ca`. */
export function secureContextOptions(context: X509Context): tls.SecureContextOptions {
  const svid = defaultSvid(context);
  return {
    key: privateKeyToPem(svid.privateKey),
    cert: certificatesToPem(svid.certChain),
    ca: [...context.bundles.values()].map((bundle) => certificatesToPem(bundle.authorities)),
    minVersion: 'TLSv1.2',
  };
}

/** For tls.createServer / https.createServer; always pair with `secureServer(server, …)`. */
export function tlsServerOptions(source: X509ContextSource): tls.TlsOptions {
  return {
    ...secureContextOptions(source.getX509Context()),
    requestCert: true,
    rejectUnauthorized: true,
    // Clients that send SNI get the newest context per handshake; secureServer() keeps the
    // default context (used without SNI, for example when connecting by IP) current too.
    SNICallback: (_servername, callback) => {
      try {
        callback(null, secureContextOf(source.getX509Context()));
      } catch (error) {
        callback(error as Error, undefined);
      }
    },
  };
}

/**
 * Makes a TLS/HTTPS server refuse peers the Authorizer rejects and follow rotation. The check
 * wraps the server's `emit` for 'secureConnection', so no listener (the https request parser,
 * the app's own) ever sees a refused socket, whenever it was added. Returns a function that
 * undoes it; rotation following also stops when the server closes.
 */
export function secureServer(server: tls.Server, source: X509ContextSource, options: SecureServerOptions): () => void {
  const isAuthorized = (socket: tls.TLSSocket): boolean => {
    try {
      verifyPeer(peerChainOf(socket.getPeerCertificate(true)), source.getX509Context().bundles, options.authorize, now());
      return true;
    } catch (error) {
      options.onRejected?.(error as Error, socket);
      socket.destroy();
      return false;
    }
  };
  const emit = server.emit as (this: tls.Server, event: string | symbol, ...args: unknown[]) => boolean;
  const guardedEmit = function (this: tls.Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'secureConnection' && !isAuthorized(args[0] as tls.TLSSocket)) return false;
    return emit.call(this, event, ...args);
  } as typeof server.emit;
  server.emit = guardedEmit;
  const rotate = (context: X509Context) => server.setSecureContext(secureContextOptions(context));
  source.on('update', rotate);
  const stopRotating = () => source.off('update', rotate);
  server.once('close', stopRotating);
  return () => {
    if (server.emit === guardedEmit) server.emit = emit;
    stopRotating();
  };
}

/**
 * For tls.connect / https.request. `secureContext` is a getter, read at each connect, so new
 * connections use the newest SVID; spread or copy these options per request, not once into an
 * https.Agent (which snapshots them). Use one Agent per Authorizer: a resumed TLS session skips
 * checkServerIdentity.
 */
export function tlsClientOptions(source: X509ContextSource, options: { authorize: Authorizer }): tls.ConnectionOptions {
  const connectionOptions: tls.ConnectionOptions = {
    rejectUnauthorized: true,
    checkServerIdentity: (_hostname, certificate) => {
      try {
        verifyPeer(peerChainOf(certificate), source.getX509Context().bundles, options.authorize, now());
        return undefined;
      } catch (error) {
        return error as Error;
      }
    },
  };
  Object.defineProperty(connectionOptions, 'secureContext', {
    enumerable: true,
    get: () => secureContextOf(source.getX509Context()),
  });
  return connectionOptions;
}

/** DER chain, leaf first, from Node's detailed peer certificate (issuer links end in a self-loop). */
export function peerChainOf(certificate: tls.PeerCertificate | tls.DetailedPeerCertificate): Buffer[] {
  const chain: Buffer[] = [];
  let current: Partial<tls.DetailedPeerCertificate> | undefined = certificate;
  while (current?.raw && chain.length < 16) {
    chain.push(current.raw);
    const next: Partial<tls.DetailedPeerCertificate> | undefined = current.issuerCertificate;
    if (!next || next === current || next.raw?.equals(current.raw)) break;
    current = next;
  }
  return chain;
}

function defaultSvid(context: X509Context): X509Svid {
  const svid = context.svids[0];
  if (!svid) throw new Error('the X.509 context holds no SVID');
  return svid;
}

function now(): Date {
  return new Date(systemClock.now());
}
