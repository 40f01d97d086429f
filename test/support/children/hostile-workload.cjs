// A hostile workload for the denial-of-service tests and the "under attack" bench: run inside a
// simulated pod (or on the host), it floods the agent's socket one way and reports what came
// back as one JSON line on stdout, then holds everything open until stdin closes. Only Node
// built-ins (a gRPC call is HTTP/2 plus a 5-byte frame), so it costs one small process.
//   node hostile-workload.cjs streams CONNECTIONS STREAMS_EACH [PATH]   open streams and keep them
//   node hostile-workload.cjs idle CONNECTIONS                          connect, never send a byte
//   node hostile-workload.cjs quiet CONNECTIONS                         HTTP/2 handshake, then never a call
//   node hostile-workload.cjs reset STREAMS                             HTTP/2 Rapid Reset on one connection
const http2 = require('node:http2');
const net = require('node:net');

const [mode, a, b, path] = process.argv.slice(2);
const socketPath = process.env.SPIFFE_ENDPOINT_SOCKET.replace(/^unix:\/\//, '');
const report = (fields) => process.stdout.write(`${JSON.stringify({ pid: process.pid, mode, ...fields })}\n`);
const held = [];
const EMPTY_MESSAGE = Buffer.from([0, 0, 0, 0, 0]);

function connect() {
  const session = http2.connect('http://localhost', { createConnection: () => net.connect(socketPath) });
  session.on('error', () => {});
  held.push(session);
  return session;
}

function open(session, callPath) {
  const headers = { ':method': 'POST', ':path': callPath, 'content-type': 'application/grpc', te: 'trailers', 'workload.spiffe.io': 'true' };
  const request = session.request(headers);
  request.on('error', () => {});
  request.end(EMPTY_MESSAGE);
  return request;
}

/** Resolves with 'message', or `<grpc-status>: <grpc-message>`, or 'reset <code>' / 'closed'. */
function firstAnswer(request) {
  return new Promise((resolve) => {
    const status = (headers) => {
      if (headers['grpc-status'] !== undefined) resolve(`${headers['grpc-status']}: ${decodeURIComponent(headers['grpc-message'] || '')}`);
    };
    request.once('data', () => resolve('message'));
    request.on('response', status);
    request.on('trailers', status);
    request.once('close', () => resolve(request.rstCode ? `reset ${request.rstCode}` : 'closed'));
  });
}

function tally(answers) {
  const counts = {};
  for (const answer of answers) counts[answer] = (counts[answer] || 0) + 1;
  return counts;
}

async function streams(connections, each, callPath) {
  const pending = [];
  for (let c = 0; c < connections; c++) {
    const session = connect();
    for (let s = 0; s < each; s++) pending.push(firstAnswer(open(session, callPath)));
  }
  report({ answers: tally(await Promise.all(pending)) });
}

async function idle(connections) {
  const closed = [];
  for (let c = 0; c < connections; c++) {
    const socket = net.connect(socketPath);
    socket.on('error', () => {});
    held.push(socket);
    closed.push(new Promise((resolve) => socket.once('close', () => resolve(Date.now()))));
  }
  const started = Date.now();
  report({ connected: connections });
  const times = await Promise.all(closed);
  report({ closed: times.length, afterMs: Math.max(...times) - started });
}

async function quiet(connections) {
  const started = Date.now();
  const closed = [];
  for (let c = 0; c < connections; c++) {
    const session = connect();
    closed.push(new Promise((resolve) => session.once('close', () => resolve(Date.now()))));
  }
  report({ connected: connections });
  const times = await Promise.all(closed);
  report({ closed: times.length, afterMs: Math.max(...times) - started });
}

async function reset(count) {
  const session = connect();
  let goaway;
  session.on('goaway', (code) => (goaway = code));
  const closed = new Promise((resolve) => session.once('close', resolve));
  let sent = 0;
  for (; sent < count && !session.closed && !session.destroyed; sent++) {
    const request = open(session, callPathOr('/SpiffeWorkloadAPI/FetchX509SVID'));
    // Once HEADERS is on the wire (a stream cancelled before that is never sent at all).
    request.once('ready', () => request.close(http2.constants.NGHTTP2_CANCEL));
    if (sent % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
  report({ sent, goaway: goaway ?? null, closed: session.closed || session.destroyed });
}

function callPathOr(fallback) {
  return path || fallback;
}

const run = { streams: () => streams(Number(a), Number(b), callPathOr('/SpiffeWorkloadAPI/FetchX509SVID')), idle: () => idle(Number(a)), quiet: () => quiet(Number(a)), reset: () => reset(Number(a)) }[mode];
if (!run) {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
run().catch((error) => report({ error: error.message }));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
