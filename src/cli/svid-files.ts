import { join } from 'node:path';
import { certificatesToPem, privateKeyToPem } from '../client/index.js';
import type { BundleSet, X509Context } from '../client/index.js';
import { writeFileAtomic } from './atomic-write.js';

// File layouts of the tools people already script against. Keys are 0600 (owner only),
// certificates and bundles 0644. Each write is atomic; each returns the paths it wrote.

export const KEY_MODE = 0o600;
export const PUBLIC_MODE = 0o644;

/** SPIRE's `api fetch x509 -write`: svid.N.pem, svid.N.key, bundle.N.pem, federated_bundle.N.M.pem. */
export async function writeSpireLayout(dir: string, context: X509Context): Promise<string[]> {
  const written: string[] = [];
  const write = async (name: string, data: string, mode: number) => {
    await writeFileAtomic(join(dir, name), data, mode);
    written.push(join(dir, name));
  };
  for (const [i, svid] of context.svids.entries()) {
    await write(`svid.${i}.pem`, certificatesToPem(svid.certChain), PUBLIC_MODE);
    await write(`svid.${i}.key`, privateKeyToPem(svid.privateKey), KEY_MODE);
    const own = context.bundles.get(svid.id.trustDomain.name);
    if (own) await write(`bundle.${i}.pem`, certificatesToPem(own.authorities), PUBLIC_MODE);
    const federated = [...context.bundles.values()].filter((b) => !b.trustDomain.equals(svid.id.trustDomain));
    for (const [j, bundle] of federated.entries()) {
      await write(`federated_bundle.${i}.${j}.pem`, certificatesToPem(bundle.authorities), PUBLIC_MODE);
    }
  }
  return written;
}

/** spiffe-helper's default names for the default SVID: svid.pem, svid_key.pem, svid_bundle.pem. */
export async function writeHelperLayout(dir: string, context: X509Context): Promise<string[]> {
  const svid = context.svids[0]!;
  const files: Array<[string, string, number]> = [
    ['svid.pem', certificatesToPem(svid.certChain), PUBLIC_MODE],
    ['svid_key.pem', privateKeyToPem(svid.privateKey), KEY_MODE],
    ['svid_bundle.pem', certificatesToPem(context.bundles.get(svid.id.trustDomain.name)?.authorities ?? []), PUBLIC_MODE],
  ];
  for (const [name, data, mode] of files) await writeFileAtomic(join(dir, name), data, mode);
  return files.map(([name]) => join(dir, name));
}

/** One PEM file per trust domain: bundle.<trust domain>.pem (names are safe: [a-z0-9._-]). */
export async function writeBundleFiles(dir: string, bundles: BundleSet): Promise<string[]> {
  const written: string[] = [];
  for (const bundle of bundles.values()) {
    const path = join(dir, `bundle.${bundle.trustDomain.name}.pem`);
    await writeFileAtomic(path, certificatesToPem(bundle.authorities), PUBLIC_MODE);
    written.push(path);
  }
  return written;
}
