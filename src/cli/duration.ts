import { InvalidArgumentError } from 'commander';
import { DURATION_EXAMPLE, parseDurationMs } from '../async/index.js';

/** Durations on the command line use the configuration's syntax (`500ms`, `30s`, `2m`, `1h30m`). */
export function parseDuration(text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) throw new InvalidArgumentError(`"${text}" is not a duration: use ${DURATION_EXAMPLE}`);
  return ms;
}

/** A positive duration, for timeouts and lifetimes where 0 makes no sense. */
export function parsePositiveDuration(text: string): number {
  const ms = parseDuration(text);
  if (ms <= 0) throw new InvalidArgumentError(`"${text}" must be longer than zero`);
  return ms;
}

/** `90000` → `1m30s`, for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, seconds] of [['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= seconds) {
      parts.push(`${Math.floor(rest / seconds)}${unit}`);
      rest %= seconds;
    }
  }
  return parts.join('');
}
