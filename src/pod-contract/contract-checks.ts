import { posix } from 'node:path';
import type { ConjurHosts } from './conjur-hosts.js';
import type { PodTemplate } from './pod-templates.js';
import { asString, volumeNamed } from './pod-spec.js';
import type { ContainerView, PodSpecView, VolumeView } from './pod-spec.js';

// The pod contract: what a pod must have for the agent to give it an identity without a sidecar.
// Conjur execs `sh` in one container of the pod (the injection target) to write the pod's
// certificate to /etc/conjur/ssl, where the agent reads it through the node; the pod claims its
// Conjur host with an annotation; its applications reach the agent's socket through a volume.

export const LOGIN_ANNOTATION = 'conjur.org/authn-login';
/** Conjur always writes the injected certificate here (authn-k8s). */
export const CONJUR_SSL_DIR = '/etc/conjur/ssl';

export interface PodContractOptions {
  /**
   * The container Conjur execs into: the Conjur host's authn-k8s/authentication-container-name.
   * With `hosts`, this is only the default for hosts that do not name one.
   */
  readonly injectionContainer: string;
  /** The Conjur policy's hosts: each pod's target is then the one its own host names. */
  readonly hosts?: ConjurHosts;
  /** The SPIFFE CSI driver's name, as in the CSIDriver object. */
  readonly csiDriver: string;
  /** The agent's socket on the node; its directory is what a hostPath socket volume would mount. */
  readonly socketPath: string;
}

export const DEFAULT_POD_CONTRACT: PodContractOptions = {
  injectionContainer: 'authenticator',
  csiDriver: 'csi.spiffe.io',
  socketPath: '/run/conjur-spiffe/agent.sock',
};

/** Base images known to have no shell: Conjur's injection cannot run in them. */
const SHELL_LESS_IMAGES = [/(^|\/)distroless\//, /^cgr\.dev\/chainguard\/static(:|@|$)/, /(^|\/)scratch(:|@|$)/, /^registry\.k8s\.io\/pause(:|@|$)/];

type Check = (template: PodTemplate, options: PodContractOptions) => string[];

const HOST_CONTAINER_ANNOTATION = 'authn-k8s/authentication-container-name';

/** The options for one pod: its injection target as its Conjur host names it, when hosts are known. */
function forPod({ annotations }: PodTemplate, options: PodContractOptions): PodContractOptions {
  const hostId = annotations.get(LOGIN_ANNOTATION)?.replace(/^host\//, '');
  const named = hostId === undefined ? undefined : options.hosts?.get(hostId)?.[HOST_CONTAINER_ANNOTATION];
  return named === undefined ? options : { ...options, injectionContainer: named };
}

function isSocketVolume(volume: VolumeView | undefined, options: PodContractOptions): boolean {
  if (volume?.type === 'csi') return asString(volume.source['driver']) === options.csiDriver;
  return volume?.type === 'hostPath' && posix.normalize(asString(volume.source['path']) ?? '') === posix.dirname(options.socketPath);
}

/** The containers that mount the agent's socket volume, with where. */
function socketMounts(spec: PodSpecView, options: PodContractOptions): { container: ContainerView; mountPath: string }[] {
  return spec.containers.flatMap((container) =>
    container.volumeMounts.filter((m) => isSocketVolume(volumeNamed(spec, m.name), options)).map((m) => ({ container, mountPath: m.mountPath })),
  );
}

const checkAnnotation: Check = ({ annotations }, { hosts }) => {
  const login = annotations.get(LOGIN_ANNOTATION);
  if (login === undefined) return [`no ${LOGIN_ANNOTATION} annotation on the pod: it claims no Conjur host, so it gets no identity (unless the agent sets conjur.defaultLoginTemplate)`];
  if (!/^host\/\S+$/.test(login)) return [`${LOGIN_ANNOTATION} is "${login}": a Conjur host id is host/<id>`];
  return hosts === undefined || hosts.has(login.slice('host/'.length)) ? [] : [`${LOGIN_ANNOTATION} names ${login}, which the Conjur policy does not declare`];
};

const checkInjectionTarget: Check = ({ spec }, { injectionContainer: name }) => {
  const target = spec.containers.find((c) => c.name === name);
  if (target === undefined) {
    const where = [...spec.initContainers, ...spec.ephemeralContainers].some((c) => c.name === name) ? ` ("${name}" is an init or ephemeral container, not running when Conjur injects)` : '';
    const names = spec.containers.map((c) => `"${c.name}"`).join(', ');
    return [
      `no container named "${name}" for Conjur to exec into${where}; the containers are ${names || 'none'}: name the target in the Conjur host's authn-k8s/authentication-container-name (tell check pod with --policy FILE or --container NAME), or add a passive container with sh named "${name}"`,
    ];
  }
  const shellLess = SHELL_LESS_IMAGES.some((pattern) => pattern.test(target.image));
  return shellLess ? [`container "${name}": image ${target.image} has no sh, which Conjur runs to write the certificate; name a container whose image has sh, or add a passive one that only waits`] : [];
};

const checkSslVolume: Check = ({ spec }, { injectionContainer: name }) => {
  const target = spec.containers.find((c) => c.name === name);
  if (target === undefined) return [];
  const mount = target.volumeMounts.find((m) => posix.normalize(m.mountPath).replace(/\/$/, '') === CONJUR_SSL_DIR);
  if (mount === undefined) return [`container "${name}" mounts nothing at ${CONJUR_SSL_DIR}, where Conjur writes the certificate: mount an emptyDir (medium: Memory) there`];
  const volume = volumeNamed(spec, mount.name);
  if (volume === undefined) return [`container "${name}": ${CONJUR_SSL_DIR} mounts volume "${mount.name}", which the pod does not declare`];
  if (volume.type !== 'emptyDir') return [`container "${name}": ${CONJUR_SSL_DIR} is a ${volume.type} volume ("${volume.name}"), not an emptyDir; the agent reads the certificate from the pod's emptyDir on the node`];
  return [
    ...(asString(volume.source['medium']) === 'Memory' ? [] : [`volume "${volume.name}" at ${CONJUR_SSL_DIR} is on the node's disk: set emptyDir.medium: Memory so the certificate never touches it`]),
    ...(mount.readOnly ? [`container "${name}": ${CONJUR_SSL_DIR} is mounted read-only, so Conjur cannot write the certificate`] : []),
    ...(mount.subPath !== undefined ? [`container "${name}": ${CONJUR_SSL_DIR} mounts a subPath; the agent reads client.pem at the volume's root`] : []),
  ];
};

const checkSocketVolume: Check = ({ spec }, options) => {
  const volumes = spec.volumes.filter((v) => isSocketVolume(v, options));
  const mounts = socketMounts(spec, options);
  const howTo = `a volume csi: {driver: ${options.csiDriver}, readOnly: true} mounted at ${posix.dirname(options.socketPath)}`;
  if (volumes.length === 0) return [`no volume brings the agent's socket into the pod: add ${howTo}`];
  return [
    ...volumes.filter((v) => v.type === 'csi' && v.source['readOnly'] !== true).map((v) => `volume "${v.name}": csi.readOnly is not true; the SPIFFE CSI driver refuses writable volumes`),
    ...(mounts.length === 0 ? [`no container mounts the socket volume ${volumes.map((v) => `"${v.name}"`).join(', ')}`] : []),
  ];
};

/** SPIFFE_ENDPOINT_SOCKET, where set, must name the socket inside that container's socket mount. */
const checkEndpointVariable: Check = ({ spec }, options) =>
  spec.containers.flatMap((container) => {
    const value = container.env.get('SPIFFE_ENDPOINT_SOCKET');
    if (value === undefined || !value.startsWith('unix:')) return [];
    const mountPaths = socketMounts(spec, options).filter((m) => m.container === container).map((m) => m.mountPath);
    const expected = mountPaths.map((p) => `unix://${posix.join(p, posix.basename(options.socketPath))}`);
    if (expected.includes(value)) return [];
    return [`container "${container.name}": SPIFFE_ENDPOINT_SOCKET is ${value}, but ${expected.length === 0 ? 'the container does not mount the socket volume' : `the agent's socket is at ${expected.join(' or ')}`}`];
  });

const CHECKS: readonly Check[] = [checkAnnotation, checkInjectionTarget, checkSslVolume, checkSocketVolume, checkEndpointVariable];

/** What in `template` breaks the pod contract, one sentence each; empty when it holds. */
export function checkPodContract(template: PodTemplate, options: PodContractOptions = DEFAULT_POD_CONTRACT): string[] {
  const own = forPod(template, options);
  return CHECKS.flatMap((check) => check(template, own));
}
