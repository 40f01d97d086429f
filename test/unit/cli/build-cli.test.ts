import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildCli } from '../../../src/cli/index.js';
import { recordingActions, run } from './run-command.js';

/** Every command path in the tree, e.g. ['api', 'fetch', 'x509']. */
function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((sub) => [[...prefix, sub.name()], ...commandPaths(sub, [...prefix, sub.name()])]);
}

const paths = commandPaths(buildCli(recordingActions(), { stdout: () => undefined, stderr: () => undefined }));

describe('conjur-spiffe-agent --help', () => {
  it('covers every command of the issues', () => {
    expect(paths.map((p) => p.join(' ')).sort()).toEqual(
      ['api', 'api fetch', 'api fetch bundles', 'api fetch token', 'api fetch x509', 'api watch', 'check', 'check pod', 'debug', 'debug attest', 'dev', 'healthcheck', 'helper', 'run', 'validate'].sort(),
    );
  });

  for (const path of [[], ...paths]) {
    it(`prints usage for '${['conjur-spiffe-agent', ...path].join(' ')}' and exits 0`, async () => {
      const result = await run([...path, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: ${['conjur-spiffe-agent', ...path].join(' ')}`);
      expect(result.stderr).toBe('');
    });
  }

  it('prints the version', async () => {
    expect((await run(['--version'])).stdout).toBe('0.0.0-test\n');
  });
});

// Every mistake ends with exit 1 and exactly one line on stderr, starting "error: ".
const badCommandLines = [
  { name: 'an unknown command', argv: ['frobnicate'], expect: "error: unknown command 'frobnicate' for 'conjur-spiffe-agent'" },
  { name: 'a group without its command', argv: ['api'], expect: "error: 'conjur-spiffe-agent api' needs a command: fetch, watch (see --help)" },
  { name: 'an unknown subcommand', argv: ['api', 'fetch', 'jwt'], expect: "error: unknown command 'jwt' for 'conjur-spiffe-agent api fetch'" },
  { name: 'a misspelt option', argv: ['api', 'fetch', 'x509', '--sockt', '/x'], expect: "error: unknown option '--sockt' (Did you mean --socket?)" },
  { name: 'dev without --socket', argv: ['dev'], expect: "error: required option '--socket <path>' not specified" },
  { name: 'a bad trust domain', argv: ['dev', '--socket', '/tmp/s', '--trust-domain', 'Bad_TD'], expect: /^error: option '--trust-domain <td>' argument 'Bad_TD' is invalid\. trust domain characters/ },
  { name: 'a bad duration', argv: ['dev', '--socket', '/tmp/s', '--svid-ttl', '30'], expect: /^error: option '--svid-ttl <duration>' argument '30' is invalid\. "30" is not a duration/ },
  { name: 'a bad pid', argv: ['debug', 'attest', '--pid', 'abc'], expect: /"abc" is not a process id/ },
  { name: 'no socket anywhere', argv: ['api', 'fetch', 'x509'], expect: 'error: no Workload API socket: pass --socket or set SPIFFE_ENDPOINT_SOCKET' },
  { name: 'an invalid --socket', argv: ['healthcheck', '--socket', 'unix:relative.sock'], expect: /^error: invalid --socket: workload endpoint unix socket URI must not be opaque/ },
  { name: 'an invalid SPIFFE_ENDPOINT_SOCKET', argv: ['api', 'fetch', 'bundles'], env: { SPIFFE_ENDPOINT_SOCKET: 'tcp://localhost:1' }, expect: /^error: SPIFFE_ENDPOINT_SOCKET is invalid: .*must be an IP:port/ },
  { name: 'helper with nothing to keep', argv: ['helper', '--socket', '/tmp/s'], expect: 'error: helper needs --token-file, --svid-dir or both' },
  { name: 'an extra argument', argv: ['healthcheck', 'now'], expect: /^error: too many arguments for 'healthcheck'/ },
];

describe('bad command lines', () => {
  for (const c of badCommandLines) {
    it(`rejects ${c.name} with one error line and exit 1`, async () => {
      const result = await run(c.argv, { env: c.env });
      expect(result.code).toBe(1);
      expect(result.stderr.endsWith('\n')).toBe(true);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      if (typeof c.expect === 'string') expect(result.stderr).toBe(`${c.expect}\n`);
      else expect(result.stderr).toMatch(c.expect);
      expect(result.stdout).toBe('');
    });
  }

  it('names the socket when nothing listens there', async () => {
    const result = await run(['api', 'fetch', 'x509', '--socket', '/nonexistent/agent.sock']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'error: FetchX509SVID to unix:///nonexistent/agent.sock failed: cannot connect: connect ENOENT /nonexistent/agent.sock (is the agent running?)\n',
    );
  });

  it('healthcheck names the socket when nothing listens there, and when something not gRPC answers', async () => {
    expect(await run(['healthcheck', '--socket', '/nonexistent/agent.sock'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: health check to unix:///nonexistent/agent.sock failed: cannot connect: connect ENOENT /nonexistent/agent.sock (is the agent running?)\n',
    });
    const dir = mkdtempSync(join(tmpdir(), 'healthcheck-'));
    const socket = join(dir, 'web.sock');
    const server = createServer((_request, response) => response.writeHead(404).end('no'));
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      expect(await run(['healthcheck', '--socket', socket])).toEqual({
        code: 1,
        stdout: '',
        stderr: `error: health check to unix://${socket} failed: not a gRPC answer (HTTP status 404)\n`,
      });
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints an action’s failure as one line, without a stack trace', async () => {
    const actions = recordingActions({ fail: new Error('cannot listen on /run/x.sock:\n  permission denied') });
    const result = await run(['run'], { actions });
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'error: cannot listen on /run/x.sock: permission denied\n' });
  });
});

describe('agent commands', () => {
  it('passes dev its typed options, with a relative socket made absolute', async () => {
    const actions = recordingActions();
    await run(['dev', '--socket', 'agent.sock', '--trust-domain', 'example.org', '--svid-ttl', '30s'], { actions });
    const options = actions.calls[0]!.options as { socketPath: string; trustDomain: { name: string }; svidTtlMs: number };
    expect(options.socketPath).toBe(`${process.cwd()}/agent.sock`);
    expect(options.trustDomain.name).toBe('example.org');
    expect(options.svidTtlMs).toBe(30_000);
  });

  it('gives dev the default trust domain and leaves the TTL to the development CA', async () => {
    const actions = recordingActions();
    await run(['dev', '--socket', '/tmp/a.sock'], { actions });
    expect(actions.calls[0]!.options).toMatchObject({ socketPath: '/tmp/a.sock', trustDomain: { name: 'cluster.local' }, svidTtlMs: undefined });
  });

  it('passes run its configuration file', async () => {
    const actions = recordingActions();
    await run(['run', '--config', '/etc/agent.yaml'], { actions });
    expect(actions.calls).toEqual([{ action: 'runAgent', options: { configFile: '/etc/agent.yaml' } }]);
  });

  it('prints the debug attest report as JSON and fails when attestation failed', async () => {
    const report = { ok: false, pid: 42, failure: { step: 'read-cgroup', message: 'no such process' } };
    const actions = recordingActions({ report });
    const result = await run(['debug', 'attest', '--pid', '42', '--proc-root', '/host/proc'], { actions });
    expect(actions.calls).toEqual([{ action: 'debugAttest', options: { pid: 42, procRoot: '/host/proc' } }]);
    expect(JSON.parse(result.stdout)).toEqual(report);
    expect(result.stderr).toBe('error: attestation of pid 42 failed at read-cgroup: no such process\n');
    expect(result.code).toBe(1);
  });

  it('lists each configuration problem and exits 1 when the file is invalid', async () => {
    const actions = recordingActions({ problems: ['kubelet.url: must be https', 'conjur.account: is required'] });
    const result = await run(['validate', '--config', 'agent.yaml'], { actions });
    expect(result).toEqual({
      code: 1,
      stdout: 'kubelet.url: must be https\nconjur.account: is required\n',
      stderr: 'error: agent.yaml: configuration has 2 problems\n',
    });
  });

  it('says a valid configuration is valid', async () => {
    const result = await run(['validate', '--config', 'agent.yaml']);
    expect(result).toEqual({ code: 0, stdout: 'agent.yaml: configuration is valid\n', stderr: '' });
  });
});
