import type { TrustDomain } from '../spiffe/index.js';
import type { KeyType } from '../x509/index.js';

// The validated, deeply frozen configuration. Each component receives only its own slice;
// agent.ts does the handing out. Durations are milliseconds (`...Ms`), paths are absolute.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A TCP listen address; `host` is an IP address or a name, without brackets for IPv6. */
export interface ListenAddress {
  readonly host: string;
  /** 0 asks the kernel for a free port (tests). */
  readonly port: number;
}

/** The kubelet's `/pods`, the pod list of this node. */
export interface KubeletOptions {
  /** Origin only, no trailing slash: `https://10.0.0.7:10250`, or `http://...:10255` on the read-only port. */
  readonly url: string;
  /** The unauthenticated read-only port: no token is sent and there is no TLS. */
  readonly readOnlyPort: boolean;
  /** Bearer token file, re-read when it rotates; undefined on the read-only port. */
  readonly tokenFile: string | undefined;
  /** PEM of the CA that signed the kubelet's serving certificate; undefined when not verifying. */
  readonly caFile: string | undefined;
  /** The kubelet's certificate is not verified at all (self-signed serving certificates). */
  readonly insecureSkipTlsVerify: boolean;
  readonly minRequestIntervalMs: number;
  /** How long an attestation waits for a just-started container to appear in `/pods`. */
  readonly newContainerWaitMs: number;
  readonly requestTimeoutMs: number;
}

/** How to reach the Kubernetes API server: in-cluster (the default) or a kubeconfig (development). */
export type KubernetesConnection =
  | { readonly kind: 'in-cluster'; readonly apiServerUrl: string; readonly tokenFile: string; readonly caFile: string }
  | { readonly kind: 'kubeconfig'; readonly kubeconfig: string };

export interface KubernetesOptions {
  readonly connection: KubernetesConnection;
  readonly requestTimeoutMs: number;
}

/** Where the trust bundle (the authn-k8s CA certificate) comes from. */
export type BundleOrigin =
  | { readonly kind: 'file'; readonly path: string } // watched and reloaded
  | { readonly kind: 'variable'; readonly variableId: string }; // read with the agent's own token

export interface ConjurOptions {
  /** Secrets, whoami: `https://conjur.example.com`, no trailing slash. */
  readonly applianceUrl: string;
  /** inject_client_cert and authenticate: `https://conjur.example.com/authn-k8s/<serviceId>`. */
  readonly authnUrl: string;
  /** The authenticator's service id, the last segment of authnUrl. */
  readonly serviceId: string;
  readonly account: string;
  /** The agent's own host id, `host/...`; its own pod is the injection target. */
  readonly authnLogin: string;
  /** PEM trust anchors for Conjur's TLS certificate (inline, or read from CONJUR_CERT_FILE). */
  readonly sslCertificatePem: string;
  /** Host id template for pods without `conjur.org/authn-login`; placeholders {serviceId},
   * {namespace}, {serviceAccount}, {podName}. Undefined: such pods get no identity. */
  readonly defaultLoginTemplate: string | undefined;
  readonly keyType: KeyType;
  /** From the inject call until the certificate is confirmed in the pod's volume. */
  readonly injectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** The agent's own `/etc/conjur/ssl` (an emptyDir), where Conjur injects its certificate. */
  readonly agentSslDir: string;
  readonly bundle: BundleOrigin;
  readonly tokenRefreshBeforeExpiryMs: number;
  /** Most bytes read from a pod's client.pem; larger files are refused unread. */
  readonly maxCertificateFileBytes: number;
  /** Bound on Conjur requests in flight, so a restart on a full node does not stampede Conjur. */
  readonly maxConcurrentIssuances: number;
  /** Per-identity backoff after a failed Conjur attempt: first step and cap. */
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  /** Consecutive empty 401s answered Unavailable before PermissionDenied. */
  readonly refusalsBeforeDenied: number;
  /** Attempts of one request refused or reset at the connection level. */
  readonly connectAttempts: number;
}

/** How callers are located from /proc (attestation/cgroup). */
export interface AttestationOptions {
  /** Accept pods nested in a pod's container (nodes inside pods), taking the innermost. */
  readonly nestedNodes: boolean;
  readonly maxCgroupFileBytes: number;
  readonly maxMountinfoBytes: number;
}

export interface SvidOptions {
  /** Renew when this fraction of the lifetime has passed (0.5: at half-life). */
  readonly renewAtFraction: number;
  /** Random spread added to renewAtFraction, so a node's pods do not renew together. */
  readonly renewJitterFraction: number;
}

/** Envoy SDS resource names (SPIRE's by default) and the validator switch. */
export interface SdsConfig {
  readonly defaultSvidName: string;
  readonly defaultBundleName: string;
  readonly defaultAllBundlesName: string;
  readonly disableSpiffeCertValidation: boolean;
}

/**
 * Bounds on Workload API callers (limits.* in the configuration). "Per pod" means per pod UID
 * read from the caller's cgroup at accept, or per uid for callers outside pods.
 */
export interface LimitOptions {
  readonly connections: number;
  readonly connectionsPerPod: number;
  readonly streams: number;
  readonly streamsPerPod: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS. */
  readonly streamsPerConnection: number;
  readonly healthWatches: number;
  readonly healthWatchesPerPod: number;
  readonly handshakeTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** Open connections on each HTTP endpoint (probes, metrics): they listen beyond the node. */
  readonly httpConnections: number;
  /** ... and from one remote address, so a pod cannot crowd out the kubelet's probes. */
  readonly httpConnectionsPerAddress: number;
  /** Calls cancelled before their first answer: token bucket of this size per pod ... */
  readonly earlyResetBurst: number;
  /** ... refilled at this many per second. */
  readonly earlyResetRate: number;
  /** Over that budget the pod's new connections are refused this long, doubling while it keeps on ... */
  readonly earlyResetBackoffMs: number;
  /** ... up to this. */
  readonly earlyResetBackoffMaxMs: number;
  /** Refused connections of such pods held unanswered, on the node. */
  readonly earlyResetHeldConnections: number;
}

export interface LogOptions {
  readonly level: LogLevel;
  /** Components logged at debug whatever the level, like grpc-js's GRPC_TRACE. */
  readonly debugComponents: readonly string[];
}

export interface AgentConfig {
  readonly trustDomain: TrustDomain;
  /** This node (MY_NODE_NAME): pods must have spec.nodeName equal to it. */
  readonly nodeName: string;
  /** The agent's own pod (MY_POD_NAME, MY_POD_NAMESPACE): its SAN when it authenticates itself. */
  readonly podName: string;
  readonly podNamespace: string;
  readonly socketPath: string;
  /** Permission bits of the socket file, e.g. 0o666. */
  readonly socketMode: number;
  /** Where /proc/<pid>/cgroup is read (another root in tests). */
  readonly procRoot: string;
  /** The kubelet's pods directory as mounted into the agent (confirm reads injected certificates there). */
  readonly kubeletPodsDir: string;
  readonly attestation: AttestationOptions;
  readonly kubelet: KubeletOptions;
  readonly kubernetes: KubernetesOptions;
  readonly conjur: ConjurOptions;
  readonly svid: SvidOptions;
  readonly metrics: { readonly listen: ListenAddress };
  readonly health: { readonly listen: ListenAddress };
  readonly log: LogOptions;
  readonly sds: SdsConfig;
  readonly limits: LimitOptions;
  /** How long SIGTERM waits for open streams to end before closing them. */
  readonly shutdownGraceMs: number;
}
