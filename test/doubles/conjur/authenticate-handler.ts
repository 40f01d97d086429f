import { X509Certificate, createPublicKey } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ConjurContext } from './context.js';
import { certificateNames, podRefOfSan } from './csr.js';
import { ConjurDenial, clientIp, railsJson, sendBody, sendError, sendHead } from './http.js';
import { hostIdOfCommonName } from './inject-handler.js';
import { validatePodRequest } from './pod-validation.js';
import { decodeParam } from './routes.js';
import { ipInCidrs } from './cidr.js';
import { hostIdOf } from './state.js';

// POST /authn-k8s/{svc}/{account}/{login}/authenticate in the order of protocol §4.2. The client
// certificate is the TLS-layer one (nginx's `optional_no_ca` forwards it as
// X-SSL-Client-Certificate; here we read it from the socket). Note the order: the pod is
// re-validated from the certificate's CN and SAN *before* the certificate is proven genuine,
// and the trust check is a bare signature check with the CA key (no chain, no notBefore).

export interface AuthenticateRoute {
  readonly serviceId: string;
  readonly account: string;
  readonly login: string;
}

export async function handleAuthenticate(ctx: ConjurContext, req: IncomingMessage, res: ServerResponse, route: AuthenticateRoute): Promise<void> {
  req.resume(); // the body is ignored
  try {
    const certificate = await checkLogin(ctx, req, route);
    if (certificate === 'no-common-name') return sendError(res, 422, 'argument_error', 'ArgumentError');
    const signer = ctx.signers.find((s) => s.account === route.account)!;
    const body = railsJson(signer.issue(route.login, ctx.now(), ctx.tokenTtlSeconds()));
    if (wantsBase64(req.headers['accept-encoding'])) {
      return sendBody(res, 200, Buffer.from(body).toString('base64'), { 'content-type': 'text/plain; charset=utf-8', 'content-encoding': 'base64' });
    }
    sendBody(res, 200, body, { 'content-type': 'application/json; charset=utf-8' });
  } catch (error) {
    ctx.log(`authenticate: ${error instanceof Error ? error.message : String(error)}`);
    sendHead(req, res, error instanceof ConjurDenial ? error.status : 401);
  }
}

async function checkLogin(ctx: ConjurContext, req: IncomingMessage, route: AuthenticateRoute): Promise<'ok' | 'no-common-name'> {
  const { account, serviceId, login } = route;
  ctx.state.requireAccount(account);
  ctx.state.requireEnabled(serviceId);
  if (!login.startsWith('host/')) throw new ConjurDenial('CONJ00007E', `role for ${login} wasn't found`);
  const host = ctx.state.requireHostMayAuthenticate(hostIdOf(login), serviceId);
  if (host.restrictedTo.length > 0 && !ipInCidrs(clientIp(req), host.restrictedTo)) {
    throw new ConjurDenial('CONJ00003E', `${login} is not authorized to login from ${clientIp(req)}`);
  }
  const der = clientCertificateOf(req, ctx.trustClientCertHeader);
  if (der === undefined) throw new ConjurDenial('CONJ00029E', 'client certificate header is missing');
  const x509 = parse(der);
  const { commonName, san } = certificateNames(x509);
  if (commonName === undefined) return 'no-common-name';
  if (san === undefined) throw new ConjurDenial('CONJ00000E', "undefined method 'value' for nil (no subjectAltName)");
  const pod = podRefOfSan(san);
  if (!pod) throw new ConjurDenial('CONJ00000E', `SAN ${san} is not a SPIFFE URI with a path`);
  await validatePodRequest(ctx.state, ctx.kube(), { account, serviceId, hostId: hostIdOfCommonName(commonName), pod });
  const ca = ctx.state.caOf(account, serviceId);
  if (!verifiesWith(x509, ca.keyPem)) throw new ConjurDenial('CONJ00030E', 'client certificate is not signed by the authn-k8s CA');
  if (commonName !== login.replace(/\//g, '.')) throw new ConjurDenial('CONJ00031E', `certificate CN ${commonName} does not match ${login}`);
  if (new Date(x509.validTo).getTime() <= ctx.now()) throw new ConjurDenial('CONJ00032E', 'client certificate has expired');
  return 'ok';
}

/** The TLS client certificate; in test mode also the proxy header (form-decoded, PEM or DER). */
function clientCertificateOf(req: IncomingMessage, trustHeader: boolean): Buffer | undefined {
  const peer = (req.socket as TLSSocket).getPeerCertificate?.();
  if (peer?.raw && peer.raw.length > 0) return peer.raw;
  const header = req.headers['x-ssl-client-certificate'];
  if (!trustHeader || typeof header !== 'string') return undefined;
  const text = decodeParam(header.replace(/\+/g, ' '));
  const pem = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(text);
  return pem ? Buffer.from(pem[1]!.replace(/\s+/g, ''), 'base64') : Buffer.from(text, 'latin1');
}

function parse(der: Buffer): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (cause) {
    throw new ConjurDenial('CONJ00000E', `client certificate cannot be parsed: ${String(cause)}`);
  }
}

/** Conjur's CA#verify: the signature checks out with the CA key; nothing else. */
function verifiesWith(x509: X509Certificate, caKeyPem: string): boolean {
  try {
    return x509.verify(createPublicKey(caKeyPem));
  } catch {
    return false;
  }
}

/** One comma-separated element equal to `base64`, case-insensitive (`base64;q=1` does not count). */
function wantsBase64(header: string | undefined): boolean {
  return (header ?? '').split(',').some((element) => element.trim().toLowerCase() === 'base64');
}
