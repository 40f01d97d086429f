import { generateKeyPairSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { toPem } from '../../../src/x509/index.js';
import type { ConjurContext, InjectionMode } from './context.js';
import { commonNameOf, csrSanText, parseCsr, podRefOfSan } from './csr.js';
import { ConjurDenial, clientIp, readBody, sendHead, sendText } from './http.js';
import { CLIENT_CERT_VALIDITY_MS, issueClientCertificate } from './issue-certificate.js';
import type { ClientCertRequest } from './issue-certificate.js';
import { copyCertificateScript, execScript } from './injection.js';
import { validatePodRequest } from './pod-validation.js';
import { authorize } from './token-middleware.js';

// POST /authn-k8s/{svc}/inject_client_cert in the order of protocol §4.1: optional token check,
// CSR parse, CN prefix rewrite, SAN, then the pod validation, the CA, signing, and the exec that
// writes the certificate into the pod. 202 with an empty body once the exec closed cleanly;
// 403 only for a missing `authenticate`; an empty 401 for everything else.

const MINUTE_MS = 60_000;

/** `body` is the request body when the dispatcher already read it (to scope faults); `mode` overrides ctx.injection.mode. */
export async function handleInject(ctx: ConjurContext, req: IncomingMessage, res: ServerResponse, serviceId: string, read?: Promise<Buffer>, mode: InjectionMode = ctx.injection.mode): Promise<void> {
  const auth = authorize(req.headers.authorization, ctx.signers, ctx.now(), clientIp(req));
  if (auth.kind === 'error') return sendText(res, auth.status, auth.message);
  try {
    const body = await (read ?? readBody(req));
    const { target, pem } = await signRequest(ctx, req, body, serviceId, mode);
    const script = copyCertificateScript(pem);
    if (mode === 'never') return sendHead(req, res, 202);
    if (ctx.injection.delayMs > 0) {
      // the file shows up after the 202, as it may with a real (slow) exec: the agent must poll
      const later = delay(ctx.injection.delayMs, undefined, { signal: ctx.closing });
      sendHead(req, res, 202);
      ctx.background(later.then(() => execScript(ctx.kubeConnection, target, script, ctx.execTimeoutMs())).catch((e: unknown) => ctx.log(`inject (delayed): ${String(e)}`)));
      return;
    }
    await execScript(ctx.kubeConnection, target, script, ctx.execTimeoutMs());
    sendHead(req, res, 202);
  } catch (error) {
    const status = error instanceof ConjurDenial ? error.status : 401;
    ctx.log(`inject: ${error instanceof Error ? error.message : String(error)}`);
    sendHead(req, res, status);
  }
}

async function signRequest(ctx: ConjurContext, req: IncomingMessage, body: Buffer, serviceId: string, mode: InjectionMode) {
  const csr = parseCsr(body);
  const prefix = headerText(req.headers['host-id-prefix']) || `host.conjur.authn-k8s.${serviceId}.apps`;
  const commonName = `${prefix}.${commonNameOf(csr.subject) ?? ''}`;
  if (!csr.extensionRequest) throw new ConjurDenial('CONJ00022E', 'CSR must contain SPIFFE ID SAN');
  const san = csrSanText(csr);
  if (san === undefined) throw new ConjurDenial('CONJ00000E', "undefined method 'value' for nil (no subjectAltName)");
  const pod = podRefOfSan(san);
  if (!pod) throw new ConjurDenial('CONJ00000E', `SAN ${san} is not a SPIFFE URI with a path`);
  const account = ctx.state.account;
  const { container } = await validatePodRequest(ctx.state, ctx.kube(), { account, serviceId, hostId: hostIdOfCommonName(commonName), pod });
  const ca = ctx.state.caOf(account, serviceId);
  const now = ctx.now();
  const request: ClientCertRequest = {
    subject: csr.subject,
    commonName,
    spkiDer: csr.spkiDer,
    sanUri: san.replace(/^uri:/i, ''),
    notBefore: new Date(now),
    notAfter: new Date(now + CLIENT_CERT_VALIDITY_MS),
  };
  const der = issueClientCertificate(misbehave(mode, request), mode === 'other-ca' ? await ctx.otherCa() : ca);
  return { target: { namespace: pod.namespace, podName: pod.podName, container }, pem: toPem(der, 'CERTIFICATE') };
}

/** The injection modes of the security tests: one field of an otherwise correct certificate is wrong. */
function misbehave(mode: InjectionMode, request: ClientCertRequest): ClientCertRequest {
  switch (mode) {
    case 'wrong-key':
      return { ...request, spkiDer: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' }) };
    case 'wrong-san':
      return { ...request, sanUri: `${request.sanUri}-impostor` };
    case 'wrong-cn':
      return { ...request, commonName: `${request.commonName}-impostor` };
    case 'expired':
      return { ...request, notBefore: new Date(request.notBefore.getTime() - CLIENT_CERT_VALIDITY_MS - MINUTE_MS), notAfter: new Date(request.notBefore.getTime() - MINUTE_MS) };
    default:
      return request;
  }
}

/** CN → Conjur name: every dot is a slash (trailing empty fields dropped); it must be `host/<id>`. */
export function hostIdOfCommonName(commonName: string): string {
  const parts = commonName.split('.');
  while (parts.length > 0 && parts.at(-1) === '') parts.pop();
  const name = parts.join('/');
  if (!name.startsWith('host/')) throw new ConjurDenial('CONJ00007E', `role for ${name} wasn't found`);
  return name.slice('host/'.length);
}

function headerText(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}
