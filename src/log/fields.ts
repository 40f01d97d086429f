/** Log field names, spelled once. */
export const F = {
  component: 'component',
  pid: 'pid',
  uid: 'uid',
  gid: 'gid',
  connectionId: 'connectionId',
  method: 'method',
  spiffeId: 'spiffeId',
  hostId: 'hostId',
  podUid: 'podUid',
  podName: 'podName',
  namespace: 'namespace',
  containerId: 'containerId',
  reason: 'reason',
  cause: 'cause',
  status: 'status',
  url: 'url',
  ttlMs: 'ttlMs',
  elapsedMs: 'elapsedMs',
  skewMs: 'skewMs',
  retryInMs: 'retryInMs',
  socketPath: 'socketPath',
  notAfter: 'notAfter',
  resourceNames: 'resourceNames',
  versionInfo: 'versionInfo',
  nonce: 'nonce',
  count: 'count',
  resourceVersion: 'resourceVersion',
  limit: 'limit',
  caller: 'caller',
} as const;

/** An error's message chain for logs: `a: b: c` (never the stack, never secrets). */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    // A wrapper that repeats its cause's message adds nothing: say it once.
    if (!parts.some((part) => part.includes(message))) parts.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ');
}
