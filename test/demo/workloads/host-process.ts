import { X509Source } from '../../../src/client/index.js';
import type { WorkloadApiError } from '../../../src/client/index.js';
import { fail, report } from './reporting.js';

// A process on the node itself, in no pod, that finds the socket and asks for an SVID the same
// way the applications do. The agent must refuse: the kernel and the cgroup say it is not a pod.
// X509Source would keep retrying (a new pod may not be known yet); this one stops at the first
// refusal and reports it.

const stop = new AbortController();
let refusal: WorkloadApiError | undefined;
const giveUp = setTimeout(() => stop.abort(), 20_000);

try {
  const source = await X509Source.create({
    signal: stop.signal,
    onError: (error) => {
      refusal ??= error;
      stop.abort();
    },
  });
  const given = source.getX509Svid().id.toString();
  await source.close();
  fail('ask for an SVID', `the agent gave ${given} to a process outside any pod`);
} catch {
  if (!refusal) fail('ask for an SVID', 'the agent neither answered nor refused within 20 s');
  report({ event: 'refused', code: refusal.code, message: refusal.message });
}
clearTimeout(giveUp);
process.exit(0);
