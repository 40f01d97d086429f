import { InvalidArgumentError } from 'commander';

/**
 * Durations on the command line, written as Go and Kubernetes write them (`500ms`, `30s`,
 * `2m`, `1h`, `1h30m`), in milliseconds. A bare number is refused: `30` could be seconds or ms.
 * (config/ parses the same syntax for files; the CLI may not import config/, see style §5.2.)
 */
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

export function parseDuration(text: string): number {
  let total = 0;
  let offset = 0;
  while (offset < text.length) {
    PART.lastIndex = offset;
    const match = PART.exec(text);
    if (!match) throw new InvalidArgumentError(`"${text}" is not a duration: use a number with a unit, such as 500ms, 30s, 2m or 1h`);
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    offset = PART.lastIndex;
  }
  if (text === '') throw new InvalidArgumentError('the duration is empty: use a number with a unit, such as 30s');
  return Math.round(total);
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
