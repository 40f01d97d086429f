#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { CliError, processCliContext, runCli } from './cli/index.js';
import type { CliActions } from './cli/index.js';
import type { AgentConfig, ConfigOverrides } from './config/index.js';

// Process entry: reads the environment once, turns CLI commands into agent runs, and maps the
// outcome to an exit code. Everything else is built in agent.ts / dev-agent.ts.
//
// Every action imports what it runs when it runs: `--version`, `api`, `healthcheck` and `helper`
// run in workload pods and exec probes, and must not pay for the agent, the Kubernetes client
// or the Conjur adapter they never use (test/integration/cli-loading.test.ts holds that).

const actions: CliActions = {
  async runDev(options, signal) {
    const [{ startDevAgent }, { createJsonLogger, logProcessWarnings }] = await Promise.all([import('./dev-agent.js'), import('./log/index.js')]);
    const logger = createJsonLogger({ level: 'info' });
    logProcessWarnings(logger);
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
    // The configuration and the logger come with the agent (agent.ts says why).
    const run = await import('./agent.js');
    const config = await loadOrExplain(options.configFile, undefined, run);
    const logger = run.createJsonLogger({ level: config.log.level });
    run.logProcessWarnings(logger);
    const agent = await run.startAgent(config, { logger });
    await untilAborted(signal);
    logger.info('Shutting down', { graceMs: config.shutdownGraceMs });
    await agent.close(config.shutdownGraceMs);
  },

  async debugAttest(options, signal) {
    const { debugAttestPid } = await import('./debug-attestation.js');
    const config = await loadOrExplain(options.configFile, { procRoot: options.procRoot });
    return debugAttestPid(config, options.pid, signal);
  },

  async validateConfig(options) {
    const { validateConfigFile } = await import('./config/index.js');
    return validateConfigFile(options.configFile, process.env);
  },
};

type ConfigLoader = Pick<typeof import('./config/index.js'), 'ConfigError' | 'loadConfig'>;

/** Configuration problems are printed one per line before the command fails. */
async function loadOrExplain(file: string | undefined, overrides?: ConfigOverrides, loader?: ConfigLoader): Promise<AgentConfig> {
  const { ConfigError, loadConfig } = loader ?? (await import('./config/index.js'));
  try {
    return loadConfig({ env: process.env, ...(file ? { file } : {}), ...(overrides ? { overrides } : {}) });
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
