import { X509Certificate, constants, createHash, createPublicKey, publicDecrypt } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Certificate } from 'pkijs';
import { certificateFacts, parsePemCertificates } from '../../src/x509/index.js';
import { startConjur, toAuthorizationHeader } from '../doubles/conjur.js';
import type { TokenJson } from '../doubles/conjur.js';
import { LOG_FILE } from '../doubles/kube-exec.js';
import { HOST_ID, LOGIN, PREFIX, SPIFFE_ID, SUFFIX, agentCsr, authenticate, inject, keyPem, newKeys, obtainCertificate, send, startHarness } from './conjur-double-harness.js';
import type { Harness } from './conjur-double-harness.js';

// The Conjur double end to end over loopback with real clients: inject (the certificate lands in
// the pod's emptyDir through a real WebSocket exec and a real sh), authenticate over mutual TLS,
// the access token's format and signature, a secret read with that token.

let h: Harness;
const DAY_MS = 24 * 60 * 60 * 1000;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.close();
});

afterEach(() => {
  h.conjur.injection.mode = 'normal';
  h.conjur.injection.delayMs = 0;
});

const b64uJson = (part: string): unknown => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

describe('Conjur double: inject, confirm, authenticate, read a secret', () => {
  it('writes the signed certificate into the pod volume, then trades it for a token that reads a secret', async () => {
    const keys = newKeys();
    const reply = await inject(h, await agentCsr(keys));
    expect(reply.status).toBe(202);
    expect(reply.body.length).toBe(0);
    expect(reply.headers['content-length']).toBe('0');
    await h.exec.whenIdle();

    const file = join(h.sslDir, 'client.pem');
    expect(statSync(file).mode & 0o777).toBe(0o644);
    const pem = readFileSync(file, 'utf8');
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n\n$/);
    expect(readFileSync(join(h.exec.tmpDirOf(h.agentPodUid, 'authenticator'), LOG_FILE), 'utf8')).toBe('');
    expect(existsSync(`${file}.tmp`)).toBe(false);

    const facts = certificateFacts(parsePemCertificates(pem)[0]!);
    expect(facts.subjectCommonName).toBe(`${PREFIX}.${SUFFIX}`);
    expect(facts.uriSans).toEqual([SPIFFE_ID]);
    expect(facts.publicKeySpkiDer.equals(keys.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
    expect(new X509Certificate(pem).verify(new X509Certificate(h.conjur.caCertPem).publicKey)).toBe(true);

    const auth = await authenticate(h, { certPem: pem, keyPem: keyPem(keys) });
    expect(auth.status).toBe(200);
    expect(auth.headers['content-type']).toBe('application/json; charset=utf-8');
    const token = JSON.parse(auth.body.toString()) as TokenJson;

    h.conjur.setVariable('apps/db/password', 's3cr3t', { permitted: [HOST_ID] });
    const secret = await send(h.conjur.url, h.ca, { path: '/secrets/myorg/variable/apps%2Fdb%2Fpassword', headers: { authorization: toAuthorizationHeader(token) } });
    expect(secret.status).toBe(200);
    expect(secret.body.toString()).toBe('s3cr3t');
    expect(secret.headers).toMatchObject({ 'content-type': 'application/octet-stream', 'content-disposition': 'attachment', 'content-transfer-encoding': 'binary' });
    expect(h.conjur.calls).toMatchObject({ inject: 1, authenticate: 1, secrets: 1 });
  });

  it('issues certificates with Conjur profile: v3, 160-bit serial, 3 days from the clock, critical keyUsage, SKI, SAN only', async () => {
    const { pem } = await obtainCertificate(h, newKeys());
    const der = parsePemCertificates(pem!)[0]!;
    const cert = Certificate.fromBER(der);
    const x509 = new X509Certificate(der);
    expect(cert.version).toBe(2);
    expect(cert.serialNumber.valueBlock.valueHexView.length).toBeLessThanOrEqual(21);
    expect(new Date(x509.validFrom).getTime()).toBe(h.clock.now());
    expect(new Date(x509.validTo).getTime()).toBe(h.clock.now() + 3 * DAY_MS);
    expect(cert.signatureAlgorithm.algorithmId).toBe('1.2.840.113549.1.1.11');
    expect(x509.issuer).toBe(new X509Certificate(h.conjur.caCertPem).subject);
    expect(cert.extensions?.map((e) => [e.extnID, e.critical])).toEqual([
      ['2.5.29.15', true],
      ['2.5.29.14', false],
      ['2.5.29.17', false],
    ]);
    expect(certificateFacts(der)).toMatchObject({ keyUsage: ['digitalSignature', 'keyEncipherment'], keyUsageCritical: true, isCa: false, extKeyUsage: [] });
  });

  it('has an RSA-2048 CA named after the account and service, CA:TRUE and keyCertSign', () => {
    const ca = new X509Certificate(h.conjur.caCertPem);
    expect(ca.subject).toBe('CN=myorg:webservice:conjur.authn-k8s.dev\nOU=Conjur Kubernetes CA\nO=myorg');
    expect(ca.ca).toBe(true);
    expect(ca.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(certificateFacts(ca.raw).keyUsage).toEqual(['keyCertSign']);
  });

  it('makes tokens Conjur-style: padded URL-safe parts, slosilo alg and kid, iat/sub/exp in order, salted signature', async () => {
    const keys = newKeys();
    const { pem } = await obtainCertificate(h, keys);
    h.conjur.tokenTtlSeconds = 6 * 60 * 60;
    const reply = await authenticate(h, { certPem: pem!, keyPem: keyPem(keys) });
    h.conjur.tokenTtlSeconds = 480;
    const token = JSON.parse(reply.body.toString()) as TokenJson;
    expect(Object.keys(token)).toEqual(['protected', 'payload', 'signature']);
    for (const part of Object.values(token)) expect(part).toMatch(/^[A-Za-z0-9_-]*=*$/);
    expect(token.protected.length % 4).toBe(0);
    expect(b64uJson(token.protected)).toEqual({ alg: 'conjur.org/slosilo/v2', kid: h.conjur.tokenKid });
    const iat = Math.floor(h.clock.now() / 1000);
    expect(Buffer.from(token.payload, 'base64url').toString()).toBe(`{"iat":${iat},"sub":"${LOGIN}","exp":${iat + 5 * 60 * 60}}`);

    const signingKey = createPublicKey(h.conjur.tokenSigningKeyPem);
    expect(h.conjur.tokenKid).toBe(createHash('sha256').update(signingKey.export({ type: 'spki', format: 'der' })).digest('hex'));
    const signature = Buffer.from(token.signature, 'base64url');
    expect(signature.length).toBe(288);
    const digest = publicDecrypt({ key: signingKey, padding: constants.RSA_PKCS1_PADDING }, signature.subarray(0, 256));
    expect(digest.equals(createHash('sha256').update(signature.subarray(256)).update(`${token.protected}.${token.payload}`).digest())).toBe(true);
  });

  it('takes the certificate from X-SSL-Client-Certificate (URL-encoded PEM) in test mode, when TLS carries none', async () => {
    const keys = newKeys();
    const { pem } = await obtainCertificate(h, keys);
    const kubeApi = { url: h.kubeApi.url, token: 'conjur-service-account-token', caPem: h.ca.certPem };
    const proxied = await startConjur({ ca: h.ca, account: 'myorg', serviceId: 'dev', kubeApi, clock: h.clock, trustClientCertHeader: true });
    try {
      proxied.addHost(HOST_ID);
      const viaHeader = (value: string) =>
        send(proxied.url, h.ca, { method: 'POST', path: `/authn-k8s/dev/myorg/${encodeURIComponent(LOGIN)}/authenticate`, headers: { 'x-ssl-client-certificate': value } });
      expect((await viaHeader(encodeURIComponent(pem!))).status).toBe(200);
      expect((await viaHeader('')).status).toBe(401);
    } finally {
      await proxied.close();
    }
  });

  it('answers base64 when Accept-Encoding lists base64 as an element, and JSON for base64;q=1', async () => {
    const keys = newKeys();
    const { pem } = await obtainCertificate(h, keys);
    const cert = { certPem: pem!, keyPem: keyPem(keys) };
    const listed = await authenticate(h, cert, undefined, { 'accept-encoding': 'gzip, BASE64' });
    expect(listed.headers).toMatchObject({ 'content-encoding': 'base64', 'content-type': 'text/plain; charset=utf-8' });
    expect(JSON.parse(Buffer.from(listed.body.toString(), 'base64').toString())).toHaveProperty('signature');
    const weighted = await authenticate(h, cert, undefined, { 'accept-encoding': 'base64;q=1' });
    expect(weighted.headers['content-type']).toBe('application/json; charset=utf-8');
  });
});

describe('Conjur double: injection edge cases', () => {
  it('answers 202 for a container without the /etc/conjur/ssl mount, writes no file, and the log says Directory nonexistent', async () => {
    const annotations = { 'authn-k8s/namespace': 'agents', 'authn-k8s/authentication-container-name': 'app' };
    h.conjur.addHost('conjur/authn-k8s/dev/apps/agents/service_account/cert-agent-app', { annotations });
    const reply = await inject(h, await agentCsr(newKeys(), 'agents.service_account.cert-agent-app'));
    await h.exec.whenIdle();
    expect(reply.status).toBe(202);
    expect(existsSync(join(h.sslDir, 'client.pem'))).toBe(false);
    expect(readFileSync(join(h.exec.tmpDirOf(h.agentPodUid, 'app'), LOG_FILE), 'utf8')).toMatch(/cannot create \/etc\/conjur\/ssl\/client\.pem\.tmp: Directory nonexistent/);
  });

  it('answers 202 before the file appears when a delay is set, and never writes it in never mode', async () => {
    h.conjur.injection.delayMs = 150;
    const keys = newKeys();
    const delayed = await inject(h, await agentCsr(keys));
    expect(delayed.status).toBe(202);
    expect(existsSync(join(h.sslDir, 'client.pem'))).toBe(false);
    await h.conjur.whenIdle();
    await h.exec.whenIdle();
    expect(existsSync(join(h.sslDir, 'client.pem'))).toBe(true);
    rmSync(join(h.sslDir, 'client.pem'));

    h.conjur.injection.delayMs = 0;
    h.conjur.injection.mode = 'never';
    const execsBefore = h.exec.execs.length;
    const { reply, pem } = await obtainCertificate(h, keys);
    expect([reply.status, pem, h.exec.execs.length]).toEqual([202, undefined, execsBefore]);
  });

  const modes = [
    { mode: 'wrong-key' as const, check: (f: ReturnType<typeof certificateFacts>, spki: Buffer) => expect(f.publicKeySpkiDer.equals(spki)).toBe(false) },
    { mode: 'wrong-san' as const, check: (f: ReturnType<typeof certificateFacts>) => expect(f.uriSans).toEqual([`${SPIFFE_ID}-impostor`]) },
    { mode: 'wrong-cn' as const, check: (f: ReturnType<typeof certificateFacts>) => expect(f.subjectCommonName).toBe(`${PREFIX}.${SUFFIX}-impostor`) },
    { mode: 'expired' as const, check: (f: ReturnType<typeof certificateFacts>) => expect(f.notAfter.getTime()).toBeLessThan(h.clock.now()) },
  ];
  for (const { mode, check } of modes) {
    it(`injects a certificate with one thing wrong in ${mode} mode`, async () => {
      h.conjur.injection.mode = mode;
      const keys = newKeys();
      const { pem } = await obtainCertificate(h, keys);
      check(certificateFacts(parsePemCertificates(pem!)[0]!), keys.publicKey.export({ type: 'spki', format: 'der' }));
    });
  }

  it('signs with another CA of the same name in other-ca mode, which authenticate then refuses', async () => {
    h.conjur.injection.mode = 'other-ca';
    const keys = newKeys();
    const { pem } = await obtainCertificate(h, keys);
    const cert = new X509Certificate(pem!);
    expect(cert.issuer).toBe(new X509Certificate(h.conjur.caCertPem).subject);
    expect(cert.verify(new X509Certificate(h.conjur.caCertPem).publicKey)).toBe(false);
    expect((await authenticate(h, { certPem: pem!, keyPem: keyPem(keys) })).status).toBe(401);
    expect(h.conjur.serverLog.at(-1)).toContain('CONJ00030E');
  });

  it('answers 401 when the exec never closes within the exec timeout', async () => {
    h.conjur.execTimeoutMs = 200;
    h.exec.stallNext();
    const reply = await inject(h, await agentCsr(newKeys()));
    h.conjur.execTimeoutMs = 5000;
    expect(reply.status).toBe(401);
    expect(h.conjur.serverLog.at(-1)).toContain('CONJ00033E');
  });
});

describe('Conjur double: knobs for failure tests (issue 11)', () => {
  const POD = 'agents/agent-x';

  afterEach(() => {
    h.conjur.clearFaults();
    h.conjur.clockOffsetMs = 0;
    h.conjur.setPodGone('agents', 'agent-x', false);
  });

  it('applies a fault only to the pod (or host) it is scoped to, and records every request with its pod, host and outcome', async () => {
    h.conjur.fault('inject', { kind: 'status', status: 401 }, { pod: 'other/pod' });
    h.conjur.fault('inject', { kind: 'status', status: 500 }, { host: 'apps/someone-else' });
    const before = h.conjur.requestsFor({ pod: POD, route: 'inject' }).length;
    expect((await inject(h, await agentCsr(newKeys()))).status).toBe(202);
    h.conjur.fault('inject', { kind: 'status', status: 401 }, { pod: POD }, 1);
    expect((await inject(h, await agentCsr(newKeys()))).status).toBe(401);
    expect((await inject(h, await agentCsr(newKeys()))).status).toBe(202); // `times` was 1
    await h.exec.whenIdle();
    const records = h.conjur.requestsFor({ pod: POD, route: 'inject' }).slice(before);
    expect(records.map((r) => [r.route, r.pod, r.host, r.outcome])).toEqual([
      ['inject', POD, HOST_ID, 202],
      ['inject', POD, HOST_ID, 401],
      ['inject', POD, HOST_ID, 202],
    ]);
    expect(h.conjur.requestsFor({ host: LOGIN }).length).toBeGreaterThanOrEqual(3);
  });

  it('hangs a route for the scope: the request is read and never answered', async () => {
    h.conjur.fault('authenticate', { kind: 'hang' }, { host: LOGIN });
    const keys = newKeys();
    const { pem } = await obtainCertificate(h, keys);
    const pending = authenticate(h, { certPem: pem!, keyPem: keyPem(keys) });
    const outcome = await Promise.race([pending.then(() => 'answered'), new Promise((resolve) => setTimeout(() => resolve('no answer'), 500))]);
    expect(outcome).toBe('no answer');
    expect(h.conjur.requestsFor({ host: HOST_ID, route: 'authenticate' }).at(-1)?.outcome).toBe('hung');
    // The hung request ends when the double closes (afterAll).
    void pending.catch(() => undefined);
  });

  it("stamps every answer with its own clock, which tests set ahead or behind; certificates and tokens follow it", async () => {
    h.conjur.clockOffsetMs = -5 * 60_000;
    const keys = newKeys();
    const { reply, pem } = await obtainCertificate(h, keys);
    expect(Date.parse(String(reply.headers.date))).toBe(Math.floor((h.clock.now() - 5 * 60_000) / 1000) * 1000);
    const notBefore = Date.parse(new X509Certificate(pem!).validFrom);
    expect(Math.abs(notBefore - (h.clock.now() - 5 * 60_000))).toBeLessThan(2_000);
    const auth = await authenticate(h, { certPem: pem!, keyPem: keyPem(keys) });
    const claims = b64uJson((JSON.parse(auth.body.toString()) as TokenJson).payload) as { iat: number };
    expect(Math.abs(claims.iat * 1000 - (h.clock.now() - 5 * 60_000))).toBeLessThan(2_000);
  });

  it('refuses (401) a pod whose phase is not Running, and a pod Conjur sees gone while the kubelet still lists it', async () => {
    const keys = newKeys();
    const { pem } = await obtainCertificate(h, keys);
    h.conjur.setPodGone('agents', 'agent-x', true);
    expect((await authenticate(h, { certPem: pem!, keyPem: keyPem(keys) })).status).toBe(401);
    expect((await inject(h, await agentCsr(newKeys()))).status).toBe(401);
    expect(h.conjur.serverLog.at(-1)).toMatch(/CONJ00024E pod agent-x not found/);
    h.conjur.setPodGone('agents', 'agent-x', false);
    const pod = h.kubeApi.getPod('agents', 'agent-x')!;
    h.kubeApi.upsertPod({ ...pod, status: { ...(pod as unknown as { status: object }).status, phase: 'Pending' } });
    try {
      expect((await inject(h, await agentCsr(newKeys()))).status).toBe(401);
      expect(h.conjur.serverLog.at(-1)).toMatch(/not running \(phase Pending\)/);
    } finally {
      h.kubeApi.upsertPod({ ...pod });
    }
  });
});
