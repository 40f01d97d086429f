import { Command } from 'commander';
import type { Runtime } from './runtime.js';

/**
 * `check pod`: reads pod manifests and says, one line each, what would keep the agent from giving
 * the pod an identity or get it refused in a `restricted` namespace. The action loads only the
 * pod-contract folder, and only when it runs: no agent, no gRPC, no Kubernetes client.
 */
export interface CheckPodOptions {
  container?: string;
  csiDriver?: string;
  policy?: string;
}

export function checkCommand(runtime: Runtime, subcommandRequired: (command: Command) => Command): Command {
  const check = subcommandRequired(new Command('check').description('Check Kubernetes manifests against what the agent needs'));
  check
    .command('pod')
    .description('Check pod manifests (Pod, or a Deployment, StatefulSet, DaemonSet, Job, CronJob pod template; YAML or JSON) against the pod contract and Pod Security restricted')
    .argument('<manifest...>', 'manifest files, any number of documents each')
    .option('--policy <file>', "the Conjur policy: each pod's injection target is then the container its own host names")
    .option('--container <name>', "the container Conjur execs into, when the policy does not say (the host's authn-k8s/authentication-container-name; default: authenticator)")
    .option('--csi-driver <name>', 'the SPIFFE CSI driver that publishes the agent socket (default: csi.spiffe.io)')
    .action(async (files: string[], options: CheckPodOptions) => (await import('./check-action.js')).checkPods(runtime, files, options));
  return check;
}
