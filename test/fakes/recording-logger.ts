import type { LogFields, Logger, LogLevel } from '../../src/log/index.js';

export interface LogRecord {
  level: LogLevel;
  message: string;
  fields: LogFields;
}

/** A Logger that keeps every line, so tests can check what operators would see. */
export function recordingLogger(records: LogRecord[] = [], bound: LogFields = {}): Logger & { records: LogRecord[] } {
  const at = (level: LogLevel) => (message: string, fields: LogFields = {}) => records.push({ level, message, fields: { ...bound, ...fields } });
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (fields) => recordingLogger(records, { ...bound, ...fields }) };
}
