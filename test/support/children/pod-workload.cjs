// A workload process for end-to-end tests: it runs inside a simulated pod (its cgroup file says
// so), talks to the agent only through SPIFFE_ENDPOINT_SOCKET as any workload would, and reports
// what it got as JSON lines on stdout. Plain CommonJS so it runs without a build step.
//   node pod-workload.cjs x509            first X509-SVID, then exit
//   node pod-workload.cjs x509-hold       report every X509-SVID update until stdin closes
//   node pod-workload.cjs token-secret    first X509-SVID, first Conjur token, then read $SECRET_ID
//   node pod-workload.cjs fetch-loop N    N fetches on one channel, each: open FetchX509SVID, take the
//                                         first message, cancel (py-spiffe's fetch_x509_svid), then exit
const { createHash } = require('node:crypto');
const https = require('node:https');
const { readFileSync } = require('node:fs');
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');

const mode = process.argv[2] || 'x509';
const socket = process.env.SPIFFE_ENDPOINT_SOCKET;
const definition = loader.loadSync(['spiffe/workload/workload.proto', 'conjur/spiffe/v1/token.proto'], {
  keepCase: true, longs: String, defaults: true, includeDirs: ['proto'],
});
const pkg = grpc.loadPackageDefinition(definition);
const workload = new pkg.SpiffeWorkloadAPI(socket, grpc.credentials.createInsecure());
const tokens = new pkg.conjur.spiffe.v1.ConjurTokenService(socket, grpc.credentials.createInsecure());
const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');
const report = (fields) => process.stdout.write(`${JSON.stringify({ pid: process.pid, ...fields })}\n`);
const header = () => {
  const md = new grpc.Metadata();
  md.add('workload.spiffe.io', 'true');
  return md;
};

function firstMessage(call, step) {
  return new Promise((resolve, reject) => {
    call.once('data', (m) => resolve(m));
    call.once('error', (e) => reject(Object.assign(e, { step })));
  });
}

function describeSvid(m) {
  const svid = m.svids[0];
  return {
    event: 'svid',
    spiffeId: svid.spiffe_id,
    hint: svid.hint,
    certDer: Buffer.from(svid.x509_svid).toString('base64'),
    keySha256: sha(svid.x509_svid_key),
    bundleDer: Buffer.from(svid.bundle).toString('base64'),
  };
}

function getSecret(token) {
  const url = new URL(`${process.env.CONJUR_APPLIANCE_URL}/secrets/${process.env.CONJUR_ACCOUNT}/variable/${encodeURIComponent(process.env.SECRET_ID)}`);
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      ca: readFileSync(process.env.CONJUR_CERT_FILE),
      headers: { Authorization: `Token token="${Buffer.from(token).toString('base64')}"` },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString()) : reject(new Error(`secret read returned ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

async function fetchLoop(count) {
  let ok = 0;
  const failures = {};
  for (let i = 0; i < count; i++) {
    const call = workload.FetchX509SVID({}, header());
    try {
      await firstMessage(call, 'x509');
      ok += 1;
    } catch (e) {
      const key = `${e.code}: ${e.details}`;
      failures[key] = (failures[key] || 0) + 1;
    }
    call.cancel();
  }
  report({ event: 'fetch-loop', ok, failures });
}

async function main() {
  if (mode === 'fetch-loop') {
    await fetchLoop(Number(process.argv[3]));
    process.exit(0);
  }
  if (mode === 'x509-hold') {
    const call = workload.FetchX509SVID({}, header());
    call.on('data', (m) => report(describeSvid(m)));
    call.on('error', (e) => { report({ event: 'error', step: 'x509', code: e.code, details: e.details }); process.exit(0); });
    process.stdin.on('end', () => process.exit(0));
    process.stdin.resume();
    return;
  }
  const svid = await firstMessage(workload.FetchX509SVID({}, header()), 'x509');
  report(describeSvid(svid));
  if (mode === 'token-secret') {
    const token = await firstMessage(tokens.FetchConjurToken({}, header()), 'token');
    report({ event: 'token', login: token.login, spiffeId: token.spiffe_id, tokenSha256: sha(token.token), expiresAt: Number(token.expires_at) });
    const value = await getSecret(token.token).catch((e) => { throw Object.assign(e, { step: 'secret' }); });
    report({ event: 'secret', value });
  }
  process.exit(0);
}

main().catch((e) => {
  report({ event: 'error', step: e.step || 'unknown', code: e.code, details: e.details || e.message });
  process.exit(0);
});
