import type { ChildProcess } from 'node:child_process';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { StreamReader, WorkloadClient } from '../support/workload-client.js';
import type { StreamEnd } from '../support/workload-client.js';
import type { SimulatedNode, SimulatedPod } from '../support/simulated-node.js';
import type { X509SVIDResponse__Output } from '../../src/gen/X509SVIDResponse.js';
import type { FetchConjurTokenResponse__Output } from '../../src/gen/conjur/spiffe/v1/FetchConjurTokenResponse.js';

// A caller that is a real process inside a simulated pod, cheap enough to run a hundred at once.
// The process is a few lines of Perl with no modules (5 ms and 5 MB each, where a Node workload
// costs 40 MB): it listens on a private socket, and when the test's gRPC client connects there it
// connects to the agent itself and relays bytes both ways. The agent therefore sees the Perl process as its peer: its
// own pid, its own cgroup file (placed in the pod by SimulatedNode.spawnInPod), alive until the
// test is done with it. The test drives the Workload API with the ordinary test client.

const RELAY = String.raw`
my ($listen_path, $agent_path) = @ARGV;
sub address { pack('S Z108', 1, $_[0]) }  # sockaddr_un: AF_UNIX, path
socket(my $server, 1, 1, 0) or die "socket: $!\n";  # AF_UNIX, SOCK_STREAM
bind($server, address($listen_path)) or die "bind $listen_path: $!\n";
listen($server, 1) or die "listen: $!\n";
$| = 1; print "ready\n";
accept(my $client, $server) or die "accept: $!\n";
close $server; unlink $listen_path;
socket(my $agent, 1, 1, 0) or die "socket: $!\n";
connect($agent, address($agent_path)) or die "connect $agent_path: $!\n";
my $watched = '';
vec($watched, fileno($_), 1) = 1 for $client, $agent;
while (1) {
  next if select(my $ready = $watched, undef, undef, undef) < 0;
  for ([$client, $agent], [$agent, $client]) {
    my ($from, $to) = @$_;
    next unless vec($ready, fileno($from), 1);
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

export interface PodCaller {
  /** The pid the agent sees (the relay process in the pod). */
  readonly pid: number;
  readonly client: WorkloadClient;
  readonly exited: Promise<void>;
  /** Closes the client and waits for the process to exit (it does when the connection closes). */
  close(): Promise<void>;
}

let callerCount = 0;

/** A process in `pod` (or on the host when undefined), ready to call the agent. */
export async function openPodCaller(node: SimulatedNode, pod: SimulatedPod | undefined): Promise<PodCaller> {
  const dir = join(node.dirs.root, 'callers');
  mkdirSync(dir, { recursive: true });
  const listenPath = join(dir, `caller-${++callerCount}.sock`);
  const child: ChildProcess = node.spawnInPod(pod, 'perl', ['-e', RELAY, listenPath, node.socketPath]);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', () => resolve());
    void exited.then(() => reject(new Error(`caller process exited before it was ready: ${stderr.trim()}`)));
  });
  const client = new WorkloadClient(listenPath);
  return {
    pid: child.pid!,
    client,
    exited,
    async close() {
      client.close();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function openPodCallers(node: SimulatedNode, pod: SimulatedPod | undefined, count: number): Promise<PodCaller[]> {
  return Promise.all(Array.from({ length: count }, () => openPodCaller(node, pod)));
}

export async function closeAll(callers: readonly PodCaller[]): Promise<void> {
  await Promise.all(callers.map((c) => c.close()));
}

/** What a workload got first: a message, or the status its stream ended with. */
export type Outcome<T> = { readonly kind: 'message'; readonly message: T } | ({ readonly kind: 'status' } & StreamEnd);

/** Opens a stream and waits for its first message (then cancels it) or its end. */
export async function first<T>(stream: ClientReadableStream<T>): Promise<Outcome<T>> {
  const reader = new StreamReader<T>(stream);
  try {
    const message = await reader.next();
    reader.cancel();
    return { kind: 'message', message };
  } catch {
    return { kind: 'status', ...(await reader.ended) };
  }
}

export function firstX509(caller: PodCaller): Promise<Outcome<X509SVIDResponse__Output>> {
  return first<X509SVIDResponse__Output>(caller.client.fetchX509Svid());
}

export function firstToken(caller: PodCaller): Promise<Outcome<FetchConjurTokenResponse__Output>> {
  return first<FetchConjurTokenResponse__Output>(caller.client.fetchConjurToken());
}

/** The SPIFFE ID a caller was served, or the failure as `<code>: <details>` (for table asserts). */
export function describeOutcome(outcome: Outcome<X509SVIDResponse__Output>): string {
  return outcome.kind === 'message' ? (outcome.message.svids[0]?.spiffe_id ?? 'no svid') : `${outcome.code}: ${outcome.details}`;
}
