import { Command } from 'commander';
import { devCommand, debugCommand, runCommand, validateCommand } from './agent-commands.js';
import { apiCommand } from './api-commands.js';
import { checkCommand } from './check-command.js';
import { processCliContext } from './cli-context.js';
import type { CliActions, CliContext } from './cli-context.js';
import { CliError, errorLine } from './cli-error.js';
import { healthcheckCommand } from './healthcheck-command.js';
import { helperCommand } from './helper-command.js';
import type { Runtime } from './runtime.js';

export const PROGRAM_NAME = 'conjur-spiffe-agent';

/** What a command definition gets to build its Command. */
export interface CommandDeps {
  readonly runtime: Runtime;
  readonly actions: CliActions;
  /** Marks a command that only groups others (see below). */
  readonly subcommandRequired: (command: Command) => Command;
}

/**
 * The top-level commands, in help order. A definition declares options and parses them; its
 * action imports what it runs only when it runs (`await import(...)`), so `--version`, `api`,
 * `healthcheck`, `helper` and `validate` never load the agent, the Kubernetes client or the
 * Conjur adapter (test/integration/cli-loading.test.ts holds that). A new command keeps to it.
 */
const COMMANDS: readonly ((deps: CommandDeps) => Command)[] = [
  ({ runtime, actions }) => devCommand(runtime, actions),
  ({ runtime, actions }) => runCommand(runtime, actions),
  ({ runtime, subcommandRequired }) => apiCommand(runtime, subcommandRequired),
  ({ runtime }) => healthcheckCommand(runtime),
  ({ runtime }) => helperCommand(runtime),
  ({ runtime, actions, subcommandRequired }) => debugCommand(runtime, actions, subcommandRequired),
  ({ runtime, actions }) => validateCommand(runtime, actions),
  ({ runtime, subcommandRequired }) => checkCommand(runtime, subcommandRequired),
];

/**
 * The whole command tree. Commander never exits the process (`exitOverride`) and writes only
 * through `context`, so tests run commands in-process; runCli turns the outcome into an exit
 * code. Errors (ours and commander's) are printed as exactly one `error: ...` line.
 */
export function buildCli(actions: CliActions, context: CliContext = processCliContext()): Command {
  const runtime: Runtime = {
    out: (text) => context.stdout(text),
    err: (text) => context.stderr(text),
    env: context.env,
    signal: context.signal ?? new AbortController().signal,
  };
  const program = new Command(PROGRAM_NAME)
    .description('SPIFFE Workload API agent for Kubernetes nodes, with SVIDs and access tokens from CyberArk Conjur')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.stdout(text),
      writeErr: (text) => context.stderr(text),
      // Commander adds "(Did you mean ...?)" on a second line: keep every error to one line.
      outputError: (text, write) => write(errorLine(text)),
    })
    .showSuggestionAfterError(true);
  if (context.version !== undefined) program.version(context.version, '--version', 'print the version');
  subcommandRequired(program);

  for (const define of COMMANDS) program.addCommand(define({ runtime, actions, subcommandRequired }));
  inheritSettings(program);
  return program;
}

/**
 * A command that only groups others: commander would print its whole help to stderr when no
 * subcommand is given; we say in one line what is missing instead.
 */
function subcommandRequired(command: Command): Command {
  groups.add(command);
  return command.allowExcessArguments().action((_options: unknown, self: Command) => {
    const [first] = self.args;
    const names = self.commands.map((c) => c.name()).join(', ');
    const path = commandPath(self);
    throw new CliError('usage', first !== undefined ? `unknown command '${first}' for '${path}'` : `'${path}' needs a command: ${names} (see --help)`);
  });
}

/**
 * Commands built on their own (addCommand) do not inherit the program's output settings; and
 * only groups may see extra arguments (to name an unknown subcommand), leaf commands refuse them.
 */
function inheritSettings(program: Command): void {
  const visit = (command: Command) => {
    for (const sub of command.commands) {
      sub.copyInheritedSettings(command);
      sub.allowExcessArguments(groups.has(sub));
      visit(sub);
    }
  };
  visit(program);
}

const groups = new WeakSet<Command>();

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

