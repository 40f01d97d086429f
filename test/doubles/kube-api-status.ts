// What the real API server answers besides objects: Status errors and the discovery documents,
// byte-for-byte in shape so that clients' error handling (client-node's ApiException, Conjur's
// kubeclient discovery) is exercised for real. Also the field/label selector matching of lists.

export interface StatusJson {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string };
  code: number;
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export function statusJson(code: number, message: string, details?: StatusJson['details']): StatusJson {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: REASONS[code] ?? 'Unknown', ...(details ? { details } : {}), code };
}

/** `pods "x" not found`, `deployments.apps "x" not found`, as the API server words it. */
export function notFound(resource: string, name: string, group?: string): StatusJson {
  const qualified = group ? `${resource}.${group}` : resource;
  return statusJson(404, `${qualified} "${name}" not found`, { name, ...(group ? { group } : {}), kind: resource });
}

export const RESOURCE_NOT_FOUND = statusJson(404, 'the server could not find the requested resource', {});

/** A Status for an injected failure, with the wording the API server uses for that code. */
export function injectedFailure(code: number, path: string): StatusJson {
  if (code === 401) return statusJson(401, 'Unauthorized');
  if (code === 403) return statusJson(403, `forbidden: User "system:serviceaccount:conjur:agent" cannot get path "${path}"`, {});
  if (code === 429) return statusJson(429, 'Too many requests, please try again later.', {});
  if (code === 504) return statusJson(504, 'Timeout: request did not complete within the allotted timeout', {});
  return statusJson(code, `Internal error occurred: injected failure for ${path}`, {});
}

type Getter = (obj: Record<string, unknown>) => string | undefined;

const FIELDS: Record<string, Getter> = {
  'metadata.name': (o) => str(o, 'metadata', 'name'),
  'metadata.namespace': (o) => str(o, 'metadata', 'namespace'),
  'spec.nodeName': (o) => str(o, 'spec', 'nodeName') ?? '',
  'spec.serviceAccountName': (o) => str(o, 'spec', 'serviceAccountName'),
  'status.phase': (o) => str(o, 'status', 'phase'),
};

export type Selector = (obj: Record<string, unknown>) => boolean;

/** `a=b,c!=d` (also `==`) over the pod fields the API server indexes; throws a 400 Status for others. */
export function parseFieldSelector(text: string | null): Selector {
  const terms = parseTerms(text).map(({ key, op, value }) => {
    const get = FIELDS[key];
    if (!get) throw statusJson(400, `field label not supported: ${key}`);
    return (o: Record<string, unknown>) => (get(o) === value) === (op === '=');
  });
  return (o) => terms.every((t) => t(o));
}

/** Equality-based label selectors: `app=x,tier!=db`. */
export function parseLabelSelector(text: string | null): Selector {
  const terms = parseTerms(text);
  return (o) => {
    const labels = (o['metadata'] as { labels?: Record<string, string> } | undefined)?.labels ?? {};
    return terms.every(({ key, op, value }) => (labels[key] === value) === (op === '='));
  };
}

function parseTerms(text: string | null): { key: string; op: '=' | '!='; value: string }[] {
  if (!text) return [];
  return text.split(',').map((term) => {
    const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(term.trim());
    if (!m) throw statusJson(400, `invalid selector: '${text}'; can't understand '${term}'`);
    return { key: m[1]!, op: m[2] === '!=' ? '!=' : '=', value: m[3]! };
  });
}

function str(o: Record<string, unknown>, part: string, key: string): string | undefined {
  const value = (o[part] as Record<string, unknown> | undefined)?.[key];
  return typeof value === 'string' ? value : undefined;
}

const resource = (name: string, kind: string, namespaced = true, verbs = ['get', 'list', 'watch']) => ({ name, singularName: '', namespaced, kind, verbs });

/** Discovery documents for the groups this double serves (Conjur's kubeclient reads them first). */
export const DISCOVERY: Record<string, unknown> = {
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }] },
  '/apis': {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }],
  },
  '/api/v1': {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      resource('namespaces', 'Namespace', false),
      resource('pods', 'Pod'),
      resource('pods/exec', 'PodExecOptions', true, ['create', 'get']),
      resource('replicationcontrollers', 'ReplicationController'),
      resource('serviceaccounts', 'ServiceAccount'),
    ],
  },
  '/apis/apps/v1': {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: 'apps/v1',
    resources: [resource('deployments', 'Deployment'), resource('replicasets', 'ReplicaSet'), resource('statefulsets', 'StatefulSet')],
  },
};
