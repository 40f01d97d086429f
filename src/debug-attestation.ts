import { toCgroupOptions, toKubeConfigSource, toKubeletEndpoint } from './agent.js';
import { systemClock } from './async/index.js';
import { debugAttest, KubernetesAttestor } from './attestation/index.js';
import type { AgentConfig } from './config/index.js';
import type { DebugAttestResult } from './cli/index.js';
import { KubernetesIdentityResolver } from './identity/index.js';
import { ApiServerPodVerifier, KubeletPodSource } from './kube/index.js';
import { silentLogger } from './log/index.js';

// `conjur-spiffe-agent debug attest`: the attestation chain of `run`, without the watch (the API
// server is asked per pod). main.ts imports this module only when that command runs.

export async function debugAttestPid(config: AgentConfig, pid: number, signal: AbortSignal): Promise<DebugAttestResult> {
  const logger = silentLogger;
  const pods = new KubeletPodSource({
    endpoint: toKubeletEndpoint(config),
    minRequestIntervalMs: 0,
    newContainerWaitMs: config.kubelet.newContainerWaitMs,
    requestTimeoutMs: config.kubelet.requestTimeoutMs,
    logger,
  });
  const verifier = new ApiServerPodVerifier({ nodeName: config.nodeName, kubeConfig: toKubeConfigSource(config), requestTimeoutMs: config.kubernetes.requestTimeoutMs, logger });
  const attestor = new KubernetesAttestor({ procRoot: config.procRoot, nodeName: config.nodeName, cgroup: toCgroupOptions(config), pods, verifier, logger, clock: systemClock });
  const resolver = new KubernetesIdentityResolver({
    trustDomain: config.trustDomain,
    serviceId: config.conjur.serviceId,
    ...(config.conjur.defaultLoginTemplate ? { defaultLoginTemplate: config.conjur.defaultLoginTemplate } : {}),
    logger,
  });
  try {
    return await debugAttest({ pid, attestor, resolver, signal });
  } finally {
    pods.close();
  }
}
