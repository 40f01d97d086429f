#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { startAgent, toCgroupOptions, toKubeConfigSource, toKubeletEndpoint } from './agent.js';
import { systemClock } from './async/index.js';
import { debugAttest, KubernetesAttestor } from './attestation/index.js';
import { CliError, processCliContext, runCli } from './cli/index.js';
import type { CliActions } from './cli/index.js';
import { ConfigError, loadConfig, validateConfigFile } from './config/index.js';
import type { AgentConfig } from './config/index.js';
import { startDevAgent } from './dev-agent.js';
import { KubernetesIdentityResolver } from './identity/index.js';
import { ApiServerPodVerifier, KubeletPodSource } from './kube/index.js';
import { createJsonLogger, silentLogger } from './log/index.js';

// Process entry: reads the environment once, turns CLI commands into agent runs, and maps the
// outcome to an exit code. Everything else is built in agent.ts / dev-agent.ts.

const actions: CliActions = {
  async runDev(options, signal) {
    const logger = createJsonLogger({ level: 'info' });
    const agent = await startDevAgent({
      socketPath: options.socketPath,
      trustDomain: options.trustDomain.name,
      ...(options.svidTtlMs === undefined ? {} : { svidTtlMs: options.svidTtlMs }),
      logger,
    });
    process.stdout.write(`Workload API ready at unix://${options.socketPath} (development CA, NOT FOR PRODUCTION)\n`);
    await untilAborted(signal);
    await agent.close();
  },

  async runAgent(options, signal) {
    const config = loadOrExplain(() => loadConfig({ env: process.env, ...(options.configFile ? { file: options.configFile } : {}) }));
    const logger = createJsonLogger({ level: config.log.level });
    const agent = await startAgent(config, { logger });
    await untilAborted(signal);
    logger.info('Shutting down', { graceMs: config.shutdownGraceMs });
    await agent.close(config.shutdownGraceMs);
  },

  async debugAttest(options, signal) {
    const config = loadOrExplain(() =>
      loadConfig({ env: process.env, ...(options.configFile ? { file: options.configFile } : {}), overrides: { procRoot: options.procRoot } }),
    );
    const { attestor, resolver, close } = debugAttestation(config);
    try {
      return await debugAttest({ pid: options.pid, attestor, resolver, signal });
    } finally {
      close();
    }
  },

  validateConfig(options) {
    return validateConfigFile(options.configFile, process.env);
  },
};

/** The attestation chain of `run`, without the watch: the API server is asked per pod. */
function debugAttestation(config: AgentConfig) {
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
  return { attestor, resolver, close: () => pods.close() };
}

/** Configuration problems are printed one per line before the command fails. */
function loadOrExplain(load: () => AgentConfig): AgentConfig {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const line of error.lines()) process.stderr.write(`error: ${line}\n`);
    const count = error.problems.length;
    throw new CliError('failed', `the agent did not start: ${count} configuration problem${count === 1 ? '' : 's'}`);
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** From dist/src/main.js (installed) or src/main.ts (a checkout), package.json is above. */
function packageVersion(): string {
  for (const path of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'conjur-spiffe-agent' && pkg.version) return pkg.version;
    } catch {
      // try the next place
    }
  }
  return 'unknown';
}

process.exitCode = await runCli(process.argv.slice(2), actions, { ...processCliContext(), version: packageVersion() });
