import type { PodFacts, WorkloadFacts } from '../attestation/index.js';
import { SpiffeId, SpiffeIdError } from '../spiffe/index.js';
import type { TrustDomain } from '../spiffe/index.js';
import { LoginTemplate } from './login-template.js';
import type { WorkloadIdentity } from './workload-identity.js';

/** The pod annotation naming the pod's Conjur host, as in Conjur's own Kubernetes tooling. */
export const AUTHN_LOGIN_ANNOTATION = 'conjur.org/authn-login';

// A Conjur host login: `host/` and a non-empty id without whitespace, control characters,
// empty segments or a trailing slash (Conjur would refuse those anyway; we refuse first).
const HOST_LOGIN = /^host\/[^\s\u0000-\u001f\u007f]+$/;

/**
 * Where the reason for "no identity" goes. The agent passes its Logger; declared here so that
 * identity/ stays a pure layer with no import of log/ (style.md §5.2). Field names match
 * log/fields.ts (pid, namespace, podName, reason).
 */
export interface NoIdentityLog {
  info(message: string, fields: Record<string, unknown>): void;
}

export interface KubernetesIdentityResolverOptions {
  /** The trust domain of every SPIFFE ID issued (default cluster.local is config's business). */
  readonly trustDomain: TrustDomain;
  /**
   * Login for pods without the annotation, with placeholders {namespace}, {serviceAccount},
   * {podName}, {serviceId}. Absent: such pods get no identity. Checked at construction
   * (throws LoginTemplateError).
   */
  readonly defaultLoginTemplate?: string;
  /** The authn-k8s service id, for {serviceId}. */
  readonly serviceId?: string;
  readonly logger: NoIdentityLog;
}

/** An identity, or why there is none (for the log line and the debug command). */
export type IdentityResolution =
  | { readonly kind: 'identity'; readonly identity: WorkloadIdentity }
  | { readonly kind: 'none'; readonly reason: string };

/**
 * Pod facts → SPIFFE ID `spiffe://<td>/namespace/<ns>/podname/<pod>` (the shape Conjur parses
 * positionally, so it is fixed) and Conjur host login: the `conjur.org/authn-login` annotation,
 * else the default template, else no identity. The annotation is only a claim: Conjur checks the
 * pod against that host's restrictions before it signs anything. `key` is the pod UID: one
 * SVID and one issuance per pod. `resolveWithReason` is pure; `resolve` adds the log line.
 */
export class KubernetesIdentityResolver {
  private readonly template: LoginTemplate | undefined;

  constructor(private readonly options: KubernetesIdentityResolverOptions) {
    this.template =
      options.defaultLoginTemplate === undefined ? undefined : LoginTemplate.parse(options.defaultLoginTemplate, options.serviceId);
  }

  resolve(facts: WorkloadFacts): WorkloadIdentity | undefined {
    const resolution = this.resolveWithReason(facts);
    if (resolution.kind === 'identity') return resolution.identity;
    const where = facts.kind === 'kubernetes' ? { namespace: facts.namespace, podName: facts.podName } : {};
    this.options.logger.info('Workload has no identity', { component: 'identity', pid: facts.process.pid, ...where, reason: resolution.reason });
    return undefined;
  }

  resolveWithReason(facts: WorkloadFacts): IdentityResolution {
    if (facts.kind !== 'kubernetes') return none('the caller is not a kubernetes pod');
    const login = this.loginOf(facts);
    if (login.kind === 'none') return login;
    let spiffeId: SpiffeId;
    try {
      spiffeId = SpiffeId.fromSegments(this.options.trustDomain, 'namespace', facts.namespace, 'podname', facts.podName);
    } catch (error) {
      if (!(error instanceof SpiffeIdError)) throw error;
      return none(`pod ${facts.namespace}/${facts.podName} cannot be named in a spiffe id: ${error.message}`);
    }
    return {
      kind: 'identity',
      identity: { key: facts.podUid, spiffeId, hint: login.login, conjurLogin: login.login, facts },
    };
  }

  private loginOf(facts: PodFacts): { kind: 'login'; login: string } | { kind: 'none'; reason: string } {
    const annotated = facts.annotations[AUTHN_LOGIN_ANNOTATION];
    if (annotated !== undefined) {
      // An explicit claim that is wrong is never replaced by the default: the pod owner asked
      // for a specific host, and guessing another one would hand out an identity nobody chose.
      return isHostLogin(annotated)
        ? { kind: 'login', login: annotated }
        : none(`annotation ${AUTHN_LOGIN_ANNOTATION} ${JSON.stringify(annotated)} is not a conjur host login (host/...)`);
    }
    if (this.template === undefined) {
      return none(`pod has no ${AUTHN_LOGIN_ANNOTATION} annotation and no default login template is configured`);
    }
    const login = this.template.render({
      namespace: facts.namespace,
      serviceAccount: facts.serviceAccount,
      podName: facts.podName,
    });
    return isHostLogin(login) ? { kind: 'login', login } : none(`default login template gives ${JSON.stringify(login)}, not a conjur host login`);
  }
}

function isHostLogin(login: string): boolean {
  return HOST_LOGIN.test(login) && !login.includes('//') && !login.endsWith('/');
}

function none(reason: string): { kind: 'none'; reason: string } {
  return { kind: 'none', reason };
}
