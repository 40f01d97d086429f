import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { startDevAgent } from '../../src/dev-agent.js';
import { recordingLogger } from '../fakes/recording-logger.js';
import { FakeAttestor } from '../fakes/fake-attestor.js';
import { FakeIdentityResolver } from '../fakes/fake-identity-resolver.js';
import { createWorkloadApiServer, WorkloadEndpoint } from '../../src/workload-api/index.js';
import { WorkloadClient } from '../support/workload-client.js';
import { AttestationError } from '../../src/attestation/index.js';
import { addSdsService, DEFAULT_SDS_OPTIONS, SECRET_TYPE_URL, SPIFFE_VALIDATOR_NAME } from '../../src/sds/index.js';
import type { SdsObserver, SdsOptions, SdsService } from '../../src/sds/index.js';
import { FakeSvidSubscriptions } from '../fakes/fake-svid-subscriptions.js';
import { SdsClient } from '../support/sds-client.js';
import type { DecodedResponse, DecodedSecret } from '../support/sds-client.js';
import { eventually, startTestEndpoint } from '../support/workload-endpoint-fixture.js';
import type { TestEndpoint } from '../support/workload-endpoint-fixture.js';

// Envoy SDS on the Workload API socket, driven over the real Unix socket by a client that sends
// no security header (as Envoy). The caller is this test process, attested from the kernel.

const uid = process.getuid!();
const ownId = `spiffe://example.org/uid/${uid}`;

function pemCertificates(pem: string): X509Certificate[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g)].map((m) => new X509Certificate(m[0]));
}

function secretNamed(response: DecodedResponse, name: string): DecodedSecret {
  const secret = response.secrets.find((s) => s.name === name);
  if (!secret) throw new Error(`no secret named ${name} in ${response.secrets.map((s) => s.name).join(', ')}`);
  return secret;
}

/** The certificate chain verifies against the bundle and the key is the leaf's. */
function expectUsableSvid(certificate: DecodedSecret, bundlePem: string): X509Certificate {
  const [leaf] = pemCertificates(certificate.certificateChainPem!);
  const [root] = pemCertificates(bundlePem);
  expect(leaf!.verify(root!.publicKey)).toBe(true);
  expect(leaf!.checkPrivateKey(createPrivateKey(certificate.privateKeyPem!))).toBe(true);
  expect(leaf!.subjectAltName).toBe(`URI:${ownId}`);
  return leaf!;
}

describe('Envoy SDS on the Workload API socket', () => {
  let svids: FakeSvidSubscriptions;
  let t: TestEndpoint;
  let sds: SdsService;
  let client: SdsClient;
  let events: { pushed: string[]; nacks: number };

  const start = async (options: SdsOptions = DEFAULT_SDS_OPTIONS) => {
    t = await startTestEndpoint(svids);
    events = { pushed: [], nacks: 0 };
    const observer: SdsObserver = { pushed: (trigger) => events.pushed.push(trigger), nacked: () => events.nacks++ };
    sds = addSdsService(t.api, { attestor: t.attestor, identities: t.identities, svids, options, logger: t.logger, observer });
    client = new SdsClient(t.socketPath);
  };

  beforeAll(async () => {
    svids = await FakeSvidSubscriptions.create();
  });
  afterEach(async () => {
    client?.close();
    await t?.close();
    expect(svids.active).toBe(0);
  });

  it('serves default and ROOTCA on one stream, then ALL on the same stream after an ACK', async () => {
    await start();
    const stream = client.stream();
    stream.send({ resource_names: ['default', 'ROOTCA'] });
    const first = await stream.next();
    expect(first.typeUrl).toBe(SECRET_TYPE_URL);
    expect(first.secrets.map((s) => [s.name, s.kind])).toEqual([['default', 'tls_certificate'], ['ROOTCA', 'validation_context']]);
    const rootca = secretNamed(first, 'ROOTCA').spiffeValidator!;
    expect(rootca.name).toBe(SPIFFE_VALIDATOR_NAME);
    expect(rootca.config.trust_domains.map((d) => d.name)).toEqual(['example.org']);
    expectUsableSvid(secretNamed(first, 'default'), rootca.config.trust_domains[0]!.trust_bundle!.inline_bytes!.toString());

    // The ACK gets no answer: the next response is the one for the new names.
    stream.ack(first, ['default', 'ROOTCA']);
    stream.send({ resource_names: ['default', 'ROOTCA', 'ALL'], version_info: first.versionInfo, response_nonce: first.nonce });
    const second = await stream.next();
    expect(second.secrets.map((s) => s.name)).toEqual(['default', 'ROOTCA', 'ALL']);
    expect(second.nonce).not.toBe(first.nonce);
    expect(second.versionInfo).not.toBe(first.versionInfo);
    expect(events.pushed).toEqual(['request', 'request']);
    expect(sds.openStreamCount).toBe(1);
    stream.cancel();
    await eventually(() => sds.openStreamCount === 0 && t.endpoint.openStreamCount === 0);
  });

  it('pushes a renewal and a bundle change to the open stream as new versions', async () => {
    await start();
    const stream = client.stream();
    stream.send({ resource_names: ['default', 'ALL'] });
    const first = await stream.next();
    stream.ack(first, ['default', 'ALL']);
    const identity = t.identities.resolve({ kind: 'unix', process: { pid: process.pid, uid, gid: process.getgid!() } })!;
    const renewed = await svids.rotate(identity);
    const afterRenewal = await stream.next();
    expect(afterRenewal.versionInfo).not.toBe(first.versionInfo);
    const leaf = pemCertificates(secretNamed(afterRenewal, 'default').certificateChainPem!)[0]!;
    expect(leaf.serialNumber).toBe(new X509Certificate(renewed.certChain[0]!).serialNumber);
    stream.ack(afterRenewal, ['default', 'ALL']);

    const partnerRoot = Buffer.from(svids.ca.certDer);
    await svids.federate('partner.example', [partnerRoot]);
    const afterBundle = await stream.next();
    expect(afterBundle.versionInfo).not.toBe(afterRenewal.versionInfo);
    expect(secretNamed(afterBundle, 'ALL').spiffeValidator!.config.trust_domains.map((d) => d.name)).toEqual(['example.org', 'partner.example']);
    expect(events.pushed).toEqual(['request', 'update', 'update']);
    stream.cancel();
    await svids.setBundles(new Map([[svids.trustDomain.name, svids.ownBundle()]]));
  });

  it('logs a NACK with the client\'s error and does not send the rejected content again', async () => {
    await start();
    const stream = client.stream();
    stream.send({ resource_names: ['default'] });
    const first = await stream.next();
    stream.send({ resource_names: ['default'], response_nonce: first.nonce, error_detail: { code: 3, message: 'Failed to load certificate chain' } });
    // Answered: the changed names. Not answered: the NACK itself (the next response is this one).
    stream.send({ resource_names: ['default', 'ROOTCA'], response_nonce: first.nonce });
    const second = await stream.next();
    expect(second.secrets.map((s) => s.name)).toEqual(['default', 'ROOTCA']);
    expect(events.nacks).toBe(1);
    const nackLog = t.logs.find((r) => r.message === 'Client rejected secrets');
    expect(nackLog?.level).toBe('warn');
    expect(nackLog?.fields).toMatchObject({ reason: 'Failed to load certificate chain', versionInfo: first.versionInfo, resourceNames: ['default'] });
    // Every SDS log line so far (debug included): no key material, in PEM or in base64.
    const keyBody = secretNamed(first, 'default').privateKeyPem!.split('\n')[1]!;
    const logged = JSON.stringify(t.logs);
    expect(t.logs.some((r) => r.message === 'Sent secrets' && r.level === 'debug')).toBe(true);
    expect(logged).not.toContain('PRIVATE KEY');
    expect(logged).not.toContain(keyBody);
    stream.cancel();
  });

  it('gives every secret of the caller when no names are asked, and unknown names nothing', async () => {
    await start();
    const stream = client.stream();
    stream.send({ resource_names: [] });
    const all = await stream.next();
    expect(all.secrets.map((s) => s.name)).toEqual(['spiffe://example.org', ownId]);
    stream.ack(all, []);
    stream.send({ resource_names: ['spiffe://example.org/uid/0-not-me', 'nothing'], version_info: all.versionInfo, response_nonce: all.nonce });
    const none = await stream.next();
    expect(none.secrets).toEqual([]);
    stream.cancel();
  });

  it('gives an Envoy older than 1.18, or every client with the validator off, plain trusted_ca', async () => {
    await start({ ...DEFAULT_SDS_OPTIONS, disableSpiffeCertValidation: true });
    const fetched = await client.fetch({ type_url: SECRET_TYPE_URL, resource_names: ['ROOTCA', 'ALL'] });
    expect(fetched.secrets.map((s) => [s.name, s.trustedCaPem !== undefined, s.spiffeValidator])).toEqual([['ROOTCA', true, undefined], ['ALL', true, undefined]]);
    client.close();
    await t.close();
    await start();
    const old = { user_agent_name: 'envoy', user_agent_build_version: { version: { major_number: 1, minor_number: 17, patch: 4 } } };
    const fromOld = await client.fetch({ type_url: SECRET_TYPE_URL, resource_names: ['ROOTCA'], node: old });
    expect(fromOld.secrets[0]!.trustedCaPem).toContain('BEGIN CERTIFICATE');
    expect(fromOld.secrets[0]!.spiffeValidator).toBeUndefined();
  });

  it('answers FetchSecrets once with the current secrets, the content version and no nonce', async () => {
    await start();
    const fetched = await client.fetch({ type_url: SECRET_TYPE_URL, resource_names: ['default', 'ROOTCA'] });
    expect(fetched.nonce).toBe('');
    expect(fetched.secrets.map((s) => s.name)).toEqual(['default', 'ROOTCA']);
    const stream = client.stream();
    stream.send({ resource_names: ['default', 'ROOTCA'] });
    expect((await stream.next()).versionInfo).toBe(fetched.versionInfo);
    stream.cancel();
  });

  const failures: { name: string; arrange: (t: TestEndpoint) => void; code: status; details: string }[] = [
    { name: 'PermissionDenied for a caller without identity', arrange: (e) => e.identities.deny(uid), code: status.PERMISSION_DENIED, details: 'no identity issued' },
    { name: 'Unavailable when attestation cannot finish', arrange: (e) => e.attestor.failWith(new AttestationError('unavailable', 'kubelet down')), code: status.UNAVAILABLE, details: 'workload attestation failed' },
  ];
  for (const f of failures) {
    it(`ends StreamSecrets and FetchSecrets with ${f.name}, as FetchX509SVID`, async () => {
      await start();
      f.arrange(t);
      const stream = client.stream();
      stream.send({ resource_names: ['default'] });
      expect(await stream.failure()).toMatchObject({ code: f.code, details: f.details });
      await expect(client.fetch({ resource_names: ['default'] })).rejects.toMatchObject({ code: f.code, details: f.details });
    });
  }

  it('refuses another xDS type with InvalidArgument, and DeltaSecrets with Unimplemented', async () => {
    await start();
    const stream = client.stream();
    stream.send({ type_url: 'type.googleapis.com/envoy.config.cluster.v3.Cluster', resource_names: [] });
    expect(await stream.failure()).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(await client.delta()).toMatchObject({ code: status.UNIMPLEMENTED });
  });

  it('ends open SDS streams with Unavailable when the agent shuts down', async () => {
    await start();
    const stream = client.stream();
    stream.send({ resource_names: ['default'] });
    await stream.next();
    const closing = t.endpoint.close(1000);
    expect(await stream.failure()).toMatchObject({ code: status.UNAVAILABLE, details: 'agent shutting down' });
    await closing;
  });
});

describe('Envoy SDS in dev mode', () => {
  it('serves the caller its development SVID and bundle over SDS on the dev socket', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sds-dev-'));
    const agent = await startDevAgent({ socketPath: join(dir, 'agent.sock'), trustDomain: 'dev.local', logger: recordingLogger() });
    const client = new SdsClient(agent.socketPath);
    try {
      const fetched = await client.fetch({ type_url: SECRET_TYPE_URL, resource_names: ['default', 'ROOTCA'] });
      const [certificate, rootca] = fetched.secrets;
      expect(rootca!.spiffeValidator!.config.trust_domains.map((d) => d.name)).toEqual(['dev.local']);
      const [leaf] = pemCertificates(certificate!.certificateChainPem!);
      expect(leaf!.subjectAltName).toBe(`URI:spiffe://dev.local/uid/${uid}`);
      expect(leaf!.checkPrivateKey(createPrivateKey(certificate!.privateKeyPem!))).toBe(true);
    } finally {
      client.close();
      await agent.close(1000);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Envoy SDS under the Workload API limits', () => {
  it('counts SDS streams and Workload API streams against the same per-pod bound', async () => {
    const svids = await FakeSvidSubscriptions.create();
    const dir = await mkdtemp(join(tmpdir(), 'sds-limits-'));
    const logger = recordingLogger();
    const attestor = new FakeAttestor();
    const identities = new FakeIdentityResolver();
    const api = createWorkloadApiServer({ attestor, identities, svids, logger, limits: { streamsPerPod: 2 } });
    addSdsService(api, { attestor, identities, svids, options: DEFAULT_SDS_OPTIONS, logger });
    const endpoint = new WorkloadEndpoint(api, { socketPath: join(dir, 'agent.sock'), logger });
    await endpoint.listen();
    const sds = new SdsClient(endpoint.socketPath);
    const workload = new WorkloadClient(endpoint.socketPath);
    try {
      const x509 = workload.fetchX509Svid();
      const firstX509 = new Promise((resolve, reject) => x509.once('data', resolve).once('error', reject));
      await firstX509;
      const first = sds.stream();
      first.send({ resource_names: ['default'] });
      await first.next();
      // The caller (this process, one uid) holds two calls: the third, an SDS stream, is refused.
      const third = sds.stream();
      third.send({ resource_names: ['default'] });
      expect(await third.failure()).toMatchObject({ code: status.RESOURCE_EXHAUSTED, details: expect.stringContaining('limits.streamsPerPod') });
      x509.cancel();
      first.cancel();
    } finally {
      sds.close();
      workload.close();
      await endpoint.close(1000);
      await rm(dir, { recursive: true, force: true });
    }
    expect(svids.active).toBe(0);
  });
});
