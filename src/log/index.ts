// Structured JSON logging behind a small Logger interface; components get a child logger.
export { createJsonLogger, silentLogger } from './logger.js';
export type { Logger, LogFields, LogLevel, JsonLoggerOptions } from './logger.js';
export { F, describeError } from './fields.js';
export { logProcessWarnings } from './process-warnings.js';
