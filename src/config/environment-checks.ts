import type { ConfigProblem } from './config-error.js';
import type { Environment } from './field-values.js';

// Node reads some variables of the agent's environment itself. These would undo what the agent's
// settings promise, so a configuration carrying them is refused like a bad setting.

export function checkEnvironment(env: Environment): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (env['NODE_TLS_REJECT_UNAUTHORIZED'] === '0') {
    problems.push({
      path: 'NODE_TLS_REJECT_UNAUTHORIZED',
      message: "is '0', which would turn off the check of the API server's certificate in client-node's watch; unset it (only the kubelet's check may be skipped, with kubelet.insecureSkipTlsVerify)",
    });
  }
  return problems;
}
