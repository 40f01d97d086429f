import type { Clock } from '../async/index.js';
import { F, describeError } from '../log/index.js';
import type { Logger } from '../log/index.js';
import type { Peer, PeerCredentials } from '../peer/index.js';
import { AttestationError } from './attestation-error.js';
import { TraceRecorder } from './attestation-trace.js';
import type { TraceFailure, TraceStep } from './attestation-trace.js';
import { DEFAULT_LOCATE_OPTIONS, locateContainer, readProcessCredentials } from './cgroup/index.js';
import type { ContainerLocation, LocateOptions } from './cgroup/index.js';
import { checkApiPod, checkKubeletPod, findContainer, podRef } from './pod-checks.js';
import type { ContainerInfo, PodInfo, PodSource, PodVerifier } from './ports.js';
import { toPodFacts } from './to-pod-facts.js';
import type { PodFacts } from './workload-facts.js';

export interface KubernetesAttestorOptions {
  /** Where /proc is: `/proc` on a node (the DaemonSet runs with hostPID), a temp dir in tests. */
  readonly procRoot: string;
  /** This node's name (MY_NODE_NAME): pods bound elsewhere are never attested. */
  readonly nodeName: string;
  /** Cgroup layout and /proc read bounds (config attestation.*); the kubelet's layout by default. */
  readonly cgroup?: LocateOptions;
  readonly pods: PodSource;
  readonly verifier: PodVerifier;
  readonly logger: Logger;
  readonly clock: Clock;
}

/** What one attestation learned on its way, kept for the trace even when a later step fails. */
interface AttemptState {
  location?: ContainerLocation;
  pod?: PodRef;
}

export interface PodRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** What one attestation did, step by step: what `debug attest` prints. */
export interface AttestationTrace {
  readonly pid: number;
  readonly procRoot: string;
  readonly steps: readonly TraceStep[];
  readonly location?: ContainerLocation;
  /** The kubelet's pod for the container, once found (even if a later check rejected it). */
  readonly pod?: PodRef;
  readonly facts?: PodFacts;
  readonly error?: TraceFailure;
  readonly elapsedMs: number;
}

/**
 * Attests a caller from its pid: cgroup → container id and pod UID → the kubelet's pod and
 * container → the API server's cross-check → PodFacts. Nothing the caller says is used; any
 * doubt fails closed. Throws AttestationError: 'not-a-workload' (no identity) or 'unavailable'
 * (the kubelet, the API server or /proc could not answer). Each failure logs one line.
 * The peer's liveness is the caller's to re-check afterwards (see peer/).
 */
export class KubernetesAttestor {
  private readonly log: Logger;

  constructor(private readonly options: KubernetesAttestorOptions) {
    this.log = options.logger.child({ [F.component]: 'attestation' });
  }

  attest(peer: Peer, signal: AbortSignal): Promise<PodFacts> {
    return this.run(peer.credentials, new TraceRecorder(), {}, signal);
  }

  /** The same attestation for a bare pid (uid and gid from /proc), returning its trace instead of throwing. */
  async attestWithTrace(pid: number, signal: AbortSignal = new AbortController().signal): Promise<AttestationTrace> {
    const started = this.options.clock.now();
    const trace = new TraceRecorder();
    const state: AttemptState = {};
    const result = (extra: { facts?: PodFacts; error?: TraceFailure }): AttestationTrace => ({
      pid,
      procRoot: this.options.procRoot,
      steps: trace.steps,
      ...(state.location === undefined ? {} : { location: state.location }),
      ...(state.pod === undefined ? {} : { pod: state.pod }),
      ...extra,
      elapsedMs: this.options.clock.now() - started,
    });
    let credentials: PeerCredentials;
    try {
      credentials = await readProcessCredentials(this.options.procRoot, pid);
    } catch (error) {
      trace.fail('read-process', error);
      this.logFailure(pid, trace, error);
      return result({ ...(trace.failure === undefined ? {} : { error: trace.failure }) });
    }
    trace.ok('read-process', { uid: credentials.uid, gid: credentials.gid });
    try {
      return result({ facts: await this.run(credentials, trace, state, signal) });
    } catch {
      // run() has recorded and logged the failure.
      return result(trace.failure === undefined ? {} : { error: trace.failure });
    }
  }

  private async run(
    credentials: PeerCredentials,
    trace: TraceRecorder,
    state: AttemptState,
    signal: AbortSignal,
  ): Promise<PodFacts> {
    const started = this.options.clock.now();
    try {
      const facts = await this.attestSteps(credentials, trace, state, signal);
      this.log.debug('Attested workload', {
        [F.pid]: credentials.pid,
        [F.namespace]: facts.namespace,
        [F.podName]: facts.podName,
        [F.podUid]: facts.podUid,
        [F.containerId]: facts.containerId,
        [F.elapsedMs]: this.options.clock.now() - started,
      });
      return facts;
    } catch (error) {
      const failure = signal.aborted || error instanceof AttestationError ? error : unexpected(error);
      if (trace.failure === undefined) trace.fail(trace.nextStep(), failure);
      this.logFailure(credentials.pid, trace, failure, state.location);
      throw failure;
    }
  }

  private async attestSteps(
    credentials: PeerCredentials,
    trace: TraceRecorder,
    state: AttemptState,
    signal: AbortSignal,
  ): Promise<PodFacts> {
    const location = await locateContainer(this.options.procRoot, credentials.pid, trace, this.options.cgroup ?? DEFAULT_LOCATE_OPTIONS);
    state.location = location;
    if (location.kind === 'not-a-pod') throw new AttestationError('not-a-workload', location.reason);
    signal.throwIfAborted();
    const pod = await this.findPod(location, trace, state, signal);
    const container = this.matchContainer(pod, location.containerId, trace);
    const apiPod = await this.verifyPod(pod, trace, signal);
    const facts = toPodFacts(credentials, pod, apiPod, container);
    trace.ok('build-facts', { serviceAccount: facts.serviceAccount, image: facts.image, imageDigest: facts.imageDigest ?? null });
    return facts;
  }

  private async findPod(
    location: ContainerLocation & { kind: 'pod' },
    trace: TraceRecorder,
    state: AttemptState,
    signal: AbortSignal,
  ): Promise<PodInfo> {
    const { containerId, podUid } = location;
    const query = podUid === undefined ? { containerId } : { podUid, containerId };
    let pod: PodInfo | undefined;
    try {
      pod = await this.options.pods.findPod(query, signal);
    } catch (error) {
      if (signal.aborted) throw trace.fail('find-pod', signal.reason);
      throw trace.fail('find-pod', new AttestationError('unavailable', 'the kubelet could not be asked for pods', { cause: error }));
    }
    if (pod === undefined) {
      const inPod = podUid === undefined ? '' : ` in pod ${podUid}`;
      throw trace.fail('find-pod', new AttestationError('not-a-workload', `the kubelet lists no running container ${containerId}${inPod}`));
    }
    state.pod = { namespace: pod.namespace, name: pod.name, uid: pod.uid };
    const detail = { namespace: pod.namespace, podName: pod.name, podUid: pod.uid, nodeName: pod.nodeName, phase: pod.phase };
    const problem = checkKubeletPod(pod, { ...(podUid === undefined ? {} : { podUid }), nodeName: this.options.nodeName });
    if (problem !== undefined) throw trace.fail('find-pod', new AttestationError('not-a-workload', problem), detail);
    trace.ok('find-pod', detail);
    return pod;
  }

  private matchContainer(pod: PodInfo, containerId: string, trace: TraceRecorder): ContainerInfo {
    const container = findContainer(pod, containerId);
    if (container === undefined) {
      const message = `container ${containerId} is not a container of pod ${podRef(pod)}`;
      throw trace.fail('match-container', new AttestationError('not-a-workload', message));
    }
    trace.ok('match-container', { containerName: container.name, image: container.image, imageId: container.imageId });
    return container;
  }

  private async verifyPod(pod: PodInfo, trace: TraceRecorder, signal: AbortSignal): Promise<PodInfo> {
    let apiPod: PodInfo | undefined;
    try {
      apiPod = await this.options.verifier.getPod(pod.namespace, pod.name, signal);
    } catch (error) {
      if (signal.aborted) throw trace.fail('verify-pod', signal.reason);
      const message = `the api server could not be asked for pod ${podRef(pod)}`;
      throw trace.fail('verify-pod', new AttestationError('unavailable', message, { cause: error }));
    }
    const problem = checkApiPod(apiPod, pod, this.options.nodeName);
    if (problem !== undefined || apiPod === undefined) {
      throw trace.fail('verify-pod', new AttestationError('not-a-workload', problem ?? `pod ${podRef(pod)} does not exist`));
    }
    trace.ok('verify-pod', { podUid: apiPod.uid, nodeName: apiPod.nodeName });
    return apiPod;
  }

  /** One line per failure: info when the caller simply has no identity, warn when we could not finish. */
  private logFailure(pid: number, trace: TraceRecorder, error: unknown, location?: ContainerLocation): void {
    const failure = trace.failure;
    if (failure === undefined || failure.code === 'aborted') return;
    const cause = error instanceof Error && error.cause !== undefined ? { [F.cause]: describeError(error.cause) } : {};
    const where = location?.kind === 'pod' ? { [F.containerId]: location.containerId, [F.podUid]: location.podUid } : {};
    const fields = { [F.pid]: pid, [F.reason]: `${failure.step}: ${failure.message}`, ...where, ...cause };
    if (failure.code === 'not-a-workload') this.log.info('Caller is not a workload', fields);
    else this.log.warn('Workload attestation could not finish', fields);
  }
}

function unexpected(error: unknown): AttestationError {
  return new AttestationError('unavailable', 'attestation failed unexpectedly', { cause: error });
}
