import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { ConjurTokenSource } from '../../../src/client/index.js';

// Reading a Conjur secret the way any application does (GET /secrets/{account}/variable/{id}),
// with the access token the agent keeps fresh. Conjur's address, account and TLS certificate
// come from the usual CONJUR_* variables; the token is the only credential, and it never left
// the agent's socket and this process.

export interface ConjurSettings {
  readonly applianceUrl: string;
  readonly account: string;
  /** PEM of the CA that signed Conjur's TLS certificate. */
  readonly certFile: string;
}

export type SecretResult = { kind: 'value'; value: string } | { kind: 'refused'; status: number };

export function readSecret(conjur: ConjurSettings, tokens: ConjurTokenSource, id: string, signal: AbortSignal): Promise<SecretResult> {
  const url = new URL(`${conjur.applianceUrl}/secrets/${encodeURIComponent(conjur.account)}/variable/${encodeURIComponent(id)}`);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ca: readFileSync(conjur.certFile),
        headers: { Authorization: tokens.authorizationHeader() },
        agent: false,
        signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          resolve(status === 200 ? { kind: 'value', value: Buffer.concat(chunks).toString('utf8') } : { kind: 'refused', status });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
