import type { KeyObject } from 'node:crypto';
import type { Clock } from '../async/index.js';
import type { SpiffeId } from '../spiffe/index.js';
import { createCsr, generateKeyPair, toPem } from '../x509/index.js';
import type { KeyType } from '../x509/index.js';
import { readCertificateFile, waitForFile } from './certificate-file.js';
import { confirmCertificate } from './confirm-certificate.js';
import type { ConfirmResult } from './confirm-certificate.js';
import { ConjurError } from './conjur-error.js';
import { commonNameOf, splitHostId } from './host-id.js';

export interface InjectionRequest {
  readonly login: string;
  readonly spiffeId: SpiffeId;
  readonly keyType: KeyType;
  /** Where the certificate may appear (node paths of the target's /etc/conjur/ssl/client.pem). */
  readonly targetPaths: readonly string[];
  /** The authn-k8s CA; undefined only while the agent bootstraps its own identity. */
  readonly authorities: readonly Buffer[] | undefined;
}

export interface InjectionDeps {
  readonly client: { injectClientCert(csrPem: string, hostIdPrefix: string, signal: AbortSignal): Promise<void> };
  readonly clock: Clock;
  readonly confirmTimeoutMs: number;
  readonly confirmPollMs: number;
}

/** A confirmed certificate and its key. The key exists only in this process's memory. */
export interface InjectedCertificate {
  readonly privateKey: KeyObject;
  readonly leafDer: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Which target path held it. */
  readonly path: string;
}

type Failure = Extract<ConfirmResult, { ok: false }>;

/**
 * Inject-and-confirm (design.md §2.2 steps 1-3): a fresh key, a CSR with CN = host id suffix and
 * one URI SAN, inject_client_cert, then wait for a client.pem that passes every confirm check.
 * A file with another key (or unreadable) may be a leftover of an earlier issuance, so the wait
 * goes on for a newer one; a file with our key that fails any other check is final.
 */
export async function injectAndConfirm(req: InjectionRequest, deps: InjectionDeps, signal: AbortSignal): Promise<InjectedCertificate> {
  const { prefix, suffix } = splitHostId(req.login);
  const keys = generateKeyPair(req.keyType);
  const csrDer = await createCsr({ ...keys, commonName: suffix, uriSan: req.spiffeId.toString() });
  const before = await Promise.all(req.targetPaths.map(readCertificateFile));
  const publicKeySpkiDer = keys.publicKey.export({ type: 'spki', format: 'der' });
  const expected = { publicKeySpkiDer, authorities: req.authorities, spiffeId: req.spiffeId.toString(), commonName: commonNameOf(req.login) };

  await deps.client.injectClientCert(toPem(csrDer, 'CERTIFICATE REQUEST'), prefix, signal);

  let lastRejected: { failure: Failure; content: string; path: string } | undefined;
  const outcome = await waitForFile(
    req.targetPaths,
    (content, path) => {
      const result = confirmCertificate(content, { ...expected, now: deps.clock.now() });
      if (result.ok || (result.check !== 'public-key' && result.check !== 'parse')) return { accept: true, value: { result, path } };
      lastRejected = { failure: result, content, path };
      return { accept: false };
    },
    { timeoutMs: deps.confirmTimeoutMs, pollMs: deps.confirmPollMs, clock: deps.clock },
    signal,
  );

  if (outcome === undefined) throw timedOut(req, before, lastRejected, deps.confirmTimeoutMs);
  const { result, path } = outcome;
  if (!result.ok) throw new ConjurError('confirm-failed', `injected certificate failed the ${result.check} check: ${result.detail}`, { check: result.check });
  return { privateKey: keys.privateKey, leafDer: result.leafDer, notBefore: result.notBefore, notAfter: result.notAfter, path };
}

/**
 * Nothing acceptable arrived. If all we ever saw is what was there before the inject, the
 * certificate never arrived (unavailable); a new file that failed the key check is a
 * certificate for someone else's key (confirm-failed).
 */
function timedOut(
  req: InjectionRequest,
  before: readonly (string | undefined)[],
  lastRejected: { failure: Failure; content: string; path: string } | undefined,
  timeoutMs: number,
): ConjurError {
  const stale = lastRejected === undefined || before[req.targetPaths.indexOf(lastRejected.path)] === lastRejected.content;
  if (stale) return new ConjurError('unavailable', `injected certificate did not arrive within ${timeoutMs} ms`);
  const { check, detail } = lastRejected.failure;
  return new ConjurError('confirm-failed', `injected certificate failed the ${check} check: ${detail}`, { check });
}
