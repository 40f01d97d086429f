import { F } from './fields.js';
import type { Logger } from './logger.js';

/**
 * Sends the process's warnings into the JSON log instead of Node's plain-text lines on standard
 * error, which break a log pipeline that parses every line of the container's output as JSON.
 * On Node 24 one arrives at every start: client-node's watch (through node-fetch 2) calls
 * `url.parse()` (DEP0169). Deprecations concern the code, not the operator, so they are logged
 * at debug; any other warning (a listener leak, an experimental feature) is logged at warn.
 * Returns what puts Node's own printer back.
 */
export function logProcessWarnings(logger: Logger, target: NodeJS.EventEmitter = process): () => void {
  const log = logger.child({ [F.component]: 'process' });
  const previous = target.listeners('warning');
  const onWarning = (warning: Error & { code?: string }) => {
    const fields = { name: warning.name, ...(warning.code === undefined ? {} : { code: warning.code }), [F.reason]: warning.message };
    if (warning.name === 'DeprecationWarning') log.debug('Node.js deprecation warning', fields);
    else log.warn('Node.js process warning', fields);
  };
  target.removeAllListeners('warning');
  target.on('warning', onWarning);
  return () => {
    target.off('warning', onWarning);
    for (const listener of previous) target.on('warning', listener as (warning: Error) => void);
  };
}
