import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { status } from '@grpc/grpc-js';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { StreamReader, WorkloadClient } from '../support/workload-client.js';
import type { StreamEnd } from '../support/workload-client.js';
import type { SimulatedPod } from '../support/simulated-node.js';
import type { X509SVIDResponse__Output } from '../../src/gen/X509SVIDResponse.js';
import type { FetchConjurTokenResponse__Output } from '../../src/gen/conjur/spiffe/v1/FetchConjurTokenResponse.js';

// Callers that are real processes inside simulated pods, cheap enough to run a hundred at once.
// Each is a small Perl relay with no modules (about 5 MB, where a Node workload costs 40 MB),
// forked by one launcher process so that a hundred cost one process start: it listens on a
// private socket, and when the test's gRPC client connects there it connects to the agent itself
// and relays bytes both ways. The agent therefore sees the relay as its peer: its own pid, its
// own cgroup file (placed in the pod by the test before any byte reaches the agent), alive until
// the test closes the client. The test drives the Workload API with the ordinary test client.

const LAUNCHER = String.raw`
my ($dir, $count, $agent_path) = @ARGV;
my $launcher = $$;
my @relays;
$SIG{TERM} = sub { kill 'TERM', @relays; exit 0 };
$| = 1;
sub address { pack('S Z108', 1, $_[0]) }  # sockaddr_un: AF_UNIX, path
sub orphaned { getppid() != $launcher }    # the launcher was killed: stop too
for my $i (1 .. $count) {
  my $path = "$dir/caller-$i.sock";
  socket(my $server, 1, 1, 0) or die "socket: $!
";  # AF_UNIX, SOCK_STREAM
  bind($server, address($path)) or die "bind $path: $!
";
  listen($server, 1) or die "listen: $!
";
  my $pid = fork();
  die "fork: $!
" unless defined $pid;
  if ($pid == 0) { $SIG{TERM} = 'DEFAULT'; relay($server, $path); exit 0 }
  push @relays, $pid;
  close $server;
  print "$i $pid
";
}
1 while wait() > 0;
sub relay {
  my ($server, $path) = @_;
  my ($listening, $watched, $ready) = ('', '');
  vec($listening, fileno($server), 1) = 1;
  until (select($ready = $listening, undef, undef, 1) > 0) { exit 0 if orphaned() }
  accept(my $client, $server) or exit 1;
  close $server; unlink $path;
  socket(my $agent, 1, 1, 0) or exit 1;
  connect($agent, address($agent_path)) or exit 1;
  vec($watched, fileno($_), 1) = 1 for $client, $agent;
  while (1) {
    if (select($ready = $watched, undef, undef, 1) <= 0) { exit 0 if orphaned(); next }
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
}
`;

/** What the callers need of a node: a scratch directory, the agent's socket, and cgroup placement (SimulatedNode, RealApiNode). */
export interface CallerNode {
  readonly dirs: { readonly root: string };
  readonly socketPath: string;
  placeInPod(pid: number, pod: SimulatedPod): void;
  placeOnHost(pid: number): void;
}

export interface PodCaller {
  /** The pid the agent sees (the relay process in the pod). */
  readonly pid: number;
  readonly client: WorkloadClient;
  /** Closes the client (the relay exits when its connection closes; closeAll makes sure). */
  close(): Promise<void>;
}

let launches = 0;
const launchers = new Map<PodCaller, { child: ChildProcess; exited: Promise<void> }>();

/** `count` processes in `pod` (on the host when undefined), each ready to call the agent. */
export async function openPodCallers(node: CallerNode, pod: SimulatedPod | undefined, count: number): Promise<PodCaller[]> {
  const dir = join(node.dirs.root, 'callers', String(++launches));
  mkdirSync(dir, { recursive: true });
  const child = spawn('perl', ['-e', LAUNCHER, dir, String(count), node.socketPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const started = new Promise<never>((_, reject) => child.once('error', (error) => reject(new Error(`cannot start perl, which the pod callers need: ${error.message}`))));
  started.catch(() => {}); // only the race below reports it
  const callers: PodCaller[] = [];
  const group = { child, exited };
  const ready = new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const [index, pid] = line.split(' ').map(Number) as [number, number];
      if (pod) node.placeInPod(pid, pod);
      else node.placeOnHost(pid);
      const client = new WorkloadClient(join(dir, `caller-${index}.sock`));
      const caller: PodCaller = { pid, client, close: () => Promise.resolve(client.close()) };
      launchers.set(caller, group);
      callers.push(caller);
      if (callers.length === count) resolve();
    });
    void exited.then(() => reject(new Error(`caller launcher exited after ${callers.length} of ${count} callers: ${stderr.trim()}`)));
  });
  await Promise.race([ready, started]);
  return callers;
}

export async function openPodCaller(node: CallerNode, pod: SimulatedPod | undefined): Promise<PodCaller> {
  const [caller] = await openPodCallers(node, pod, 1);
  return caller!;
}

/** Closes the callers' clients and ends their processes (a launcher takes its relays with it). */
export async function closeAll(callers: readonly PodCaller[]): Promise<void> {
  const groups = new Set(callers.map((c) => launchers.get(c)!));
  for (const caller of callers) {
    await caller.close();
    launchers.delete(caller);
  }
  await Promise.all(
    [...groups].map(async (group) => {
      group.child.kill('SIGTERM');
      await group.exited;
    }),
  );
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

/**
 * Asks again after Unavailable, every `retryMs`, as SPIFFE clients do (go-spiffe backs off and
 * retries): the first message, or the last status once `limitMs` has passed.
 */
export async function x509WithRetries(caller: PodCaller, retryMs = 200, limitMs = 20_000): Promise<Outcome<X509SVIDResponse__Output> & { unavailable: number }> {
  const deadline = Date.now() + limitMs;
  for (let unavailable = 0; ; unavailable++) {
    const outcome = await firstX509(caller);
    if (outcome.kind === 'message' || outcome.code !== status.UNAVAILABLE || Date.now() > deadline) return { ...outcome, unavailable };
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
}

/** What a caller was served (the SVID's SPIFFE ID, the token's login) or `<code>: <details>`, for table asserts. */
export function describeOutcome(outcome: Outcome<X509SVIDResponse__Output> | Outcome<FetchConjurTokenResponse__Output>): string {
  if (outcome.kind === 'status') return `${outcome.code}: ${outcome.details}`;
  const message = outcome.message;
  return 'svids' in message ? (message.svids[0]?.spiffe_id ?? 'no svid') : message.login;
}
