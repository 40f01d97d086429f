import { afterAll, beforeAll, it } from '@jest/globals';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { SimulatedNode } from '../../support/simulated-node.js';
import type { SimulatedPod } from '../../support/simulated-node.js';
import type { Agent } from '../../../src/agent.js';
import { renderLogs, startRecordedAgent } from '../e2e-harness.js';
import type { LogRecord } from '../e2e-harness.js';
import { WorkloadClient } from '../../support/workload-client.js';
import { describeOutcome, first } from '../pod-caller.js';

const RELAY = String.raw`
use strict; use warnings; use IO::Socket::UNIX; use IO::Select; use Socket;
my ($listen_path, $agent_path) = @ARGV;
my $server = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $listen_path, Listen => 1) or die "listen $listen_path: $!\n";
$| = 1; print "ready\n";
my $client = $server->accept() or die "accept: $!\n";
close $server; unlink $listen_path;
my $agent = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $agent_path) or die "connect $agent_path: $!\n";
my $select = IO::Select->new($client, $agent);
while (1) {
  for my $from ($select->can_read()) {
    my $to = $from == $client ? $agent : $client;
    my $n = sysread($from, my $buffer, 65536);
    exit 0 unless $n;
    for (my $done = 0; $done < $n; ) {
      my $written = syswrite($to, $buffer, $n - $done, $done);
      exit 0 unless defined $written;
      $done += $written;
    }
  }
}
`;
let n = 0;
async function open(node: SimulatedNode, pod: SimulatedPod) {
  const dir = join(node.dirs.root, 'c2'); mkdirSync(dir, { recursive: true });
  const p = join(dir, `c${++n}.sock`);
  const child = node.spawnInPod(pod, 'perl', ['-e', RELAY, p, node.socketPath]);
  await new Promise<void>((r) => createInterface({ input: child.stdout! }).once('line', () => r()));
  return { child, client: new WorkloadClient(p) };
}
let node: SimulatedNode; let agent: Agent; let logs: LogRecord[];
beforeAll(async () => { node = await SimulatedNode.start(); ({ agent, logs } = await startRecordedAgent(node)); });
afterAll(async () => { await agent.close(500); await node.close(); });
for (let i = 0; i < 3; i++) it('profiles ' + i, async () => {
  const pod = node.addPod({ namespace: 'a', name: 'b' + i });
  const crowd = await Promise.all(Array.from({ length: 100 }, () => open(node, pod)));
  const o = await Promise.all(crowd.map((c) => first(c.client.fetchX509Svid())));
  const m = new Map<string, number>(); for (const d of o.map(describeOutcome as never) as string[]) m.set(d, (m.get(d) ?? 0) + 1);
  console.log(m, renderLogs(logs.filter(l => l.level !== 'debug' && l.level !== 'info' || /Issued X509/.test(l.message))));
  logs.length = 0;
  for (const c of crowd) c.client.close();
});
