import { Demo } from './demo.js';
import { Narrator } from './narrator.js';
import { messageOf } from './plain-words.js';

// `npm run demo`: a simulated Kubernetes node with Conjur, the real agent and sample applications,
// narrated step by step. Exits 0 when every step worked and everything was stopped; otherwise 1
// (130 after Ctrl-C), naming the step that failed. DEMO_TIMEOUT_SECONDS (default 60) bounds the run.

const timeoutSeconds = Number(process.env['DEMO_TIMEOUT_SECONDS'] ?? 60);
const say = Narrator.forStdout();
const controller = new AbortController();
const timer = setTimeout(() => controller.abort(new Error(`the demo took longer than ${timeoutSeconds} s`)), timeoutSeconds * 1000);
let interrupted = false;
const interrupt = () => {
  interrupted = true;
  controller.abort(new Error('interrupted'));
};
process.once('SIGINT', interrupt);
process.once('SIGTERM', interrupt);

say.banner([
  'conjur-spiffe-agent demo',
  'A Kubernetes node and a Conjur server are simulated on this machine; the agent and two sample',
  'applications run as real processes. Each application gets an identity (an X.509 certificate',
  'with a SPIFFE ID) and a Conjur access token from the agent, reads its own secret, and talks',
  'to the other over mutual TLS, with no credentials of its own.',
]);

const demo = new Demo(say, controller.signal);
let exitCode = 0;
try {
  await demo.run();
  say.success('Demo finished: both applications got their identities and secrets from the agent, and everything was stopped.');
} catch (error) {
  exitCode = interrupted ? 130 : 1;
  const where = say.current;
  const diagnostics = interrupted ? [] : demo.diagnostics();
  // Cleanup gets its own bound, so a stuck child cannot keep the demo from exiting.
  const cleanup = await Promise.race([demo.stop(), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 15_000).unref())]);
  const notes =
    cleanup === undefined
      ? ['Stopping everything took too long; leftover processes are killed as the demo exits.']
      : [...cleanup.problems, `Stopped everything the demo started${cleanup.tempDir ? ` and removed ${cleanup.tempDir}` : ''}.`];
  say.failure(`Demo FAILED at ${where}: ${messageOf(error)}`, [...diagnostics, ...notes]);
}
clearTimeout(timer);
process.exit(exitCode);
