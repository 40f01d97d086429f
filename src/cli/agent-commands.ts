import { isAbsolute, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { SpiffeIdError, TrustDomain } from '../spiffe/index.js';
import type { CliActions } from './cli-context.js';
import { CliError } from './cli-error.js';
import { parsePositiveDuration } from './duration.js';
import type { Runtime } from './runtime.js';

// The commands that run agent code (wired by main.ts through CliActions): `dev`, `run`,
// `debug attest`, `validate`. Here only their command lines are parsed into typed options.

export function devCommand(runtime: Runtime, actions: CliActions): Command {
  return new Command('dev')
    .description('Run a local agent with an in-memory development CA (NOT FOR PRODUCTION): each uid gets spiffe://<td>/uid/<uid>')
    .requiredOption('--socket <path>', 'Unix socket to serve the Workload API on')
    .addOption(new Option('--trust-domain <td>', 'trust domain of the issued SVIDs').default('cluster.local').argParser(parseTrustDomain))
    .addOption(new Option('--svid-ttl <duration>', 'SVID lifetime, short so rotation is visible (default: 2m)').argParser(parsePositiveDuration))
    .action(async (options: { socket: string; trustDomain: TrustDomain | string; svidTtl?: number }) => {
      const socketPath = isAbsolute(options.socket) ? options.socket : resolve(options.socket);
      const trustDomain = typeof options.trustDomain === 'string' ? parseTrustDomain(options.trustDomain) : options.trustDomain;
      await actions.runDev({ socketPath, trustDomain, svidTtlMs: options.svidTtl }, runtime.signal);
    });
}

export function runCommand(runtime: Runtime, actions: CliActions): Command {
  return new Command('run')
    .description('Run the agent: Workload API and Conjur token service on the node’s socket, SVIDs from Conjur')
    .option('--config <file>', 'YAML configuration file; environment variables fill in and override it')
    .action(async (options: { config?: string }) => {
      await actions.runAgent({ configFile: options.config }, runtime.signal);
    });
}

export function debugCommand(runtime: Runtime, actions: CliActions, subcommandRequired: (command: Command) => Command): Command {
  const debug = subcommandRequired(new Command('debug').description('Troubleshooting tools'));
  debug
    .command('attest')
    .description('Attest a local process as a Workload API call would, and print every step as JSON')
    .requiredOption('--pid <pid>', 'process id to attest', parsePid)
    .option('--proc-root <dir>', 'where the host’s /proc is mounted', '/proc')
    .option('--config <file>', 'the agent’s configuration file, as given to `run` (for the kubelet and API server settings)')
    .action(async (options: { pid: number; procRoot: string; config?: string }) => {
      const report = await actions.debugAttest({ pid: options.pid, procRoot: options.procRoot, configFile: options.config }, runtime.signal);
      runtime.out(`${JSON.stringify(report, null, 2)}\n`);
      if (!report.ok) {
        const where = report.failure ? ` at ${report.failure.step}: ${report.failure.message}` : '';
        throw new CliError('failed', `attestation of pid ${options.pid} failed${where}`);
      }
    });
  return debug;
}

export function validateCommand(runtime: Runtime, actions: CliActions): Command {
  return new Command('validate')
    .description('Check a configuration file (with the current environment) the way `run` would, without starting')
    .requiredOption('--config <file>', 'YAML configuration file to check')
    .action(async (options: { config: string }) => {
      const problems = await actions.validateConfig({ configFile: options.config });
      if (problems.length === 0) {
        runtime.out(`${options.config}: configuration is valid\n`);
        return;
      }
      for (const problem of problems) runtime.out(`${problem}\n`);
      const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
      throw new CliError('failed', `${options.config}: configuration has ${count}`);
    });
}

function parseTrustDomain(text: string): TrustDomain {
  try {
    return TrustDomain.parse(text);
  } catch (error) {
    if (error instanceof SpiffeIdError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

function parsePid(text: string): number {
  if (!/^[1-9]\d*$/.test(text)) throw new InvalidArgumentError(`"${text}" is not a process id`);
  return Number(text);
}
