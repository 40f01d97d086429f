import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createCsr, issueCertificate, toPem } from '../../src/x509/index.js';
import { buildPod } from '../support/pod-builder.js';
import {
  AUTHENTICATE_PATH,
  HOST_ID,
  LOGIN,
  PREFIX,
  SPIFFE_ID,
  SUFFIX,
  agentCsr,
  agentPod,
  authenticate,
  inject,
  keyPem,
  newKeys,
  obtainCertificate,
  oddCsr,
  send,
  startHarness,
} from './conjur-double-harness.js';
import type { Harness } from './conjur-double-harness.js';

// The check orders and statuses of protocol §4.1 (inject) and §4.2 (authenticate), and the
// routing rules of §2.1, each row driven over HTTPS. `serverLog` shows the CONJ code Conjur
// would have logged, so each row proves it failed for the intended reason.

let h: Harness;
const DAY_MS = 24 * 60 * 60 * 1000;

beforeAll(async () => {
  h = await startHarness();
  h.conjur.addHost('apps/no-authn', { annotations: { 'authn-k8s/namespace': 'agents' }, canAuthenticate: false });
  h.conjur.addHost('apps/sidecar-only', { annotations: { 'authn-k8s/namespace': 'agents', 'authn-k8s/authentication-container-name': 'sidecar' } });
  h.conjur.addHost('apps/other-sa', { annotations: { 'authn-k8s/namespace': 'agents', 'authn-k8s/service-account': 'someone-else' } });
  h.conjur.addHost('apps/other-ns', { annotations: { 'authn-k8s/namespace': 'elsewhere' } });
  h.conjur.addHost('apps/any-in-agents', { annotations: { 'authn-k8s/namespace': 'agents', 'authn-k8s/service-account': 'cert-agent' } });
});

afterAll(async () => {
  await h.close();
});

const lastLog = () => h.conjur.serverLog.at(-1) ?? '';

describe('inject check order (§4.1)', () => {
  const keys = newKeys();
  const cases: { name: string; csr: () => Promise<string>; prefix?: string; setup?: () => () => void; status: number; code?: string }[] = [
    { name: 'a body that is no CSR', csr: async () => 'hello', status: 401, code: 'CONJ00000E' },
    { name: 'a CSR without extReq', csr: async () => oddCsr(keys, { commonName: SUFFIX, extReq: 'none' }), status: 401, code: 'CONJ00022E' },
    { name: 'an extReq without SAN', csr: async () => oddCsr(keys, { commonName: SUFFIX, extReq: 'no-san' }), status: 401 },
    { name: 'two SANs (URI and DNS)', csr: async () => oddCsr(keys, { commonName: SUFFIX, uris: [SPIFFE_ID], dnsNames: ['x'] }), status: 401 },
    { name: 'a disabled service', csr: () => agentCsr(keys), setup: () => (h.conjur.setServiceEnabled('dev', false), () => h.conjur.setServiceEnabled('dev', true)), status: 401, code: 'CONJ00004E' },
    { name: 'an unknown host', csr: () => agentCsr(keys, 'agents.service_account.nobody'), status: 401, code: 'CONJ00007E' },
    { name: 'a host without authenticate', csr: () => agentCsr(keys, 'no-authn'), prefix: 'host.apps', status: 403, code: 'CONJ00006E' },
    { name: 'a host without authenticate, for a missing pod (403 comes first)', csr: () => agentCsr(keys, 'no-authn', 'spiffe://cluster.local/namespace/agents/podname/ghost'), prefix: 'host.apps', status: 403 },
    { name: 'a Kubernetes API error on the pod', csr: () => agentCsr(keys), setup: () => (h.kubeApi.failNext(500, 1, /\/pods\/agent-x$/), () => undefined), status: 401, code: 'returned 500' },
    { name: 'a pod that does not exist', csr: () => agentCsr(keys, SUFFIX, 'spiffe://cluster.local/namespace/agents/podname/ghost'), status: 401, code: 'CONJ00024E' },
    { name: 'a namespace restriction mismatch', csr: () => agentCsr(keys, 'other-ns'), prefix: 'host.apps', status: 401, code: 'CONJ00023E' },
    { name: 'a service-account restriction mismatch', csr: () => agentCsr(keys, 'other-sa'), prefix: 'host.apps', status: 401, code: 'CONJ00026E' },
    { name: 'a missing target container', csr: () => agentCsr(keys, 'sidecar-only'), prefix: 'host.apps', status: 401, code: 'CONJ00028E' },
    {
      name: 'a missing CA key variable',
      csr: () => agentCsr(keys),
      setup: () => {
        const key = h.conjur.caKeyPem;
        h.conjur.deleteVariable('conjur/authn-k8s/dev/ca/key');
        return () => h.conjur.setVariable('conjur/authn-k8s/dev/ca/key', key);
      },
      status: 401,
      code: 'CONJ00036E',
    },
    { name: 'an exec refused by the API server', csr: () => agentCsr(keys), setup: () => (h.exec.failNext(403), () => undefined), status: 401, code: 'CONJ00071E' },
    { name: 'an error on the exec error channel', csr: () => agentCsr(keys), setup: () => (h.exec.errorNext('no sh here'), () => undefined), status: 401, code: 'CONJ00072E' },
    { name: 'a positional SAN with another trust domain and words', csr: () => agentCsr(keys, SUFFIX, 'spiffe://example.org/ns/agents/pod/agent-x'), status: 202 },
    { name: 'no Host-Id-Prefix header (default prefix)', csr: () => agentCsr(keys), prefix: undefined, status: 202 },
  ];
  for (const c of cases) {
    it(`answers ${c.status} for ${c.name}`, async () => {
      const restore = c.setup?.() ?? (() => undefined);
      try {
        const reply = await inject(h, await c.csr(), 'prefix' in c ? c.prefix : PREFIX);
        expect(reply.status).toBe(c.status);
        expect(reply.body.length).toBe(0);
        if (c.status !== 202) expect(reply.headers['content-type']).toBe('text/html');
        if (c.code) expect(lastLog()).toContain(c.code);
      } finally {
        restore();
        await h.exec.whenIdle();
      }
    });
  }

  it('accepts DER, the NEW CERTIFICATE REQUEST label and a CSR whose signature is broken', async () => {
    const der = await createCsr({ ...keys, commonName: SUFFIX, uriSan: SPIFFE_ID });
    const broken = Buffer.from(der);
    broken.writeUInt8(broken.readUInt8(broken.length - 5) ^ 0xff, broken.length - 5);
    const legacyPem = toPem(der, 'CERTIFICATE REQUEST').replace(/CERTIFICATE REQUEST/g, 'NEW CERTIFICATE REQUEST');
    for (const body of [der, legacyPem, toPem(broken, 'CERTIFICATE REQUEST')]) {
      const reply = await send(h.conjur.url, h.ca, { method: 'POST', path: '/authn-k8s/dev/inject_client_cert', headers: { 'host-id-prefix': PREFIX }, body });
      expect(reply.status).toBe(202);
    }
    await h.exec.whenIdle();
  });

  it('checks a Token header on inject (middleware text) and ignores one in another scheme', async () => {
    const csr = await agentCsr(keys);
    const token = await inject(h, csr, PREFIX, { authorization: 'Token token="bm90IGpzb24="' });
    expect([token.status, token.headers['content-type'], token.body.toString()]).toEqual([401, 'text/plain', 'Malformed authorization token']);
    expect((await inject(h, csr, PREFIX, { authorization: 'Bearer abc' })).status).toBe(202);
    await h.exec.whenIdle();
  });
});

describe('authenticate check order (§4.2)', () => {
  const keys = newKeys();
  let cert: { certPem: string; keyPem: string };

  beforeAll(async () => {
    const { pem } = await obtainCertificate(h, keys);
    cert = { certPem: pem!, keyPem: keyPem(keys) };
  });

  const path = (login: string, account = 'myorg', svc = 'dev') => `/authn-k8s/${svc}/${account}/${encodeURIComponent(login)}/authenticate`;

  it('answers 401 for an unknown account, a disabled service or an unknown login', async () => {
    expect((await authenticate(h, cert, path(LOGIN, 'otherorg'))).status).toBe(401);
    expect(lastLog()).toContain('CONJ00008E');
    expect((await authenticate(h, cert, path(LOGIN, 'myorg', 'prod'))).status).toBe(401);
    expect(lastLog()).toContain('CONJ00004E');
    expect((await authenticate(h, cert, path('host/nobody'))).status).toBe(401);
    expect(lastLog()).toContain('CONJ00007E');
  });

  it('answers 403 when the URL login lacks authenticate, before looking at the certificate', async () => {
    expect((await authenticate(h, undefined, path('host/apps/no-authn'))).status).toBe(403);
  });

  it('applies restricted_to to the client address', async () => {
    h.conjur.addHost(HOST_ID, { restrictedTo: ['10.0.0.0/8'] });
    expect((await authenticate(h, cert)).status).toBe(401);
    expect(lastLog()).toContain('CONJ00003E');
    h.conjur.addHost(HOST_ID, { restrictedTo: ['127.0.0.1'] });
    expect((await authenticate(h, cert)).status).toBe(200);
    h.conjur.addHost(HOST_ID);
  });

  it('answers 401 without a client certificate', async () => {
    expect((await authenticate(h, undefined)).status).toBe(401);
    expect(lastLog()).toContain('CONJ00029E');
  });

  it('answers 422 with an ArgumentError body for a certificate without CN, even a forged one', async () => {
    const now = new Date(h.clock.now());
    const der = issueCertificate(
      { subject: {}, subjectPublicKey: keys.publicKey, notBefore: now, notAfter: new Date(now.getTime() + DAY_MS), keyUsage: ['digitalSignature'], uriSans: [SPIFFE_ID] },
      h.ca.authority,
    );
    const reply = await authenticate(h, { certPem: toPem(der, 'CERTIFICATE'), keyPem: cert.keyPem });
    expect(reply.status).toBe(422);
    expect(reply.body.toString()).toBe('{"error":{"code":"argument_error","message":"ArgumentError"}}');
  });

  it('re-validates the pod before the signature: a forged cert for a missing pod gets 401 from Kubernetes, not the trust check', async () => {
    const forged = await h.ca.issueClientCert({ commonName: `${PREFIX}.${SUFFIX}`, uriSans: ['spiffe://cluster.local/namespace/agents/podname/ghost'] });
    expect((await authenticate(h, forged)).status).toBe(401);
    expect(lastLog()).toContain('CONJ00024E');
    const sameButRealPod = await h.ca.issueClientCert({ commonName: `${PREFIX}.${SUFFIX}`, uriSans: [SPIFFE_ID] });
    expect((await authenticate(h, sameButRealPod)).status).toBe(401);
    expect(lastLog()).toContain('CONJ00030E');
  });

  it("answers 401 for another host's certificate (CN mismatch), and 403 if that host lacks authenticate", async () => {
    const otherKeys = newKeys();
    const { pem } = await obtainCertificate(h, otherKeys, 'any-in-agents', 'host.apps');
    const other = { certPem: pem!, keyPem: keyPem(otherKeys) };
    expect((await authenticate(h, other)).status).toBe(401);
    expect(lastLog()).toContain('CONJ00031E');
    h.conjur.addHost('apps/any-in-agents', { annotations: { 'authn-k8s/namespace': 'agents' }, canAuthenticate: false });
    expect((await authenticate(h, other)).status).toBe(403);
  });

  it('treats the certificate as expired from notAfter on (notAfter <= now)', async () => {
    const issuedAt = h.clock.now();
    h.clock.set(issuedAt + 3 * DAY_MS - 1000);
    expect((await authenticate(h, cert)).status).toBe(200);
    h.clock.set(issuedAt + 3 * DAY_MS);
    expect((await authenticate(h, cert)).status).toBe(401);
    expect(lastLog()).toContain('CONJ00032E');
    h.clock.set(issuedAt);
  });

  it('answers 401 once the pod is gone', async () => {
    h.kubeApi.deletePod('agents', 'agent-x');
    try {
      expect((await authenticate(h, cert)).status).toBe(401);
    } finally {
      h.kubeApi.upsertPod({ ...buildPod(agentPod({ uid: h.agentPodUid })) });
    }
    expect((await authenticate(h, cert)).status).toBe(200);
  });
});

describe('routing and URL encoding (§2.1)', () => {
  const cases = [
    { name: 'a login with literal slashes', method: 'POST', path: `/authn-k8s/dev/myorg/${LOGIN}/authenticate`, status: 404 },
    { name: 'a service id with a dot', method: 'POST', path: '/authn-k8s/d.v/inject_client_cert', status: 404 },
    { name: 'an account with an encoded slash', method: 'POST', path: `/authn-k8s/dev/my%2Forg/${encodeURIComponent(LOGIN)}/authenticate`, status: 404 },
    { name: 'GET on inject', method: 'GET', path: '/authn-k8s/dev/inject_client_cert', status: 404 },
    { name: 'repeated and trailing slashes', method: 'POST', path: '//authn-k8s//dev/inject_client_cert/', status: 401 },
    { name: 'an unknown query parameter', method: 'POST', path: '/authn-k8s/dev/inject_client_cert?request_ip=10.1.2.3', status: 401 },
    { name: 'an unknown path', method: 'GET', path: '/info', status: 404 },
  ];
  for (const c of cases) {
    it(`answers ${c.status} for ${c.name}`, async () => {
      const reply = await send(h.conjur.url, h.ca, { method: c.method, path: c.path, body: 'not a csr' });
      expect(reply.status).toBe(c.status);
    });
  }

  it('decodes the login without turning + into a space', async () => {
    h.conjur.addHost('a+b');
    expect((await authenticate(h, undefined, '/authn-k8s/dev/myorg/host%2Fa+b/authenticate')).status).toBe(401);
    expect(lastLog()).toContain('CONJ00029E'); // host a+b was found; only the certificate is missing
  });

  it('routes the encoded login of the reference client (QueryEscape: %2F and %2A)', async () => {
    h.conjur.addHost('conjur/authn-k8s/dev/apps/agents/*/*');
    const reply = await authenticate(h, undefined, `/authn-k8s/dev/myorg/host%2Fconjur%2Fauthn-k8s%2Fdev%2Fapps%2Fagents%2F%2A%2F*/authenticate`);
    expect(reply.status).toBe(401);
    expect(lastLog()).toContain('CONJ00029E'); // got as far as the certificate: the login was found
    expect(AUTHENTICATE_PATH).toContain('host%2Fconjur');
  });
});
