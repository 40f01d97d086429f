import type { AgentConfig } from './agent-config.js';
import type { DerivedSettings } from './derived-settings.js';
import { FIELDS as F } from './field-table.js';
import type { FieldValues } from './field-values.js';

// Assembles the AgentConfig once validation found no problem; every value is present by then.

export function toAgentConfig(v: FieldValues, derived: DerivedSettings): AgentConfig {
  const readOnlyPort = v.require(F.kubeletReadOnlyPort);
  const insecureSkipTlsVerify = v.require(F.kubeletInsecureSkipTlsVerify);
  return {
    trustDomain: v.require(F.trustDomain),
    nodeName: v.require(F.nodeName),
    podName: v.require(F.podName),
    podNamespace: v.require(F.podNamespace),
    socketPath: v.require(F.socketPath),
    socketMode: v.require(F.socketMode),
    procRoot: v.require(F.procRoot),
    kubeletPodsDir: v.require(F.kubeletPodsDir),
    attestation: {
      nestedNodes: v.require(F.attestationNestedNodes),
      maxCgroupFileBytes: v.require(F.attestationMaxCgroupFileBytes),
      maxMountinfoBytes: v.require(F.attestationMaxMountinfoBytes),
    },
    kubelet: {
      url: present(derived.kubeletUrl, 'kubelet.url'),
      readOnlyPort,
      tokenFile: readOnlyPort ? undefined : v.require(F.kubeletTokenFile),
      caFile: readOnlyPort || insecureSkipTlsVerify ? undefined : v.require(F.kubeletCaFile),
      insecureSkipTlsVerify,
      minRequestIntervalMs: v.require(F.kubeletMinRequestIntervalMs),
      newContainerWaitMs: v.require(F.kubeletNewContainerWaitMs),
      requestTimeoutMs: v.require(F.kubeletRequestTimeoutMs),
    },
    kubernetes: {
      connection: present(derived.kubernetes, 'kubernetes'),
      requestTimeoutMs: v.require(F.kubernetesRequestTimeoutMs),
    },
    conjur: {
      applianceUrl: v.require(F.conjurApplianceUrl),
      ...present(derived.authn, 'conjur.authnUrl'),
      account: v.require(F.conjurAccount),
      authnLogin: v.require(F.conjurAuthnLogin),
      sslCertificatePem: present(derived.sslCertificatePem, 'conjur.sslCertificate'),
      defaultLoginTemplate: v.get(F.conjurDefaultLoginTemplate),
      keyType: v.require(F.conjurKeyType),
      injectTimeoutMs: v.require(F.conjurInjectTimeoutMs),
      maxCertificateFileBytes: v.require(F.conjurMaxCertificateFileBytes),
      requestTimeoutMs: v.require(F.conjurRequestTimeoutMs),
      agentSslDir: v.require(F.conjurAgentSslDir),
      bundle: present(derived.bundle, 'conjur.bundleVariable'),
      tokenRefreshBeforeExpiryMs: v.require(F.conjurTokenRefreshBeforeExpiryMs),
      maxConcurrentIssuances: v.require(F.conjurMaxConcurrentIssuances),
      retryInitialMs: v.require(F.conjurRetryInitialMs),
      retryMaxMs: v.require(F.conjurRetryMaxMs),
      refusalsBeforeDenied: v.require(F.conjurRefusalsBeforeDenied),
      connectAttempts: v.require(F.conjurConnectAttempts),
    },
    svid: {
      renewAtFraction: v.require(F.svidRenewAtFraction),
      renewJitterFraction: v.require(F.svidRenewJitterFraction),
    },
    metrics: { listen: v.require(F.metricsListen) },
    health: { listen: v.require(F.healthListen) },
    log: { level: v.require(F.logLevel), debugComponents: v.require(F.logDebugComponents) },
    sds: {
      defaultSvidName: v.require(F.sdsDefaultSvidName),
      defaultBundleName: v.require(F.sdsDefaultBundleName),
      defaultAllBundlesName: v.require(F.sdsDefaultAllBundlesName),
      disableSpiffeCertValidation: v.require(F.sdsDisableSpiffeCertValidation),
    },
    limits: {
      connections: v.require(F.limitsConnections),
      connectionsPerPod: v.require(F.limitsConnectionsPerPod),
      streams: v.require(F.limitsStreams),
      streamsPerPod: v.require(F.limitsStreamsPerPod),
      streamsPerConnection: v.require(F.limitsStreamsPerConnection),
      healthWatches: v.require(F.limitsHealthWatches),
      healthWatchesPerPod: v.require(F.limitsHealthWatchesPerPod),
      handshakeTimeoutMs: v.require(F.limitsHandshakeTimeoutMs),
      idleTimeoutMs: v.require(F.limitsIdleTimeoutMs),
      httpConnections: v.require(F.limitsHttpConnections),
      httpConnectionsPerAddress: v.require(F.limitsHttpConnectionsPerAddress),
      earlyResetBurst: v.require(F.limitsEarlyResetBurst),
      earlyResetRate: v.require(F.limitsEarlyResetRate),
      earlyResetBackoffMs: v.require(F.limitsEarlyResetBackoffMs),
      earlyResetBackoffMaxMs: v.require(F.limitsEarlyResetBackoffMaxMs),
      earlyResetHeldConnections: v.require(F.limitsEarlyResetHeldConnections),
    },
    shutdownGraceMs: v.require(F.shutdownGraceMs),
  };
}

function present<T>(value: T | undefined, path: string): T {
  if (value === undefined) throw new Error(`configuration value ${path} is missing after validation`);
  return value;
}

/** Freezes the object graph, so no component can change what another one reads. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
