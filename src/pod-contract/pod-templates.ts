import { asArray, asRecord, asString, toPodSpec } from './pod-spec.js';
import type { PodSpecView } from './pod-spec.js';

// Where the pod is in each kind of object a user would write: a Pod itself, the template of a
// workload controller, or a CronJob's job template. Other kinds hold no pod.

export interface PodTemplate {
  /** `Deployment/example-app`, as the object is named in kubectl's output. */
  readonly workload: string;
  readonly annotations: ReadonlyMap<string, string>;
  readonly spec: PodSpecView;
}

/** Kind → path from the object to the pod template's `{metadata, spec}`; `[]` is the object itself. */
const TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  PodTemplate: ['template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

export const POD_KINDS: readonly string[] = Object.keys(TEMPLATE_PATHS);

/** The pod templates in one object; a `List` is opened; objects of other kinds give none. */
export function podTemplatesOf(object: unknown): PodTemplate[] {
  const o = asRecord(object);
  const kind = asString(o['kind']) ?? '';
  if (kind === 'List' || kind.endsWith('List')) return asArray(o['items']).flatMap(podTemplatesOf);
  const path = TEMPLATE_PATHS[kind];
  if (path === undefined) return [];
  const template = asRecord(path.reduce<unknown>((at, key) => asRecord(at)[key], o));
  const annotations = asRecord(asRecord(template['metadata'])['annotations']);
  return [
    {
      workload: `${kind}/${asString(asRecord(o['metadata'])['name']) ?? '(no name)'}`,
      annotations: new Map(Object.entries(annotations).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v] as const] : []))),
      spec: toPodSpec(template['spec']),
    },
  ];
}
