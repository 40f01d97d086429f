import { dumpYaml, loadYaml } from '@kubernetes/client-node';
import { parse } from 'yaml';

// Reads an object through @kubernetes/client-node's models and back. The models keep only the
// fields they know, so whatever is lost on the way was misspelled or misplaced: a field the
// API server would reject (or, worse, silently ignore, like a mistyped `mountPropagation`).

export interface ModelCheck {
  /** The model class the client chose: `V1DaemonSet`, ... (`Object` when it knows no such kind). */
  readonly modelName: string;
  /** Dotted paths in the original that did not survive the round trip. */
  readonly unknownFields: string[];
}

export function checkWithModels(object: Record<string, unknown>): ModelCheck {
  const model = loadYaml<object>(JSON.stringify(object));
  const back = parse(dumpYaml(model)) as unknown;
  return { modelName: model.constructor.name, unknownFields: droppedPaths(object, back, '') };
}

function droppedPaths(original: unknown, back: unknown, path: string): string[] {
  if (original === null || typeof original !== 'object') return [];
  if (back === null || typeof back !== 'object') return [path];
  return Object.entries(original).flatMap(([key, value]) => {
    const child = Array.isArray(original) ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
    if (!(key in back)) return [child];
    return droppedPaths(value, (back as Record<string, unknown>)[key], child);
  });
}

/** Fields the API server requires that the models do not enforce at run time. */
export function missingRequired(object: Record<string, unknown>): string[] {
  const at = (path: string): unknown => path.split('.').reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), object);
  const required = ['apiVersion', 'kind', 'metadata.name'];
  if (object['kind'] === 'DaemonSet' || object['kind'] === 'Deployment') required.push('spec.selector.matchLabels', 'spec.template.metadata.labels', 'spec.template.spec.containers');
  if (object['kind'] === 'ClusterRoleBinding') required.push('roleRef.apiGroup', 'roleRef.kind', 'roleRef.name', 'subjects');
  if (object['kind'] === 'ClusterRole') required.push('rules');
  const missing = required.filter((path) => at(path) === undefined);
  const containers = at('spec.template.spec.containers');
  if (Array.isArray(containers)) {
    containers.forEach((c: Record<string, unknown>, i) => {
      if (typeof c['name'] !== 'string' || typeof c['image'] !== 'string') missing.push(`spec.template.spec.containers[${i}].name/image`);
    });
    const selector = at('spec.selector.matchLabels') as Record<string, string> | undefined;
    const labels = at('spec.template.metadata.labels') as Record<string, string> | undefined;
    if (selector !== undefined && Object.entries(selector).some(([k, v]) => labels?.[k] !== v)) missing.push('spec.template.metadata.labels (must match spec.selector)');
  }
  return missing;
}
