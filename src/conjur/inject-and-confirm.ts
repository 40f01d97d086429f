import { createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Clock } from '../async/index.js';
import type { SpiffeId } from '../spiffe/index.js';
import { createCsr, generateKeyPair, toPem } from '../x509/index.js';
import type { KeyType } from '../x509/index.js';
import { readCertificateFile, waitForFile } from './certificate-file.js';
import type { CertificateFileRead, RefusalReason } from './certificate-file.js';
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
  /** Most bytes read from a client.pem (conjur.maxCertificateFileBytes); larger files are refused. */
  readonly maxCertificateFileBytes?: number;
  /** Counts every refused read of a workload-writable file (the metric). */
  readonly onRefusedFile?: (reason: RefusalReason) => void;
  /** Conjur's clock minus ours, as last measured (a certificate's notBefore is Conjur's now). */
  readonly clockSkewMs?: () => number;
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

/** What was last wrong, without the content: a digest tells a stale file from a new one. */
interface LastSeen {
  rejected?: { readonly failure: Failure; readonly sha256: string; readonly path: string };
  refused?: { readonly detail: string; readonly path: string };
}

/**
 * Inject-and-confirm (design.md §2.2 steps 1-3): a fresh key, a CSR with CN = host id suffix and
 * one URI SAN, inject_client_cert, then wait for a client.pem that passes every confirm check.
 * A file with another key (or unreadable) may be a leftover of an earlier issuance, so the wait
 * goes on for a newer one; a file with our key that fails any other check is final. The
 * workload owns the directory, so nothing it wrote is kept while waiting, only digests.
 */
export async function injectAndConfirm(req: InjectionRequest, deps: InjectionDeps, signal: AbortSignal): Promise<InjectedCertificate> {
  const { prefix, suffix } = splitHostId(req.login);
  const keys = generateKeyPair(req.keyType);
  const csrDer = await createCsr({ ...keys, commonName: suffix, uriSan: req.spiffeId.toString() });
  const maxBytes = deps.maxCertificateFileBytes;
  const before = await Promise.all(req.targetPaths.map(async (path) => digestOf(await readCertificateFile(path, maxBytes))));
  const publicKeySpkiDer = keys.publicKey.export({ type: 'spki', format: 'der' });
  const expected = { publicKeySpkiDer, authorities: req.authorities, spiffeId: req.spiffeId.toString(), commonName: commonNameOf(req.login) };

  await deps.client.injectClientCert(toPem(csrDer, 'CERTIFICATE REQUEST'), prefix, signal);

  const last: LastSeen = {};
  const outcome = await waitForFile(
    req.targetPaths,
    (content, path) => {
      const result = confirmCertificate(content, { ...expected, now: deps.clock.now(), conjurAheadMs: deps.clockSkewMs?.() ?? 0 });
      if (result.ok || (result.check !== 'public-key' && result.check !== 'parse')) return { accept: true, value: { result, path } };
      last.rejected = { failure: result, sha256: sha256(content), path };
      return { accept: false };
    },
    {
      timeoutMs: deps.confirmTimeoutMs,
      pollMs: deps.confirmPollMs,
      clock: deps.clock,
      ...(maxBytes === undefined ? {} : { maxBytes }),
      onRefused: (path, refusal) => {
        deps.onRefusedFile?.(refusal.reason);
        last.refused = { detail: refusal.detail, path };
      },
    },
    signal,
  );

  if (outcome === undefined) throw timedOut(req, before, last, deps.confirmTimeoutMs);
  const { result, path } = outcome;
  if (!result.ok) throw new ConjurError('confirm-failed', `injected certificate failed the ${result.check} check: ${result.detail}`, { check: result.check });
  return { privateKey: keys.privateKey, leafDer: result.leafDer, notBefore: result.notBefore, notAfter: result.notAfter, path };
}

/**
 * Nothing acceptable arrived. If all we ever saw is what was there before the inject, the
 * certificate never arrived (unavailable); a new certificate for someone else's key is a
 * failed confirm, whatever else was seen. A file refused unread (not a regular file, too large)
 * is named next: the pod itself is in the way, and what it wrote between refusals (a file that
 * does not parse) says no more. Only then does a new unparsable file count as a failed confirm.
 */
function timedOut(req: InjectionRequest, before: readonly (string | undefined)[], last: LastSeen, timeoutMs: number): ConjurError {
  const message = `injected certificate did not arrive within ${timeoutMs} ms`;
  const rejected = last.rejected;
  const isNew = rejected !== undefined && before[req.targetPaths.indexOf(rejected.path)] !== rejected.sha256;
  const failed = (failure: Failure) => new ConjurError('confirm-failed', `injected certificate failed the ${failure.check} check: ${failure.detail}`, { check: failure.check });
  if (isNew && rejected.failure.check === 'public-key') return failed(rejected.failure);
  if (last.refused) return new ConjurError('unavailable', `${message}; ${last.refused.path} was refused: it ${last.refused.detail}`);
  return isNew ? failed(rejected.failure) : new ConjurError('unavailable', message);
}

function digestOf(read: CertificateFileRead): string | undefined {
  return read.kind === 'file' ? sha256(read.text) : undefined;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
