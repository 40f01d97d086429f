import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../async/index.js';
import type { SpiffeId } from '../spiffe/index.js';
import { toPem } from '../x509/index.js';
import type { KeyType } from '../x509/index.js';
import type { ClientCredentials } from './conjur-client.js';
import { injectAndConfirm } from './inject-and-confirm.js';
import type { InjectionDeps } from './inject-and-confirm.js';
import { CLIENT_CERT_FILE } from './injection-target.js';

/** The agent's own certificate and key (memory only), ready for mutual TLS. */
export interface AgentCertificate {
  readonly credentials: ClientCredentials;
  readonly leafDer: Buffer;
  /** It was checked against the authn-k8s CA (at login, or once the bundle was loaded). */
  readonly chainChecked: boolean;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface AgentLoginRequest {
  readonly login: string;
  readonly spiffeId: SpiffeId;
  readonly keyType: KeyType;
  /** The agent container's own /etc/conjur/ssl (an emptyDir it owns). */
  readonly certDir: string;
  readonly authorities: readonly Buffer[] | undefined;
}

/**
 * The classic sidecar login for the agent itself: its own pod is the injection target, so the
 * certificate lands in its own emptyDir. Unlike a workload's volume this directory is ours, so
 * (like the reference client) a leftover file is removed before the inject and the accepted one
 * right after reading: the certificate then lives only in memory.
 */
export async function loginAgent(req: AgentLoginRequest, deps: InjectionDeps, signal: AbortSignal): Promise<AgentCertificate> {
  const path = join(req.certDir, CLIENT_CERT_FILE);
  await removeFile(path);
  try {
    const cert = await injectAndConfirm({ ...req, targetPaths: [path] }, deps, signal);
    return {
      credentials: { certPem: toPem(cert.leafDer, 'CERTIFICATE'), keyPem: cert.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
      leafDer: cert.leafDer,
      chainChecked: req.authorities !== undefined,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
    };
  } finally {
    await removeFile(path);
  }
}

/** Re-login when half of the certificate's lifetime is gone (Conjur certificates live 3 days). */
export function needsLogin(cert: AgentCertificate | undefined, clock: Clock): boolean {
  if (!cert) return true;
  const halfLife = (cert.notAfter.getTime() - cert.notBefore.getTime()) / 2;
  return clock.now() >= cert.notBefore.getTime() + halfLife;
}

async function removeFile(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}
