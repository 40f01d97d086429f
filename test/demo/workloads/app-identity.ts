import { X509Certificate } from 'node:crypto';
import { ConjurTokenSource, X509Source } from '../../../src/client/index.js';
import { readSecret } from './conjur-secrets.js';
import type { ConjurSettings } from './conjur-secrets.js';
import { fail, mask, report, reportFailures, setting, sha256Of } from './reporting.js';

// What every sample application does first, with nothing but SPIFFE_ENDPOINT_SOCKET and the
// usual CONJUR_* settings: get its X509-SVID and a Conjur access token from the agent, then read
// its own secret from Conjur with that token (and show that another app's secret is refused).

export interface AppIdentity {
  /** The SVID and trust bundle, kept fresh by the library (rotation included). */
  readonly x509: X509Source;
  /** The Conjur access token, kept fresh by the agent. */
  readonly tokens: ConjurTokenSource;
  close(): Promise<void>;
}

export async function startWithIdentity(signal: AbortSignal): Promise<AppIdentity> {
  // X509Source.create() finds the agent through SPIFFE_ENDPOINT_SOCKET and waits for the first SVID.
  const x509 = await reportFailures('fetch its SVID', () => X509Source.create({ signal }));
  report(await reportFailures('check its SVID', async () => describeSvid(x509)));

  const tokens = await reportFailures('fetch its Conjur token', () => ConjurTokenSource.create({ signal }));
  const token = tokens.getToken();
  report({ event: 'token', login: token.login, spiffeId: token.spiffeId.toString(), expiresAt: token.expiresAt.toISOString() });

  const conjur: ConjurSettings = {
    applianceUrl: setting('CONJUR_APPLIANCE_URL'),
    account: setting('CONJUR_ACCOUNT'),
    certFile: setting('CONJUR_CERT_FILE'),
  };
  const ownId = setting('SECRET_ID');
  const own = await reportFailures('read its secret', () => readSecret(conjur, tokens, ownId, signal));
  if (own.kind === 'refused') fail('read its secret', `Conjur answered ${own.status} for ${ownId}`);
  report({ event: 'secret', id: ownId, masked: mask(own.value), sha256: sha256Of(own.value) });

  const otherId = process.env['OTHER_SECRET_ID'];
  if (otherId) {
    const other = await reportFailures('try another app secret', () => readSecret(conjur, tokens, otherId, signal));
    if (other.kind === 'value') fail('try another app secret', `Conjur let this app read ${otherId}`);
    report({ event: 'secret-refused', id: otherId, status: other.status });
  }
  return {
    x509,
    tokens,
    close: async () => {
      await tokens.close();
      await x509.close();
    },
  };
}

/** The default SVID as a newcomer wants to see it, checked against the trust bundle it came with. */
function describeSvid(x509: X509Source): Extract<Parameters<typeof report>[0], { event: 'svid' }> {
  const svid = x509.getX509Svid();
  const leaf = new X509Certificate(svid.certChain[0]!);
  const authorities = x509.getBundleForTrustDomain(svid.id.trustDomain)?.authorities ?? [];
  const signer = authorities.map((der) => new X509Certificate(der)).find((ca) => leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
  if (!signer) throw new Error(`no authority in the ${svid.id.trustDomain.name} bundle signed the SVID`);
  return {
    event: 'svid',
    spiffeId: svid.id.toString(),
    hint: svid.hint,
    issuer: leaf.issuer.split('\n').join(', '),
    issuerFingerprint: signer.fingerprint256,
    notBefore: svid.notBefore.toISOString(),
    notAfter: svid.notAfter.toISOString(),
  };
}
