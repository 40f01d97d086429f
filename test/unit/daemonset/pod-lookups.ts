import type { IntOrString, V1Container, V1EnvVar, V1PodSpec, V1Volume, V1VolumeMount } from '@kubernetes/client-node';

// Small lookups over pod specs, shared by the invariant tables.

export function mountAt(container: V1Container | undefined, path: string): V1VolumeMount | undefined {
  return container?.volumeMounts?.find((m) => m.mountPath === path);
}

export function volumeOf(spec: V1PodSpec | undefined, mount: V1VolumeMount | undefined): V1Volume | undefined {
  return mount === undefined ? undefined : spec?.volumes?.find((v) => v.name === mount.name);
}

export function envOf(container: V1Container | undefined, name: string): V1EnvVar | undefined {
  return container?.env?.find((e) => e.name === name);
}

/** A probe's port as a number, resolving a named port through the container's ports. */
export function portNumber(container: V1Container | undefined, port: IntOrString | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return container?.ports?.find((p) => p.name === port)?.containerPort;
}

/** Every container of a pod spec, init containers included. */
export function allContainers(spec: V1PodSpec | undefined): V1Container[] {
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
}

/** `[]` when the condition holds, else the one violation. */
export function expectThat(condition: boolean, violation: string): string[] {
  return condition ? [] : [violation];
}

export function sameSet(actual: readonly string[], expected: readonly string[]): boolean {
  const a = [...new Set(actual)].sort();
  const e = [...new Set(expected)].sort();
  return a.length === e.length && a.every((x, i) => x === e[i]);
}
