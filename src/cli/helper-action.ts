import { join } from 'node:path';
import { ConjurTokenSource, X509Source } from '../client/index.js';
import type { EndpointAddress } from '../client/index.js';
import { writeFileAtomic } from './atomic-write.js';
import { resolveSocket } from './resolve-socket.js';
import { toCliError } from './to-cli-error.js';
import type { Runtime } from './runtime.js';
import { PUBLIC_MODE, writeHelperLayout } from './svid-files.js';

// What `helper` does once parsed (helper-command.ts holds its command line and checks that
// at least one of --token-file and --svid-dir is given).

export interface HelperOptions {
  socket?: string;
  tokenFile?: string;
  svidDir?: string;
}

export async function runHelper(runtime: Runtime, options: HelperOptions): Promise<void> {
  const address = resolveSocket(options.socket, runtime.env);
  const loops: Promise<void>[] = [];
  if (options.tokenFile !== undefined) loops.push(keepToken(runtime, address, options.tokenFile));
  if (options.svidDir !== undefined) loops.push(keepSvids(runtime, address, options.svidDir));
  await Promise.all(loops);
}

async function keepToken(runtime: Runtime, address: EndpointAddress, file: string): Promise<void> {
  const source = await open(runtime, address, () =>
    ConjurTokenSource.create({ socket: address, signal: runtime.signal, onError: retrying(runtime) }),
  );
  if (!source) return;
  try {
    const write = async (token: { raw: Buffer; expiresAt: Date }) => {
      await writeFileAtomic(file, token.raw, PUBLIC_MODE);
      runtime.out(`Wrote Conjur access token to ${file} (expires ${token.expiresAt.toISOString()})\n`);
    };
    const updates = source.updated(runtime.signal); // taken before the first write: no refresh is missed
    await write(source.getToken());
    for await (const token of updates) await write(token);
  } catch (error) {
    if (!runtime.signal.aborted) throw toCliError(error, address);
  } finally {
    await source.close();
  }
}

async function keepSvids(runtime: Runtime, address: EndpointAddress, dir: string): Promise<void> {
  const source = await open(runtime, address, () =>
    X509Source.create({ socket: address, signal: runtime.signal, onError: retrying(runtime) }),
  );
  if (!source) return;
  try {
    const write = async () => {
      await writeHelperLayout(dir, source.getX509Context());
      const svid = source.getX509Svid();
      runtime.out(`Wrote ${svid.id} to ${join(dir, 'svid.pem')} (valid until ${svid.notAfter.toISOString()})\n`);
    };
    const updates = source.updated(runtime.signal);
    await write();
    for await (const _ of updates) await write();
  } catch (error) {
    if (!runtime.signal.aborted) throw toCliError(error, address);
  } finally {
    await source.close();
  }
}

/** Waits for the first update; undefined when stopped first. Fatal errors become CliErrors. */
async function open<S>(runtime: Runtime, address: EndpointAddress, create: () => Promise<S>): Promise<S | undefined> {
  try {
    return await create();
  } catch (error) {
    if (runtime.signal.aborted) return undefined;
    throw toCliError(error, address);
  }
}

function retrying(runtime: Runtime): (error: Error) => void {
  return (error) => runtime.err(`helper: ${error.message}; retrying\n`);
}
