/**
 * Durations in configuration files and on the command line are written with units, as Go and Kubernetes write them
 * (`500ms`, `30s`, `5m`, `1h30m`), and become milliseconds (`...Ms` names) inside the agent.
 * A bare number is refused: in a file, `30` could mean seconds or milliseconds.
 */
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;

export const DURATION_EXAMPLE = 'a duration such as 500ms, 30s, 5m or 1h30m';

/** Milliseconds, or undefined when `text` is not a duration (`0` alone is allowed, as in Go). */
export function parseDurationMs(text: string): number | undefined {
  if (text === '0') return 0;
  if (text === '') return undefined;
  PART.lastIndex = 0;
  let total = 0;
  let end = 0;
  for (let match = PART.exec(text); match !== null; match = PART.exec(text)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? Number.NaN);
    end = PART.lastIndex;
  }
  if (end !== text.length || !Number.isFinite(total)) return undefined;
  return Math.round(total);
}
