import { startAgent } from '../../src/agent.js';
import type { Agent } from '../../src/agent.js';
import { loadConfig } from '../../src/config/index.js';
import type { AgentConfig, ConfigOverrides } from '../../src/config/index.js';
import { createJsonLogger, silentLogger } from '../../src/log/index.js';
import type { Logger } from '../../src/log/index.js';
import type { SimulatedNode, SimulatedPod } from './simulated-node.js';

// The real agent, configured exactly as a DaemonSet pod would be (environment + settings), but
// pointed at a SimulatedNode: its kubelet, API server (kubeconfig), Conjur, pods dir and procfs.

/** What a DaemonSet's env section and downward API would set (daemonset/daemon-set.yaml). */
export function agentEnvironment(node: SimulatedNode, agentPod: SimulatedPod): Record<string, string> {
  return {
    CONJUR_APPLIANCE_URL: node.conjur.url,
    CONJUR_AUTHN_URL: `${node.conjur.url}/authn-k8s/${node.conjur.serviceId}`,
    CONJUR_ACCOUNT: node.conjur.account,
    CONJUR_AUTHN_LOGIN: agentPod.login,
    CONJUR_CERT_FILE: node.dirs.conjurCaFile,
    MY_NODE_NAME: node.options.nodeName,
    MY_POD_NAME: agentPod.name,
    MY_POD_NAMESPACE: agentPod.namespace,
  };
}

/** The node's paths, doubles and test timings in place of the DaemonSet's mounts; ports picked by the OS. */
export function nodeAgentOverrides(node: SimulatedNode, agentPod: SimulatedPod): ConfigOverrides {
  const { dirs } = node;
  return {
    trustDomain: node.options.trustDomain,
    socketPath: node.socketPath,
    procRoot: dirs.procRoot,
    kubeletPodsDir: dirs.podsDir,
    'kubelet.url': node.kubelet.url,
    'kubelet.tokenFile': dirs.tokenFile,
    'kubelet.caFile': dirs.caFile,
    'kubelet.minRequestInterval': '50ms',
    'kubelet.newContainerWait': '2s',
    'kubernetes.kubeconfig': dirs.kubeconfig,
    'conjur.agentSslDir': agentPod.sslDir,
    'metrics.listen': '127.0.0.1:0',
    'health.listen': '127.0.0.1:0',
    shutdownGrace: '1s',
  };
}

export function nodeAgentConfig(node: SimulatedNode, agentPod: SimulatedPod, overrides: ConfigOverrides = {}): AgentConfig {
  return loadConfig({ env: agentEnvironment(node, agentPod), overrides: { ...nodeAgentOverrides(node, agentPod), ...overrides } });
}

export interface NodeAgentOptions {
  overrides?: ConfigOverrides;
  /** Log JSON lines to stderr (debugging a test); silent by default. */
  logger?: Logger;
  verbose?: boolean;
}

/** Starts the agent in this process against `node`; the agent's own pod is created if needed. */
export async function startNodeAgent(node: SimulatedNode, options: NodeAgentOptions = {}): Promise<Agent> {
  const agentPod = node.pods.get('conjur-spiffe/conjur-spiffe-agent-x7k2q') ?? node.addAgentPod();
  const config = nodeAgentConfig(node, agentPod, options.overrides);
  const logger = options.logger ?? (options.verbose ? createJsonLogger({ level: 'debug' }) : silentLogger);
  return startAgent(config, { logger });
}
