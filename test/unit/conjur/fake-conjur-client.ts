import { createPublicKey } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../../src/async/index.js';
import { ConjurError } from '../../../src/conjur/index.js';
import type { ClientCredentials, ConjurAccessToken } from '../../../src/conjur/index.js';
import { csrFacts, generateKeyPair, issueCertificate, parsePemCertificates, toPem } from '../../../src/x509/index.js';
import type { TestCa } from '../../support/test-ca.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * An in-memory Conjur for unit tests of the agent identity and issuer: it signs CSRs with a test
 * CA (Conjur's profile: CN = prefix.CN, SAN copied, 3 days) and writes client.pem into the
 * directory `targetDir()` names; authenticate checks the presented certificate's CN. Knobs:
 * failNext per route, injection mode, token TTL. The real wire protocol is covered by the
 * integration tests against test/doubles/conjur.
 */
export class FakeConjurClient {
  readonly calls = { inject: 0, authenticate: 0, secrets: 0 };
  injection: 'normal' | 'never' | 'wrong-key' = 'normal';
  tokenTtlMs = 8 * 60_000;
  readonly variables = new Map<string, Buffer>();
  private readonly failures: Record<'inject' | 'authenticate' | 'secrets', number[]> = { inject: [], authenticate: [], secrets: [] };
  private revoked = new Set<string>();
  private readonly issued: string[] = [];

  constructor(
    private readonly ca: TestCa,
    private readonly clock: Clock,
    private readonly targetDir: () => string,
  ) {}

  failNext(route: 'inject' | 'authenticate' | 'secrets', status: number, times = 1): void {
    for (let i = 0; i < times; i++) this.failures[route].push(status);
  }

  /** Tokens issued so far stop working (as after a Conjur key rotation). */
  revokeTokens(): void {
    this.revoked = new Set([...this.issued]);
  }

  async injectClientCert(csrPem: string, hostIdPrefix: string, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.calls.inject++;
    this.maybeFail('inject');
    const csr = csrFacts(Buffer.from(csrPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64'));
    if (this.injection === 'never') return;
    const key = this.injection === 'wrong-key' ? generateKeyPair('ec-p256').publicKey : createPublicKey({ key: csr.publicKeySpkiDer, format: 'der', type: 'spki' });
    const now = this.clock.now();
    const der = issueCertificate(
      {
        subject: { commonName: `${hostIdPrefix}.${csr.commonName}` },
        subjectPublicKey: key,
        notBefore: new Date(Math.floor(now / 1000) * 1000),
        notAfter: new Date(now + 3 * DAY_MS),
        keyUsage: ['digitalSignature', 'keyEncipherment'],
        uriSans: [...csr.uriSans],
        authorityKeyIdentifier: false,
      },
      this.ca.authority,
    );
    await mkdir(this.targetDir(), { recursive: true });
    await writeFile(join(this.targetDir(), 'client.pem'), `${toPem(der, 'CERTIFICATE')}\n`);
  }

  async authenticate(login: string, credentials: ClientCredentials, signal: AbortSignal): Promise<ConjurAccessToken> {
    signal.throwIfAborted();
    this.calls.authenticate++;
    this.maybeFail('authenticate');
    const [leaf] = parsePemCertificates(credentials.certPem);
    if (!leaf) throw new ConjurError('denied', 'conjur returned 401 for authenticate', { status: 401 });
    const now = this.clock.now();
    const raw = Buffer.from(JSON.stringify({ login, n: this.issued.length, iat: now }));
    this.issued.push(raw.toString());
    return { raw, login, issuedAt: now, expiresAt: now + this.tokenTtlMs, conjurIssuedAt: now };
  }

  async fetchSecret(variableId: string, token: ConjurAccessToken, signal: AbortSignal): Promise<Buffer> {
    signal.throwIfAborted();
    this.calls.secrets++;
    this.maybeFail('secrets');
    if (this.revoked.has(token.raw.toString()) || token.expiresAt <= this.clock.now()) {
      throw new ConjurError('denied', 'conjur returned 401 for secrets', { status: 401 });
    }
    const value = this.variables.get(variableId);
    if (!value) throw new ConjurError('not-found', 'conjur returned 404 for secrets', { status: 404 });
    return value;
  }

  private maybeFail(route: 'inject' | 'authenticate' | 'secrets'): void {
    const status = this.failures[route].shift();
    if (status === undefined) return;
    const code = status >= 500 ? 'unavailable' : 'denied';
    throw new ConjurError(code, `conjur returned ${status} for ${route}`, { status });
  }
}
