import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ConjurRoute, InjectionMode } from './context.js';
import { certificateNames, commonNameOf, csrSanText, parseCsr, podRefOfSan } from './csr.js';
import { hostIdOfCommonName } from './inject-handler.js';
import { hostIdOf } from './state.js';

// What the double knows about a request before it handles it (which pod, which host), the
// faults a test scopes to a pod or a host, and the record of every request per identity that
// tests assert Conjur budgets on.

/** Who a request is for, as far as the double can tell before checking anything. */
export interface RequestIdentity {
  /** `namespace/podName` from the CSR's or the client certificate's SPIFFE SAN. */
  readonly pod?: string;
  /** Host id without `host/`: from the CSR's CN (inject) or the URL login (authenticate). */
  readonly host?: string;
}

/** What a fault does to a matching request. */
export type FaultAction =
  /** Answer this status with an empty body (Conjur's 401 for exec and Kubernetes errors, a 5xx). */
  | { readonly kind: 'status'; readonly status: number }
  /** Read the request and never answer (the client times out; close() cuts the connection). */
  | { readonly kind: 'hang' }
  /** inject only: handle it normally, but deliver the certificate in this injection mode. */
  | { readonly kind: 'injection'; readonly mode: InjectionMode };

export interface FaultScope {
  /** `namespace/podName`. */
  readonly pod?: string;
  /** Host id, with or without `host/`. */
  readonly host?: string;
}

export interface RequestRecord extends RequestIdentity {
  readonly route: ConjurRoute;
  /** When it arrived (real time, ms). */
  readonly at: number;
  /** The status answered; 'hung' for a request the double never answered; undefined while open. */
  outcome: number | 'hung' | undefined;
  /** Arrival to the end of the answer (ms); undefined while open. */
  durationMs?: number;
}

interface Fault {
  readonly route: ConjurRoute;
  readonly action: FaultAction;
  readonly scope: FaultScope;
  remaining: number;
}

/** Scoped faults, first match wins; each applies to `remaining` requests (Infinity allowed). */
export class FaultList {
  private readonly faults: Fault[] = [];

  add(route: ConjurRoute, action: FaultAction, scope: FaultScope = {}, times = Number.POSITIVE_INFINITY): void {
    const host = scope.host === undefined ? undefined : hostIdOf(scope.host);
    this.faults.push({ route, action, scope: { ...scope, ...(host === undefined ? {} : { host }) }, remaining: times });
  }

  take(route: ConjurRoute, who: RequestIdentity): FaultAction | undefined {
    const fault = this.faults.find((f) => f.route === route && matches(f.scope, who));
    if (!fault) return undefined;
    if (--fault.remaining <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
    return fault.action;
  }

  /** Removes the faults of this scope (all when no scope is given). */
  clear(scope?: FaultScope): void {
    const host = scope?.host === undefined ? undefined : hostIdOf(scope.host);
    for (const fault of [...this.faults]) {
      if (scope === undefined || (fault.scope.pod === scope.pod && fault.scope.host === host)) this.faults.splice(this.faults.indexOf(fault), 1);
    }
  }
}

function matches(scope: FaultScope, who: RequestIdentity): boolean {
  return (scope.pod === undefined || scope.pod === who.pod) && (scope.host === undefined || scope.host === who.host);
}

/** The pod and host of an inject request, from its body (a CSR); nothing when it does not parse. */
export function identifyInject(body: Buffer, hostIdPrefix: string | undefined, serviceId: string): RequestIdentity {
  try {
    const csr = parseCsr(body);
    const san = csrSanText(csr);
    const pod = san === undefined ? undefined : podRefOfSan(san);
    const prefix = hostIdPrefix || `host.conjur.authn-k8s.${serviceId}.apps`;
    let host: string | undefined;
    try {
      host = hostIdOfCommonName(`${prefix}.${commonNameOf(csr.subject) ?? ''}`);
    } catch {
      host = undefined;
    }
    return { ...(pod ? { pod: `${pod.namespace}/${pod.podName}` } : {}), ...(host ? { host } : {}) };
  } catch {
    return {};
  }
}

/** The pod (client certificate SAN) and host (URL login) of an authenticate request. */
export function identifyAuthenticate(req: IncomingMessage, login: string): RequestIdentity {
  let pod: string | undefined;
  try {
    const raw = (req.socket as TLSSocket).getPeerCertificate?.()?.raw;
    const san = raw && raw.length > 0 ? certificateNames(new X509Certificate(raw)).san : undefined;
    const ref = san === undefined ? undefined : podRefOfSan(san);
    pod = ref ? `${ref.namespace}/${ref.podName}` : undefined;
  } catch {
    pod = undefined;
  }
  return { host: hostIdOf(login), ...(pod ? { pod } : {}) };
}
