import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PeerCredentials } from './peer.js';

/** What build/Release/peercred.node (src/peer/native/peercred.c) exports. */
export interface PeercredAddon {
  getPeerCred(fd: number): PeerCredentials;
  /** A pidfd for the peer (SO_PEERPIDFD, Linux >= 6.5), or -1 where the kernel has none. */
  getPeerPidfd(fd: number): number;
  /** False once the pidfd's process has exited. */
  isPidfdAlive(pidfd: number): boolean;
}

const ADDON_PATH = join('build', 'Release', 'peercred.node');
// This file runs from src/peer/ under ts-jest and from dist/src/peer/ after a build, so the
// package root is found by walking up to the built addon instead of a fixed number of '..'.
const MAX_LEVELS_UP = 5;

let loaded: PeercredAddon | undefined;

/** Loads the addon once; throws one line saying how to build it when it is missing. */
export function peercredAddon(): PeercredAddon {
  loaded ??= createRequire(import.meta.url)(findAddon()) as PeercredAddon;
  return loaded;
}

function findAddon(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level <= MAX_LEVELS_UP; level++) {
    const candidate = join(dir, ADDON_PATH);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`native addon ${ADDON_PATH} not found above ${fileURLToPath(import.meta.url)}: run npm ci (it builds binding.gyp)`);
}
