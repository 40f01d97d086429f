import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import type { Agent } from '../../src/agent.js';
import type { X509SVIDResponse__Output } from '../../src/gen/X509SVIDResponse.js';
import { createJsonLogger } from '../../src/log/index.js';
import { SimulatedNode } from '../support/simulated-node.js';
import { runWorkload } from '../support/pod-workload.js';
import { StreamReader } from '../support/workload-client.js';
import { expectClosedCleanly, httpGet, metricValue, startRecordedAgent } from './e2e-harness.js';
import { closeAll, describeOutcome, firstToken, firstX509, openPodCaller } from './pod-caller.js';
import type { PodCaller } from './pod-caller.js';

// Issue 5's observability, as an operator meets it: /metrics moves with what workloads do, and
// the agent's real JSON log (pino, debug level, every component) never carries a private key,
// certificate material or a Conjur token, whatever path a request takes.

describe('Metrics and logs', () => {
  let node: SimulatedNode;
  let agent: Agent;
  const lines: string[] = [];
  let callers: PodCaller[] = [];

  const caller = async (pod: Parameters<typeof openPodCaller>[1]) => {
    const c = await openPodCaller(node, pod);
    callers.push(c);
    return c;
  };
  const scrape = async () => {
    const answer = await httpGet(agent.metricsAddress, '/metrics');
    expect(answer.status).toBe(200);
    return answer.body;
  };

  beforeAll(async () => {
    node = await SimulatedNode.start();
    const logger = createJsonLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
    ({ agent } = await startRecordedAgent(node, { logger, overrides: { 'conjur.injectTimeout': '1s' } }));
  });
  afterEach(async () => {
    node.conjur.injection.mode = 'normal';
    await closeAll(callers);
    callers = [];
  });
  afterAll(async () => {
    await agent?.close(500);
    if (agent) expectClosedCleanly(agent);
    await node?.close();
  });

  it('counts attestations, issuances, token fetches and Conjur requests on /metrics', async () => {
    const before = await scrape();
    const pod = node.addPod({ namespace: 'shop', name: 'pricing-2a3b4' });
    node.conjur.setVariable('shop/pricing/api-key', 'k3y', { permitted: ['apps/shop/pricing-2a3b4'] });
    const reports = await runWorkload(node, pod, 'token-secret', { SECRET_ID: 'shop/pricing/api-key' });
    expect(reports.map((r) => r.event)).toEqual(['svid', 'token', 'secret']);
    expect(describeOutcome(await firstX509(await caller(undefined)))).toBe(`${status.PERMISSION_DENIED}: no identity issued`);
    node.conjur.injection.mode = 'wrong-san';
    const rejected = node.addPod({ namespace: 'shop', name: 'fraud-5c6d7' });
    expect(describeOutcome(await firstX509(await caller(rejected)))).toMatch(new RegExp(`^${status.UNAVAILABLE}: x509-svid: injected certificate failed the spiffe-id check`));
    const holder = await caller(pod);
    const stream = new StreamReader<X509SVIDResponse__Output>(holder.client.fetchX509Svid());
    await stream.next();

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => metricValue(after, name, labels) - metricValue(before, name, labels);
    expect({
      attestedOk: delta('conjur_spiffe_attestations_total', { result: 'ok' }),
      notAWorkload: delta('conjur_spiffe_attestations_total', { result: 'not-a-workload' }),
      issuedOk: delta('conjur_spiffe_svid_issuances_total', { result: 'ok' }),
      issuedConfirmFailed: delta('conjur_spiffe_svid_issuances_total', { result: 'confirm-failed' }),
      issuanceTimings: delta('conjur_spiffe_svid_issuance_seconds_count', { result: 'ok' }),
      tokenFetches: delta('conjur_spiffe_token_fetches_total', { result: 'ok' }),
      injectRequests: delta('conjur_spiffe_conjur_requests_total', { endpoint: 'inject', status: '202' }),
      authenticateRequests: delta('conjur_spiffe_conjur_requests_total', { endpoint: 'authenticate', status: '200' }),
    }).toEqual({
      attestedOk: 4, // the workload's X.509 and token calls, the rejected pod's call, the holder's call
      notAWorkload: 1,
      issuedOk: 1,
      issuedConfirmFailed: 1,
      issuanceTimings: 1,
      tokenFetches: 1,
      injectRequests: 2,
      authenticateRequests: 1,
    });
    expect(delta('conjur_spiffe_kubelet_requests')).toBeGreaterThanOrEqual(1);
    expect(metricValue(after, 'conjur_spiffe_workload_streams')).toBeGreaterThanOrEqual(1);
    expect(metricValue(after, 'conjur_spiffe_workload_connections')).toBeGreaterThanOrEqual(1);
    expect(metricValue(after, 'conjur_spiffe_svid_cache_identities')).toBeGreaterThanOrEqual(1);
    expect(metricValue(after, 'conjur_spiffe_svid_expiry_horizon_seconds')).toBeGreaterThan(2 * 24 * 3600);

    stream.cancel();
    await closeAll(callers);
    callers = [];
    const drained = await scrape();
    expect(metricValue(drained, 'conjur_spiffe_workload_streams')).toBe(0);
  });

  it('never logs a private key, certificate material or a Conjur token, on success or failure', async () => {
    const pod = node.addPod({ namespace: 'shop', name: 'wallet-8e9f0' });
    const holder = await caller(pod);
    const x509 = await firstX509(holder);
    const token = await firstToken(holder);
    if (x509.kind !== 'message' || token.kind !== 'message') throw new Error(`no credentials: ${describeOutcome(x509)} ${describeOutcome(token)}`);
    const svid = x509.message.svids[0]!;
    // Failure paths log too: a certificate for another key, a refused authenticate.
    node.conjur.injection.mode = 'wrong-key';
    expect(describeOutcome(await firstX509(await caller(node.addPod({ namespace: 'shop', name: 'vault-1a2b3' }))))).toMatch(/^14: /);
    node.conjur.injection.mode = 'normal';
    node.conjur.failNext('authenticate', 401);
    const refused = await caller(node.addPod({ namespace: 'shop', name: 'ledger-4c5d6' }));
    // A token refusal says so (it used to say "no identity issued").
    expect(describeOutcome(await firstToken(refused))).toMatch(new RegExp(`^${status.UNAVAILABLE}: access token: conjur answered 401 .* to authenticate; next attempt`));

    expect(lines.length).toBeGreaterThan(20);
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.every((r) => typeof r['level'] === 'string' && typeof r['msg'] === 'string')).toBe(true);
    expect(records.map((r) => r['msg'])).toEqual(expect.arrayContaining(['Issued X509-SVID', 'X509-SVID issuance failed', 'Conjur authentication failed']));
    const text = lines.join('');
    expect(text).toContain(pod.spiffeId); // what should be there is there: the scan reads the real output
    const tokenJson = JSON.parse(token.message.token.toString('utf8')) as { protected: string; payload: string; signature: string };
    const secrets: Record<string, string> = {
      'a PEM block of any kind': '-----BEGIN',
      'the SVID private key (base64)': svid.x509_svid_key.toString('base64'),
      'the SVID private key (hex)': svid.x509_svid_key.toString('hex'),
      'the SVID certificate (base64)': svid.x509_svid.toString('base64'),
      'the token JSON': token.message.token.toString('utf8'),
      'the token as sent to Conjur (base64)': token.message.token.toString('base64'),
      'the token payload': tokenJson.payload,
      'the token signature': tokenJson.signature,
      'the decoded token claims': Buffer.from(tokenJson.payload, 'base64url').toString('utf8'),
    };
    const leaked = Object.entries(secrets).filter(([, value]) => text.includes(value)).map(([name]) => name);
    expect(leaked).toEqual([]);
    // Nor any other token (the agent's own): nothing shaped like a token envelope or header.
    expect(text).not.toMatch(/"protected"|"signature"|Token token=|PRIVATE KEY/);
  });
});
