import { pino } from 'pino';
import type { DestinationStream } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

/** Structured logging: a fixed message phrase plus fields. Never pass keys or tokens as fields. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export interface JsonLoggerOptions {
  level: LogLevel;
  /** Where JSON lines go; standard error by default so CLI output on stdout stays clean. */
  destination?: DestinationStream;
}

// Defence in depth: field names that could carry secrets are censored even if a caller slips.
const REDACTED_FIELDS = ['privateKey', 'key', 'token', 'accessToken', 'password', 'authorization'];

export function createJsonLogger(options: JsonLoggerOptions): Logger {
  const base = pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACTED_FIELDS, ...REDACTED_FIELDS.map((f) => `*.${f}`)], censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
  return wrap(base);
}

function wrap(p: pino.Logger): Logger {
  return {
    debug: (message, fields) => p.debug(fields ?? {}, message),
    info: (message, fields) => p.info(fields ?? {}, message),
    warn: (message, fields) => p.warn(fields ?? {}, message),
    error: (message, fields) => p.error(fields ?? {}, message),
    child: (fields) => wrap(p.child(fields)),
  };
}

export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
