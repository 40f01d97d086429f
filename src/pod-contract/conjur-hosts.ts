import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node } from 'yaml';

// The hosts of a Conjur policy file and their annotations, enough to know which container Conjur
// injects into for a pod (authn-k8s/authentication-container-name). Ids are resolved against the
// enclosing `!policy` the way Conjur does: relative unless they start with `/`.

export type ConjurHosts = ReadonlyMap<string, Readonly<Record<string, string>>>;

export class ConjurPolicyError extends Error {
  override readonly name = 'ConjurPolicyError';
  readonly code = 'not-yaml' as const;
}

/** Full host id (`spiffe/example-app`) → its annotations. Throws ConjurPolicyError on YAML errors. */
export function parseConjurHosts(text: string): ConjurHosts {
  const doc = parseDocument(text);
  const error = doc.errors[0];
  if (error !== undefined) throw new ConjurPolicyError(`not a Conjur policy: ${error.message.split('\n')[0] ?? ''}`);
  const hosts = new Map<string, Record<string, string>>();
  walk(doc.contents, '', hosts);
  return hosts;
}

function walk(node: unknown, prefix: string, hosts: Map<string, Record<string, string>>): void {
  if (!isSeq(node)) return;
  for (const item of node.items) {
    if (!isMap(item)) continue;
    const tag = (item as Node).tag;
    const idNode = item.get('id', true);
    const id = isScalar(idNode) ? String(idNode.value) : '';
    const full = id.startsWith('/') ? id.slice(1) : [prefix, id].filter((p) => p !== '').join('/');
    if (tag === '!policy') walk(item.get('body', true), full, hosts);
    if (tag === '!host') {
      const annotations = item.get('annotations', true);
      const json = isMap(annotations) ? (annotations.toJSON() as Record<string, unknown>) : {};
      hosts.set(full, Object.fromEntries(Object.entries(json).map(([k, v]) => [k, String(v)])));
    }
  }
}
