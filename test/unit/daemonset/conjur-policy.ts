import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node } from 'yaml';

// Just enough of Conjur's policy language to check the example policy against the manifests:
// hosts with their annotations, grants, and permits, with ids resolved against the enclosing
// `!policy` the way Conjur resolves them (relative unless they start with `/`).

export interface ConjurPolicy {
  /** Full host id (`spiffe/agent`) → annotations. */
  readonly hosts: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** Full ids of every `!policy`. */
  readonly policies: readonly string[];
  /** Role reference → the member references granted it. Refs are `kind:full-id`. */
  readonly grants: ReadonlyMap<string, readonly string[]>;
  readonly permits: readonly { readonly role: string; readonly privileges: readonly string[]; readonly resource: string }[];
  /** Every resource declared (`variable:conjur/authn-k8s/x/ca/cert`, `webservice:...`). */
  readonly resources: readonly string[];
}

export function parseConjurPolicy(text: string): ConjurPolicy {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`conjur-policy.yml: ${doc.errors[0]?.message}`);
  const policy = emptyPolicy();
  walk(doc.contents, '', policy);
  return policy;
}

type Mutable = ReturnType<typeof emptyPolicy>;
function emptyPolicy() {
  return { hosts: new Map<string, Record<string, string>>(), policies: [] as string[], grants: new Map<string, string[]>(), permits: [] as ConjurPolicy['permits'][number][], resources: [] as string[] };
}

function walk(node: unknown, prefix: string, out: Mutable): void {
  if (!isSeq(node)) return;
  for (const item of node.items) statement(item as Node, prefix, out);
}

function statement(node: Node, prefix: string, out: Mutable): void {
  const kind = (node.tag ?? '').replace(/^!/, '');
  if (isScalar(node)) {
    out.resources.push(ref(node, prefix));
    return;
  }
  if (!isMap(node)) return;
  const field = (name: string): unknown => node.get(name, true);
  const id = join(prefix, String((field('id') as { value?: unknown } | undefined)?.value ?? ''));
  switch (kind) {
    case 'policy':
      out.policies.push(id);
      walk(field('body'), id, out);
      return;
    case 'host': {
      const annotations = field('annotations');
      out.hosts.set(id, isMap(annotations) ? (annotations.toJSON() as Record<string, string>) : {});
      out.resources.push(`host:${id}`);
      return;
    }
    case 'grant': {
      const members = field('members');
      const list = isSeq(members) ? members.items.map((m) => ref(m, prefix)) : [ref(members, prefix)];
      const role = ref(field('role'), prefix);
      out.grants.set(role, [...(out.grants.get(role) ?? []), ...list]);
      return;
    }
    case 'permit': {
      const privileges = field('privilege') ?? field('privileges');
      out.permits.push({
        role: ref(field('role'), prefix),
        privileges: isSeq(privileges) ? privileges.items.map((p) => String((p as { value?: unknown }).value)) : [],
        resource: ref(field('resource'), prefix),
      });
      return;
    }
    default:
      out.resources.push(`${kind}:${id}`);
  }
}

/** `!host spiffe/agent` → `host:spiffe/agent`; `!webservice` alone → the enclosing policy's own. */
function ref(node: unknown, prefix: string): string {
  if (!isScalar(node)) return '?';
  const kind = (node.tag ?? '').replace(/^!/, '');
  const id = node.value === null || node.value === '' ? '' : String(node.value);
  return `${kind}:${id.startsWith('/') ? id.slice(1) : join(prefix, id)}`;
}

function join(prefix: string, id: string): string {
  return [prefix, id].filter((p) => p !== '').join('/');
}
