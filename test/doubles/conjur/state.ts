import { ConjurDenial } from './http.js';

// The slice of a Conjur database the double needs: one account (the server's CONJUR_ACCOUNT,
// which has its admin user), authn-k8s services (a webservice each, enabled or not), hosts with
// annotations, `authenticate` and `restricted_to`, and variables with versions, a mime type and
// read/execute grants. Per-service CAs are the variables `conjur/authn-k8s/<svc>/ca/cert` and
// `ca/key`, exactly where Conjur keeps them, so "CA missing" is just a deleted variable.

export interface HostOptions {
  /** In policy order; `authn-k8s/...` restrictions and container-name annotations (§6). */
  readonly annotations?: Record<string, string>;
  /** `authenticate` on every authn-k8s webservice of the account (default true). */
  readonly canAuthenticate?: boolean;
  /** CIDRs (or bare IPs) the host may authenticate from; none = anywhere. */
  readonly restrictedTo?: readonly string[];
}

export interface HostRecord {
  readonly id: string;
  readonly annotations: Record<string, string>;
  readonly canAuthenticate: boolean;
  readonly restrictedTo: readonly string[];
}

export interface VariableRecord {
  readonly id: string;
  /** Version n is `versions[n - 1]`; empty = the variable exists but has no value. */
  versions: Buffer[];
  mimeType: string | undefined;
  /** Host ids that may fetch the value (execute implies read). */
  readonly execute: Set<string>;
  /** Host ids that can see the variable but not fetch it. */
  readonly read: Set<string>;
}

/** `host/a/b` and `a/b` both name host `a/b` (a host id is never written with its kind). */
export function hostIdOf(idOrLogin: string): string {
  return idOrLogin.startsWith('host/') ? idOrLogin.slice('host/'.length) : idOrLogin;
}

export class ConjurState {
  readonly hosts = new Map<string, HostRecord>();
  readonly variables = new Map<string, VariableRecord>();
  /** authn-k8s service id → enabled (listed in CONJUR_AUTHENTICATORS). Present = webservice exists. */
  readonly services = new Map<string, boolean>();
  /**
   * Pods (`namespace/name`) Conjur's own Kubernetes lookups see as deleted while the kubelet and
   * the agent's API view still list them: the window in which the two disagree.
   */
  readonly podsGone = new Set<string>();

  constructor(readonly account: string) {}

  /** CONJ00008E: only the server's own account exists here. */
  requireAccount(account: string): void {
    if (account !== this.account) throw new ConjurDenial('CONJ00008E', `account '${account}' is not defined`);
  }

  requireEnabled(serviceId: string): void {
    if (!this.services.get(serviceId)) throw new ConjurDenial('CONJ00004E', `authenticator authn-k8s/${serviceId} is not enabled`);
  }

  /** Checks 6–8 of §4.1 for a host: it exists, the webservice exists, the host may authenticate (403). */
  requireHostMayAuthenticate(hostId: string, serviceId: string): HostRecord {
    const host = this.hosts.get(hostId);
    if (!host) throw new ConjurDenial('CONJ00007E', `'${this.account}:host:${hostId}' wasn't found`);
    if (!this.services.has(serviceId)) throw new ConjurDenial('CONJ00005E', `webservice 'conjur/authn-k8s/${serviceId}' wasn't found`);
    if (!host.canAuthenticate) {
      throw new ConjurDenial('CONJ00006E', `'${this.account}:host:${hostId}' does not have 'authenticate' privilege on conjur/authn-k8s/${serviceId}`, 403);
    }
    return host;
  }

  setVariable(id: string, value: string | Buffer | null, opts: { mimeType?: string; permitted?: readonly string[] } = {}): void {
    const variable = this.variables.get(id) ?? { id, versions: [], mimeType: undefined, execute: new Set<string>(), read: new Set<string>() };
    if (value === null) variable.versions = [];
    else variable.versions.push(Buffer.from(value));
    if (opts.mimeType !== undefined) variable.mimeType = opts.mimeType;
    for (const host of opts.permitted ?? []) variable.execute.add(hostIdOf(host));
    this.variables.set(id, variable);
  }

  permit(id: string, hostIds: readonly string[], privilege: 'execute' | 'read'): void {
    const variable = this.variables.get(id);
    if (!variable) throw new Error(`variable ${id} does not exist`);
    for (const host of hostIds) variable[privilege].add(hostIdOf(host));
  }

  /** The latest value, for CA lookups (CONJ00036E missing, CONJ00037E no value). */
  requiredSecret(account: string, id: string): Buffer {
    const variable = account === this.account ? this.variables.get(id) : undefined;
    if (!variable) throw new ConjurDenial('CONJ00036E', `required variable ${account}:variable:${id} is missing`);
    const value = variable.versions.at(-1);
    if (!value) throw new ConjurDenial('CONJ00037E', `required variable ${account}:variable:${id} has no value`);
    return value;
  }

  /** GET /authenticators, the diagnostic list (authn is always on). */
  authenticators(): Record<string, string[]> {
    const all = [...this.services].map(([id]) => `authn-k8s/${id}`);
    const enabled = [...this.services].filter(([, on]) => on).map(([id]) => `authn-k8s/${id}`);
    return { installed: ['authn', 'authn-k8s'], configured: ['authn', ...all], enabled: ['authn', ...enabled] };
  }

  /** The authn-k8s CA of a service, read from its variables as Conjur does. */
  caOf(account: string, serviceId: string): { certPem: string; keyPem: string } {
    const base = `conjur/authn-k8s/${serviceId}/ca`;
    return { certPem: this.requiredSecret(account, `${base}/cert`).toString(), keyPem: this.requiredSecret(account, `${base}/key`).toString() };
  }
}
