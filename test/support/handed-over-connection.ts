import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { SimulatedNode, SimulatedPod } from './simulated-node.js';

// A connection to the agent that outlives the process that opened it: a Perl process in a pod
// connects to the agent, forks, and its child (the heir) keeps the connection, relaying it to a
// private socket the test's gRPC client connects to. Killing the opener leaves the connection,
// and every stream on it, in the hands of a process the agent never attested.

const SCRIPT = String.raw`
my ($agent_path, $relay_path) = @ARGV;
sub address { pack('S Z108', 1, $_[0]) }
socket(my $agent, 1, 1, 0) or die "socket: $!\n";
connect($agent, address($agent_path)) or die "connect: $!\n";
socket(my $server, 1, 1, 0) or die "socket: $!\n";
bind($server, address($relay_path)) or die "bind: $!\n";
listen($server, 1) or die "listen: $!\n";
my $heir = fork();
die "fork: $!\n" unless defined $heir;
if ($heir) { $| = 1; print "$heir\n"; close $agent; close $server; $SIG{TERM} = sub { exit 0 }; sleep 1 while 1 }
accept(my $client, $server) or exit 1;
my ($watched, $ready) = ('');
vec($watched, fileno($_), 1) = 1 for $client, $agent;
while (1) {
  next if select($ready = $watched, undef, undef, 1) <= 0;
  for ([$client, $agent], [$agent, $client]) {
    my ($from, $to) = @$_;
    next unless vec($ready, fileno($from), 1);
    my $n = sysread($from, my $buffer, 65536);
    exit 0 unless $n;
    for (my $done = 0; $done < $n; ) { my $w = syswrite($to, $buffer, $n - $done, $done); exit 0 unless defined $w; $done += $w }
  }
}
`;

export interface HandedOverConnection {
  /** The process the agent sees as the peer (it opened the connection). */
  readonly openerPid: number;
  readonly heirPid: number;
  /** Where the test's client connects (relayed to the agent by the heir). */
  readonly relayPath: string;
  /** Ends the opener; the heir keeps the connection. */
  killOpener(): Promise<void>;
  /** Ends the heir too. */
  close(): void;
}

let count = 0;

export async function openHandedOverConnection(node: SimulatedNode, pod: SimulatedPod): Promise<HandedOverConnection> {
  const relayPath = join(node.dirs.root, `heir-${++count}.sock`);
  const opener: ChildProcess = node.spawnInPod(pod, 'perl', ['-e', SCRIPT, node.socketPath, relayPath]);
  const openerExited = new Promise<void>((resolve) => opener.once('exit', () => resolve()));
  const heirPid = await new Promise<number>((resolve, reject) => {
    createInterface({ input: opener.stdout! }).once('line', (line) => resolve(Number(line)));
    void openerExited.then(() => reject(new Error('the opener exited before it forked')));
  });
  return {
    openerPid: opener.pid!,
    heirPid,
    relayPath,
    async killOpener() {
      opener.kill('SIGTERM');
      await openerExited;
    },
    close() {
      opener.kill('SIGKILL');
      try {
        process.kill(heirPid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}
