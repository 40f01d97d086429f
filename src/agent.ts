import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { systemClock } from './async/index.js';
import type { Clock } from './async/index.js';
import { CgroupCallerGroups, KubernetesAttestor } from './attestation/index.js';
import type { LocateOptions, OnRefusedProcRead } from './attestation/index.js';
import type { AgentConfig } from './config/index.js';
import { ConjurAgentIdentity, ConjurBundleSource, ConjurClient, ConjurIssuer, FileBundleSource } from './conjur/index.js';
import { HealthServer } from './health/index.js';
import type { ReadinessCheck } from './health/index.js';
import { KubernetesIdentityResolver } from './identity/index.js';
import { ApiServerPodVerifier, KubeletPodSource } from './kube/index.js';
import type { KubeConfigSource, KubeletEndpoint } from './kube/index.js';
import { describeError, F } from './log/index.js';
import type { Logger } from './log/index.js';
import { AgentMetrics, instrumentAttestor, instrumentIssuer, instrumentTokenIssuer, MetricsServer } from './metrics/index.js';
import { addSdsService } from './sds/index.js';
import type { BundleSet } from './spiffe/index.js';
import { SvidCache } from './svid-cache/index.js';
import { createWorkloadApiServer, WorkloadEndpoint } from './workload-api/index.js';

// Composition root of the Conjur-backed agent: the only place that constructs adapters and
// wires them to the ports of the domain folders. Background loops (the API server watch, the
// agent's own Conjur identity, the bundle source) run until close().

// Everything `run` loads comes through this module (its configuration and logger too), so that
// the image bundle can load `run` from one file with a V8 code cache (scripts/bundle-image.mjs).
export { ConfigError, loadConfig } from './config/index.js';
export { createJsonLogger, logProcessWarnings } from './log/index.js';

export interface Agent {
  readonly socketPath: string;
  readonly endpoint: WorkloadEndpoint;
  readonly health: HealthServer;
  /** Where `/live` and `/ready` and where `/metrics` are served (the bound port when 0 was asked for). */
  readonly healthAddress: AddressInfo;
  readonly metricsAddress: AddressInfo;
  readonly cache: SvidCache;
  /** Drains: stops accepting, tells open streams, waits up to `graceMs`, removes the socket. */
  close(graceMs?: number): Promise<void>;
}

export interface AgentDeps {
  readonly logger: Logger;
  readonly clock?: Clock;
}

export async function startAgent(config: AgentConfig, deps: AgentDeps): Promise<Agent> {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger;
  const background = new AbortController();
  const conjurConfig = config.conjur;

  const pods = new KubeletPodSource({
    endpoint: toKubeletEndpoint(config),
    minRequestIntervalMs: config.kubelet.minRequestIntervalMs,
    newContainerWaitMs: config.kubelet.newContainerWaitMs,
    requestTimeoutMs: config.kubelet.requestTimeoutMs,
    clock,
    logger,
  });
  const verifier = new ApiServerPodVerifier({
    nodeName: config.nodeName,
    kubeConfig: toKubeConfigSource(config),
    requestTimeoutMs: config.kubernetes.requestTimeoutMs,
    clock,
    logger,
  });
  const metrics = new AgentMetrics();
  const attestor = instrumentAttestor(
    new KubernetesAttestor({
      procRoot: config.procRoot,
      nodeName: config.nodeName,
      cgroup: toCgroupOptions(config, (file, reason) => metrics.refusedFileReads.inc({ file, reason })),
      pods,
      verifier,
      logger,
      clock,
    }),
    metrics,
  );
  const identities = new KubernetesIdentityResolver({
    trustDomain: config.trustDomain,
    serviceId: conjurConfig.serviceId,
    ...(conjurConfig.defaultLoginTemplate ? { defaultLoginTemplate: conjurConfig.defaultLoginTemplate } : {}),
    logger,
  });

  const client = new ConjurClient(
    {
      applianceUrl: conjurConfig.applianceUrl,
      authnUrl: conjurConfig.authnUrl,
      account: conjurConfig.account,
      sslCertificatePem: conjurConfig.sslCertificatePem,
      requestTimeoutMs: conjurConfig.requestTimeoutMs,
      retry: { initialMs: 100, maxMs: 1_000, maxAttempts: conjurConfig.connectAttempts },
      maxConcurrentRequests: conjurConfig.maxConcurrentIssuances,
    },
    { clock, logger, onResponse: (endpoint, status) => metrics.conjurRequests.inc({ endpoint, status }) },
  );
  const fileBundle =
    conjurConfig.bundle.kind === 'file'
      ? new FileBundleSource({ path: conjurConfig.bundle.path, trustDomain: config.trustDomain, clock, logger })
      : undefined;
  const agentIdentity: ConjurAgentIdentity = new ConjurAgentIdentity({
    client,
    login: conjurConfig.authnLogin,
    podName: config.podName,
    podNamespace: config.podNamespace,
    trustDomain: config.trustDomain,
    certDir: conjurConfig.agentSslDir,
    keyType: conjurConfig.keyType,
    confirmTimeoutMs: conjurConfig.injectTimeoutMs,
    // The bundle is constructed below (from the variable, it needs this identity's token).
    trustBundle: { current: (): BundleSet | undefined => bundles.current(), subscribe: (signal: AbortSignal): AsyncIterable<BundleSet> => bundles.subscribe(signal) },
    clockSkew: client.skew,
    clock,
    logger,
  });
  const bundles: FileBundleSource | ConjurBundleSource =
    fileBundle ??
    new ConjurBundleSource({
      secrets: agentIdentity,
      serviceId: conjurConfig.serviceId,
      ...(conjurConfig.bundle.kind === 'variable' ? { variableId: conjurConfig.bundle.variableId } : {}),
      trustDomain: config.trustDomain,
      clock,
      logger,
    });
  const issuer = new ConjurIssuer({
    client,
    nodeName: config.nodeName,
    kubeletPodsDir: config.kubeletPodsDir,
    trustBundle: bundles,
    keyType: conjurConfig.keyType,
    confirmTimeoutMs: conjurConfig.injectTimeoutMs,
    maxCertificateFileBytes: conjurConfig.maxCertificateFileBytes,
    onRefusedFile: (reason) => metrics.refusedFileReads.inc({ file: 'client.pem', reason }),
    clockSkew: client.skew,
    clock,
    logger,
  });
  const cache = new SvidCache({
    issuer: instrumentIssuer(issuer, metrics, () => clock.now()),
    bundles,
    tokens: instrumentTokenIssuer(issuer, metrics),
    clock,
    logger,
    options: {
      renewAtFraction: config.svid.renewAtFraction,
      renewJitterFraction: config.svid.renewJitterFraction,
      failureBackoff: { initialMs: conjurConfig.retryInitialMs, maxMs: conjurConfig.retryMaxMs, refusalsBeforeDenied: conjurConfig.refusalsBeforeDenied },
      tokenRefreshBeforeExpiryMs: conjurConfig.tokenRefreshBeforeExpiryMs,
    },
  });
  // A deleted or replaced pod loses its key, certificate and token at once.
  verifier.onPodGone((podUid, reason) => {
    if (cache.evict(podUid, reason)) logger.info('Evicted credentials of a pod that is gone', { [F.podUid]: podUid, [F.reason]: reason });
  });

  const api = createWorkloadApiServer({
    attestor,
    identities,
    svids: cache,
    tokens: cache,
    logger,
    serving: false,
    limits: config.limits,
    onLimit: (limit) => metrics.limitRefusals.inc({ limit }),
    clock,
  });
  // Envoy SDS on the same socket: same attestation, same SVIDs, same limits, same shutdown.
  const sds = addSdsService(api, {
    attestor,
    identities,
    svids: cache,
    options: config.sds,
    logger,
    observer: { pushed: (trigger) => metrics.sdsPushes.inc({ trigger }), nacked: () => metrics.sdsNacks.inc() },
  });
  const endpoint = new WorkloadEndpoint(api, {
    socketPath: config.socketPath,
    socketMode: config.socketMode,
    procRoot: config.procRoot,
    groups: new CgroupCallerGroups(config.procRoot, toCgroupOptions(config)),
    logger,
    clock,
  });

  const checks: ReadinessCheck[] = [
    { name: 'kubernetes', isReady: () => verifier.isSynced, detail: () => 'the pod watch of this node is not synced with the API server' },
    {
      name: 'conjur',
      isReady: () => agentIdentity.state.kind === 'ready',
      detail: () => {
        const state = agentIdentity.state;
        return state.kind === 'failing' ? `conjur: ${state.reason}` : 'conjur: the agent has not authenticated yet';
      },
    },
    { name: 'bundle', isReady: () => bundles.current() !== undefined, detail: () => 'the trust bundle (authn-k8s CA) is not loaded yet' },
  ];
  // The probes listen on the pod IP, reachable from any pod: bounded like the socket.
  const httpLimits = {
    maxConnections: config.limits.httpConnections,
    maxConnectionsPerAddress: config.limits.httpConnectionsPerAddress,
    requestTimeoutMs: config.limits.handshakeTimeoutMs,
    onRefused: () => metrics.limitRefusals.inc({ limit: 'httpConnections' }),
  };
  const health = new HealthServer({
    host: config.health.listen.host,
    port: config.health.listen.port,
    checks,
    logger,
    limits: httpLimits,
  });
  metrics.addProbes({
    workloadConnections: () => endpoint.connectionCount,
    workloadStreams: () => endpoint.openStreamCount,
    sdsStreams: () => sds.openStreamCount,
    cachedIdentities: () => cache.size,
    svidExpiryHorizonMs: () => {
      const earliest = cache.earliestNotAfter;
      return earliest ? earliest.getTime() - clock.now() : undefined;
    },
    kubeletRequests: () => pods.stats.requests,
    conjurClockSkewMs: () => client.skew.currentMs,
    conjurRequestsWaiting: () => client.requestsInFlight.waiting,
    cachedPods: () => pods.stats.cachedPods,
  });
  const metricsServer = new MetricsServer(metrics, logger, httpLimits);

  // gRPC health mirrors /ready, so `conjur-spiffe-agent healthcheck` on the socket tells the same story.
  const stopHealthSync = syncServing(clock, () => health.readiness().ready, (ready) => api.health.setServing(ready));

  let healthAddress: AddressInfo;
  let metricsAddress: AddressInfo;
  try {
    await endpoint.listen();
    healthAddress = await health.listen();
    metricsAddress = await metricsServer.listen(config.metrics.listen.host, config.metrics.listen.port);
  } catch (error) {
    background.abort();
    stopHealthSync();
    await Promise.allSettled([endpoint.close(0), health.close(), metricsServer.close()]);
    cache.close();
    pods.close();
    client.close();
    throw error;
  }
  // Started only once the socket is ours: an agent that cannot serve (another agent owns the
  // socket path) must not log in to Conjur or watch the API server on its way out.
  const loops = [verifier.run(background.signal), agentIdentity.run(background.signal), (fileBundle ?? (bundles as ConjurBundleSource)).run(background.signal)];
  for (const loop of loops) loop.catch((error: unknown) => logger.error('Background task failed', { [F.cause]: describeError(error) }));
  // Pods already on the node are about to call: one kubelet list now serves their attestations.
  pods.prefetch();
  logger.info('Agent started', { [F.socketPath]: config.socketPath, node: config.nodeName, trustDomain: config.trustDomain.name });

  let closing: Promise<void> | undefined;
  return {
    socketPath: config.socketPath,
    endpoint,
    health,
    healthAddress,
    metricsAddress,
    cache,
    close(graceMs = config.shutdownGraceMs) {
      closing ??= (async () => {
        stopHealthSync();
        await endpoint.close(graceMs);
        background.abort();
        await Promise.allSettled(loops);
        cache.close();
        pods.close();
        client.close();
        await Promise.allSettled([health.close(), metricsServer.close()]);
        logger.info('Agent stopped', { [F.socketPath]: config.socketPath });
      })();
      return closing;
    },
  };
}

export function toKubeletEndpoint(config: AgentConfig): KubeletEndpoint {
  const kubelet = config.kubelet;
  if (kubelet.readOnlyPort) return { kind: 'read-only', url: kubelet.url };
  const tls = kubelet.insecureSkipTlsVerify || kubelet.caFile === undefined ? ({ insecureSkipVerify: true } as const) : { caPem: readFileSync(kubelet.caFile, 'utf8') };
  return { kind: 'secure', url: kubelet.url, tokenFile: kubelet.tokenFile ?? '', tls };
}

/** How attestation reads and judges /proc/<pid>/cgroup and mountinfo (attestation.*). */
export function toCgroupOptions(config: AgentConfig, onRefusedRead?: OnRefusedProcRead): LocateOptions {
  const { nestedNodes, maxCgroupFileBytes, maxMountinfoBytes } = config.attestation;
  return {
    layout: nestedNodes ? 'nested' : 'kubelet',
    maxCgroupBytes: maxCgroupFileBytes,
    maxMountinfoBytes,
    ...(onRefusedRead ? { onRefusedRead } : {}),
  };
}

export function toKubeConfigSource(config: AgentConfig): KubeConfigSource {
  const connection = config.kubernetes.connection;
  if (connection.kind === 'kubeconfig') return { kind: 'kubeconfig', path: connection.kubeconfig };
  return { kind: 'in-cluster', server: connection.apiServerUrl, tokenFile: connection.tokenFile, caFile: connection.caFile };
}

function syncServing(clock: Clock, isReady: () => boolean, apply: (ready: boolean) => void): () => void {
  let cancel = () => {};
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    apply(isReady());
    cancel = clock.setTimer(tick, 1000);
  };
  tick();
  return () => {
    stopped = true;
    cancel();
  };
}
